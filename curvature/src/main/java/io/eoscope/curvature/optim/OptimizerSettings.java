package io.eoscope.curvature.optim;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An optimizer and its hyper-parameters, named as {@code torch.optim} names them, with the stability threshold of
 * docs/science.md#other-optimizers. Validated on construction; messages name the command-line option. Fields a kind
 * does not use are 0 (momentum, weight decay) or ignored (β1, β2, ε).
 *
 * @param kind the update rule
 * @param lr the step size η
 * @param momentum β of heavy-ball and Nesterov momentum, in (0, 1) for those kinds, 0 otherwise
 * @param beta1 Adam's β1, in [0, 1)
 * @param beta2 Adam's β2 or RMSprop's alpha, in [0, 1)
 * @param eps ε of the adaptive rules, positive
 * @param weightDecay AdamW's decoupled decay λ ≥ 0; 0 for every other kind
 */
public record OptimizerSettings(OptimizerKind kind, double lr, double momentum, double beta1, double beta2, double eps,
        double weightDecay) {

    /** Metadata keys of a snapshot (strings, as safetensors metadata are). */
    public static final String KEY_OPTIMIZER = "optimizer";
    /** The number of optimizer steps taken so far (t of Adam's bias correction). */
    public static final String KEY_STEP = "optimizer_step";

    /** Validates. */
    public OptimizerSettings {
        if (kind == null) {
            throw new IllegalArgumentException("--optimizer is required");
        }
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("--lr must be a positive number, got " + lr);
        }
        boolean heavy = kind == OptimizerKind.MOMENTUM || kind == OptimizerKind.NESTEROV;
        if (heavy && !(momentum > 0 && momentum < 1)) {
            throw new IllegalArgumentException("--momentum must be in (0, 1) with --optimizer " + kind.id() + ", got " + momentum);
        }
        if (!heavy && momentum != 0) {
            throw new IllegalArgumentException("--momentum applies to --optimizer momentum or nesterov only, not " + kind.id());
        }
        unit("--beta1", beta1);
        unit("--beta2", beta2);
        if (!(eps > 0) || !Double.isFinite(eps)) {
            throw new IllegalArgumentException("--eps must be a positive number, got " + eps);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("--weight-decay must be ≥ 0, got " + weightDecay);
        }
        if (weightDecay != 0 && kind != OptimizerKind.ADAMW) {
            throw new IllegalArgumentException("--weight-decay applies to --optimizer adamw only (its decay is decoupled from"
                    + " the loss); with " + kind.id() + " it would change the loss whose curvature is measured");
        }
    }

    private static void unit(String option, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException(option + " must be in [0, 1), got " + v);
        }
    }

    /** Plain full-batch GD at step size {@code lr}. */
    public static OptimizerSettings gd(double lr) {
        return defaults(OptimizerKind.GD, lr);
    }

    /**
     * PyTorch's defaults for {@code kind}: momentum 0.9 (heavy ball and Nesterov; PyTorch has no default there),
     * β1 0.9, β2 0.999 (Adam, AdamW) or alpha 0.99 (RMSprop), ε 1e-8, AdamW's weight decay 0.01.
     */
    public static OptimizerSettings defaults(OptimizerKind kind, double lr) {
        boolean heavy = kind == OptimizerKind.MOMENTUM || kind == OptimizerKind.NESTEROV;
        return new OptimizerSettings(kind, lr, heavy ? 0.9 : 0, 0.9, kind == OptimizerKind.RMSPROP ? 0.99 : 0.999, 1e-8,
                kind == OptimizerKind.ADAMW ? 0.01 : 0);
    }

    /** The same settings at another step size. */
    public OptimizerSettings withLr(double newLr) {
        return new OptimizerSettings(kind, newLr, momentum, beta1, beta2, eps, weightDecay);
    }

    /**
     * The quantity this optimizer's stability is judged by: λmax(P⁻¹𝓗) for the adaptive rules, batch sharpness for
     * mini-batch SGD (with or without momentum), λmax(𝓗) otherwise.
     */
    public StabilityQuantity quantity(boolean miniBatch) {
        if (kind.adaptive()) {
            return StabilityQuantity.PRECONDITIONED_SHARPNESS;
        }
        return miniBatch ? StabilityQuantity.BATCH_SHARPNESS : StabilityQuantity.SHARPNESS;
    }

    /** The threshold the quantity is compared with: the stability ratio is quantity / threshold (1 = the edge). */
    public double threshold() {
        switch (kind) {
            case MOMENTUM:
                return (2 + 2 * momentum) / lr;
            case NESTEROV:
                return (2 + 2 * momentum) / (lr * (1 + 2 * momentum));
            case ADAM:
            case ADAMW:
                return (2 + 2 * beta1) / ((1 - beta1) * lr);
            default:
                return 2 / lr;
        }
    }

    /** The threshold's formula, for labels: "2/η", "(2+2β)/η", "(2+2β)/(η(1+2β))" or "(2+2β1)/((1−β1)η)". */
    public String thresholdFormula() {
        switch (kind) {
            case MOMENTUM:
                return "(2+2β)/η";
            case NESTEROV:
                return "(2+2β)/(η(1+2β))";
            case ADAM:
            case ADAMW:
                return "(2+2β1)/((1−β1)η)";
            default:
                return "2/η";
        }
    }

    /** The snapshot metadata that describe these settings (only the fields the kind uses). */
    public Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(KEY_OPTIMIZER, kind.id());
        m.put("lr", Double.toString(lr));
        if (momentum != 0) {
            m.put("momentum", Double.toString(momentum));
        }
        if (kind == OptimizerKind.ADAM || kind == OptimizerKind.ADAMW) {
            m.put("beta1", Double.toString(beta1));
        }
        if (kind.adaptive()) {
            m.put("beta2", Double.toString(beta2));
            m.put("eps", Double.toString(eps));
        }
        if (kind == OptimizerKind.ADAMW) {
            m.put("weight_decay", Double.toString(weightDecay));
        }
        return m;
    }

    /**
     * The settings a snapshot's metadata describe; a snapshot without {@code optimizer} is plain GD (the snapshots of
     * eoscope before optimizers had their own edge). Unstated hyper-parameters take {@link #defaults}.
     *
     * @throws IllegalArgumentException naming the field that is missing or wrong
     */
    public static OptimizerSettings fromMetadata(Map<String, String> metadata) {
        String name = metadata.get(KEY_OPTIMIZER);
        OptimizerKind kind = name == null ? OptimizerKind.GD : OptimizerKind.parse("field '" + KEY_OPTIMIZER + "'", name);
        if (metadata.get("lr") == null) {
            throw new IllegalArgumentException("field 'lr' is required to judge the optimizer's stability");
        }
        OptimizerSettings d = defaults(kind, number(metadata, "lr", 1));
        try {
            return new OptimizerSettings(kind, d.lr(), number(metadata, "momentum", d.momentum()),
                    number(metadata, "beta1", d.beta1()), number(metadata, "beta2", d.beta2()),
                    number(metadata, "eps", d.eps()), number(metadata, "weight_decay", d.weightDecay()));
        } catch (IllegalArgumentException e) {
            // the constructor names the command-line option; a reader of a snapshot needs the field
            throw new IllegalArgumentException("metadata: " + e.getMessage().replaceFirst("^--([a-z0-9-]+)",
                    "field '$1'").replace("field 'weight-decay'", "field 'weight_decay'"));
        }
    }

    private static double number(Map<String, String> metadata, String key, double otherwise) {
        String text = metadata.get(key);
        if (text == null) {
            return otherwise;
        }
        try {
            double v = Double.parseDouble(text.trim());
            if (!Double.isFinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("field '" + key + "' must be a finite number, got '" + text + "'");
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s(%s)", kind.id(), metadata());
    }
}
