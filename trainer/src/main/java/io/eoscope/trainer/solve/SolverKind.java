package io.eoscope.trainer.solve;

import java.util.Locale;

/** The three training solvers of docs/science.md#solvers. */
public enum SolverKind {
    /** θ ← θ − η∇L̃ with a fixed η; the time t advances by η per step. */
    GD("gd"),
    /** η_u = min(s·η_max, 1/|λ¹|), λ¹ the top Hessian eigenvalue at the step. */
    ADAPTIVE_GD("adaptive-gd"),
    /** Exponential Euler: follows the gradient flow, stiff directions integrated exactly. */
    EXP_EULER("exp-euler");

    private final String id;

    SolverKind(String id) {
        this.id = id;
    }

    /** The command-line name. */
    public String id() {
        return id;
    }

    /** Parses {@code gd}, {@code adaptive-gd} or {@code exp-euler}. */
    public static SolverKind parse(String text) {
        for (SolverKind k : values()) {
            if (k.id.equals(text.toLowerCase(Locale.ROOT))) {
                return k;
            }
        }
        throw new IllegalArgumentException("--solver must be gd, adaptive-gd or exp-euler, got '" + text + "'");
    }
}
