package io.eoscope.wire;

import java.util.Locale;

/**
 * One rule per field, for every record that carries the field: the trainer's and the Python client's telemetry, the
 * snapshots' metadata, the analyzer's metrics and the runs records. The record classes apply them in their
 * validating constructors, which their parsers go through, so a producer cannot write what a consumer refuses and
 * the analyzer cannot analyse what the gateway would dead-letter. Each rule returns the value or throws an
 * {@link IllegalArgumentException} whose message names the field as the wire writes it; parsers turn it into a
 * {@link MalformedRecordException} (the dead letter's reason). NaN stands for JSON {@code null}: unknown, or not
 * finite where the quantity can diverge (a loss); a rule says whether it allows it.
 */
public final class FieldRules {
    /**
     * The largest step: 2<sup>53</sup> − 1, the largest whole number every reader holds exactly (the web page's
     * JavaScript numbers and Prometheus samples are doubles). A trainer taking a million steps a second would need
     * 285 years to reach it, so a larger step is a corrupt record, never a long run.
     */
    public static final long MAX_STEP = (1L << 53) - 1;

    private FieldRules() {}

    /** A step: a whole number in 0..{@link #MAX_STEP}. */
    public static long step(String field, long value) {
        if (value < 0 || value > MAX_STEP) {
            throw new IllegalArgumentException("field '" + field + "' must be a step in 0.." + MAX_STEP + ", got " + value);
        }
        return value;
    }

    /** A heartbeat's last completed step: {@code -1} (none yet) or a {@link #step}. */
    public static long lastStep(String field, long value) {
        if (value < -1 || value > MAX_STEP) {
            throw new IllegalArgumentException("field '" + field + "' must be -1 (no step yet) or a step in 0.." + MAX_STEP + ", got "
                    + value);
        }
        return value;
    }

    /** A count (products, samples, parameters, classes): a whole number ≥ 0. */
    public static long count(String field, long value) {
        if (value < 0) {
            throw new IllegalArgumentException("field '" + field + "' must be a count ≥ 0, got " + value);
        }
        return value;
    }

    /** Continuous time t of the gradient flow: finite and ≥ 0, or NaN (null: unknown). */
    public static double time(String field, double value) {
        if (!Double.isNaN(value) && !(value >= 0 && Double.isFinite(value))) {
            throw new IllegalArgumentException("field '" + field + "' must be a time: a finite number ≥ 0 (or null: unknown), got "
                    + shown(value));
        }
        return value;
    }

    /** A step size (η, η_max, a step's size): finite and > 0, or NaN (null: unknown). */
    public static double stepSize(String field, double value) {
        if (!Double.isNaN(value) && !(value > 0 && Double.isFinite(value))) {
            throw new IllegalArgumentException("field '" + field + "' must be a step size: a finite number > 0 (or null: unknown), got "
                    + shown(value));
        }
        return value;
    }

    /**
     * A stability threshold (docs/science.md#other-optimizers: 2/η, (2+2β)/η, …): finite and > 0, or NaN (null: unknown,
     * or no step taken).
     */
    public static double threshold(String field, double value) {
        if (!Double.isNaN(value) && !(value > 0 && Double.isFinite(value))) {
            throw new IllegalArgumentException("field '" + field + "' must be a threshold: a finite number > 0 (or null: unknown), got "
                    + shown(value));
        }
        return value;
    }

    /** An epoch of mini-batch training: a whole number in 0..{@link #MAX_STEP}, or {@code -1} (a full-batch step: none). */
    public static long epoch(String field, long value) {
        if (value < -1 || value > MAX_STEP) {
            throw new IllegalArgumentException("field '" + field + "' must be an epoch in 0.." + MAX_STEP + " (or absent: a full-batch"
                    + " step), got " + value);
        }
        return value;
    }

    /** A mini-batch size B: a whole number ≥ 1 (at most N, which the record that knows N checks). */
    public static long batchSize(String field, long value) {
        if (value < 1) {
            throw new IllegalArgumentException("field '" + field + "' must be a batch size ≥ 1, got " + value);
        }
        return value;
    }

