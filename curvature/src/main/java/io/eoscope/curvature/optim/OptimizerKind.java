package io.eoscope.curvature.optim;

import java.util.Locale;

/** The update rules of {@code torch.optim} that eoscope trains with and analyses. */
public enum OptimizerKind {
    /** Plain SGD: θ ← θ − η g. */
    GD("gd"),
    /** SGD with heavy-ball momentum β (dampening 0): b ← βb + g; θ ← θ − η b. */
    MOMENTUM("momentum"),
    /** SGD with Nesterov momentum: b ← βb + g; θ ← θ − η (g + βb). */
    NESTEROV("nesterov"),
    /** RMSprop (alpha = β2, no momentum, not centred): v ← β2 v + (1−β2) g²; θ ← θ − η g/(√v + ε). */
    RMSPROP("rmsprop"),
    /** Adam without amsgrad. */
    ADAM("adam"),
    /** AdamW: θ ← θ(1 − ηλ), then Adam's step. */
    ADAMW("adamw");

    private final String id;

    OptimizerKind(String id) {
        this.id = id;
    }

    /** The command-line and metadata name. */
    public String id() {
        return id;
    }

    /** True for the rules with a diagonal preconditioner P (RMSprop, Adam, AdamW). */
    public boolean adaptive() {
        return this == RMSPROP || this == ADAM || this == ADAMW;
    }

    /** True for the rules with a first-moment or momentum buffer. */
    public boolean hasMomentum() {
        return this == MOMENTUM || this == NESTEROV || this == ADAM || this == ADAMW;
    }

    /** Parses an {@link #id()}; the message names {@code option}. */
    public static OptimizerKind parse(String option, String text) {
        for (OptimizerKind k : values()) {
            if (text != null && k.id.equals(text.toLowerCase(Locale.ROOT))) {
                return k;
            }
        }
        throw new IllegalArgumentException(option + " must be gd, momentum, nesterov, rmsprop, adam or adamw, got '" + text + "'");
    }
}
