package io.eoscope.curvature.optim;

import java.math.BigDecimal;
import java.util.Map;

/**
 * What a snapshot says about the optimizer that produced it, all an analysis needs to judge the run against its own
 * edge of stability (docs/science.md#other-optimizers): the settings, the steps taken, the batch size and the state.
 *
 * @param settings the optimizer and its hyper-parameters
 * @param step t, the optimizer steps taken (metadata {@value OptimizerSettings#KEY_STEP}); −1 when not stated
 * @param batchSize B of a mini-batch run (metadata {@value #KEY_BATCH_SIZE}); 0 for a full-batch run
 * @param state the state tensors by name ({@link OptimizerState#tensorName}), values row-major in float64
 */
public record OptimizerSnapshot(OptimizerSettings settings, long step, int batchSize, Map<String, double[]> state) {
    /** The metadata key of a mini-batch run's batch size. */
    public static final String KEY_BATCH_SIZE = "batch_size";
    /** The metadata key of the solver of eoscope's own trainer ({@code gd}, {@code adaptive-gd}, {@code exp-euler}). */
    public static final String KEY_SOLVER = "solver";

    /** Validates and copies. */
    public OptimizerSnapshot {
        if (settings == null) {
            throw new IllegalArgumentException("settings are required");
        }
        if (step < -1) {
            throw new IllegalArgumentException("field '" + OptimizerSettings.KEY_STEP + "' must be ≥ 0, got " + step);
        }
        if (batchSize < 0) {
            throw new IllegalArgumentException("field '" + KEY_BATCH_SIZE + "' must be ≥ 1, got " + batchSize);
        }
        state = Map.copyOf(state);
    }

    /** Whether the run trains on mini-batches of a dataset of {@code n} samples (B < N). */
    public boolean miniBatch(int n) {
        return batchSize > 0 && batchSize < n;
    }

    /** The quantity the run's stability is judged by on a dataset of {@code n} samples. */
    public StabilityQuantity quantity(int n) {
        return settings.quantity(miniBatch(n));
    }

    /** {@link #fromMetadata} of a model or snapshot file's metadata and state tensors (validated when it was read). */
    public static OptimizerSnapshot of(io.eoscope.curvature.net.ModelState state) {
        return fromMetadata(state.metadata(), state.optimizerState());
    }

    /**
     * The optimizer a snapshot's metadata describe, with its state tensors; null when the metadata give nothing to
     * judge stability by: no {@value OptimizerSettings#KEY_OPTIMIZER} and either no {@code lr} that is a step size or a
     * solver of eoscope's trainer other than {@code gd} (adaptive GD and exponential Euler choose their own step sizes).
     *
     * @throws IllegalArgumentException naming the metadata field that is wrong
     */
    public static OptimizerSnapshot fromMetadata(Map<String, String> metadata, Map<String, double[]> state) {
        if (!metadata.containsKey(OptimizerSettings.KEY_OPTIMIZER)) {
            String solver = metadata.get(KEY_SOLVER);
            if (!positive(metadata.get("lr")) || solver != null && !solver.equals("gd")) {
                // a file from before optimizers had their own edge: its lr was information only (the wire's rules judge
                // a snapshot's lr), so one that is not a step size leaves nothing to judge, as no lr does
                whole(metadata, KEY_BATCH_SIZE, 0, 1);
                return null;
            }
        }
        OptimizerSettings settings = OptimizerSettings.fromMetadata(metadata);
        long step = whole(metadata, OptimizerSettings.KEY_STEP, -1, 0);
        long batch = whole(metadata, KEY_BATCH_SIZE, 0, 1);
        if (batch > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("field '" + KEY_BATCH_SIZE + "' must be at most " + Integer.MAX_VALUE + ", got " + batch);
        }
        return new OptimizerSnapshot(settings, step, (int) batch, state);
    }

    private static boolean positive(String text) {
        try {
            double v = text == null ? Double.NaN : Double.parseDouble(text.trim());
            return v > 0 && Double.isFinite(v);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static long whole(Map<String, String> metadata, String key, long otherwise, long least) {
        String text = metadata.get(key);
        if (text == null) {
            return otherwise;
        }
        long v;
        try {
            v = new BigDecimal(text.trim()).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("field '" + key + "' must be a whole number, got '" + text + "'");
        }
        if (v < least) {
            throw new IllegalArgumentException("field '" + key + "' must be ≥ " + least + ", got " + v);
        }
        return v;
    }
}