    /** A loss (mean squared error, cross-entropy): ≥ 0, or NaN (null: not finite, a diverged run, or unknown). */
    public static double loss(String field, double value) {
        if (value < 0 || value == Double.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("field '" + field + "' must be a loss ≥ 0 (or null: not finite), got " + shown(value));
        }
        return value;
    }

    /** An accuracy: a fraction in [0, 1], or NaN (null: unknown). */
    public static double accuracy(String field, double value) {
        if (!Double.isNaN(value) && !(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException("field '" + field + "' must be an accuracy in [0, 1] (or null: unknown), got "
                    + shown(value));
        }
        return value;
    }

    /** A duration in seconds: ≥ 0, or NaN (null: unknown). */
    public static double seconds(String field, double value) {
        if (!Double.isNaN(value) && !(value >= 0 && Double.isFinite(value))) {
            throw new IllegalArgumentException("field '" + field + "' must be seconds ≥ 0 (or null: unknown), got " + shown(value));
        }
        return value;
    }

    /** The optimizers of docs/science.md#other-optimizers, by their wire names (the trainer's {@code --optimizer}). */
    public static final java.util.List<String> OPTIMIZERS = java.util.Arrays.stream(
            io.eoscope.curvature.optim.OptimizerKind.values()).map(io.eoscope.curvature.optim.OptimizerKind::id).toList();
    /** The quantities an optimizer's stability is judged by, by their wire names. */
    public static final java.util.List<String> STABILITY_QUANTITIES = java.util.Arrays.stream(
            io.eoscope.curvature.optim.StabilityQuantity.values()).map(io.eoscope.curvature.optim.StabilityQuantity::id).toList();

    /** One of {@code allowed}. */
    public static String oneOf(String field, String value, java.util.List<String> allowed) {
        if (value == null || !allowed.contains(value)) {
            throw new IllegalArgumentException("field '" + field + "' must be one of " + String.join(", ", allowed) + ", got "
                    + (value == null ? "nothing" : "'" + DeadLetter.brief(value) + "'"));
        }
        return value;
    }

    /** A text of at most {@code most} characters (a formula, a note, a reason), or null. */
    public static String text(String field, String value, int most) {
        if (value != null && value.length() > most) {
            throw new IllegalArgumentException("field '" + field + "' must be at most " + most + " characters, got " + value.length());
        }
        return value;
    }

    /**
     * An error bound of a spectral number (a residual bound ‖Av − θv‖, a Kato–Temple bound r²/δ): finite and ≥ 0, or
     * NaN (null: no bound known, as when a Ritz value has no known gap).
     */
    public static double errorBound(String field, double value) {
        if (!Double.isNaN(value) && !(value >= 0 && Double.isFinite(value))) {
            throw new IllegalArgumentException("field '" + field + "' must be an error bound: a finite number ≥ 0 (or null: none"
                    + " known), got " + shown(value));
        }
        return value;
    }

    /** An interval's stated coverage: a probability in (0, 1] (1 for an exact value). */
    public static double coverage(String field, double value) {
        if (!(value > 0 && value <= 1)) {
            throw new IllegalArgumentException("field '" + field + "' must be a coverage in (0, 1], got " + shown(value));
        }
        return value;
    }

    /** A whole number ≥ 1 (probes, Lanczos steps). */
    public static long positive(String field, long value) {
        if (value < 1) {
            throw new IllegalArgumentException("field '" + field + "' must be a whole number ≥ 1, got " + value);
        }
        return value;
    }

    /** A value that must be known (not NaN) where its record requires it, such as a snapshot's time. */
    public static double known(String field, double value) {
        if (Double.isNaN(value)) {
            throw new IllegalArgumentException("field '" + field + "' must be known (a finite number), got NaN");
        }
        return value;
    }

    private static String shown(double v) {
        return String.format(Locale.ROOT, "%s", v);
    }
}
