package io.eoscope.trainer.run;

import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.io.SafetensorsFile;
import io.eoscope.curvature.io.Tensor;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.OptimizerState;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The optimizer's state in a snapshot (docs/contracts.md#model-files): the number of steps taken, and each buffer of
 * {@link OptimizerState#buffers} as one tensor per parameter, named {@link OptimizerState#tensorName}, the shape and
 * dtype of that parameter. In the trainer a buffer is one flat vector in θ's order (A¹, b¹, A², b², …).
 *
 * @param steps the steps taken (metadata {@link OptimizerSettings#KEY_STEP})
 * @param buffers the flat buffers by buffer name; a buffer not yet written (before the first step) is absent and
 *     written as zeros
 */
public record OptimizerCheckpoint(long steps, Map<String, double[]> buffers) {
    /** The metadata key of a mini-batch run's batch size B. */
    public static final String KEY_BATCH_SIZE = "batch_size";

    /** Copies the map. */
    public OptimizerCheckpoint {
        buffers = Map.copyOf(buffers);
    }

    /**
     * The file without its optimizer state tensors: the model alone, as {@link io.eoscope.curvature.io.ModelFile}
     * reads it.
     */
    public static SafetensorsFile withoutState(SafetensorsFile file) {
        Map<String, Tensor> model = new LinkedHashMap<>();
        file.tensors().forEach((name, t) -> {
            if (!OptimizerState.isState(name)) {
                model.put(name, t);
            }
        });
        // the optimizer's metadata go with its state: a reader would otherwise look for the state they describe
        Map<String, String> metadata = new LinkedHashMap<>(file.metadata());
        metadata.keySet().removeAll(java.util.List.of(OptimizerSettings.KEY_OPTIMIZER, OptimizerSettings.KEY_STEP, KEY_BATCH_SIZE,
                "momentum", "beta1", "beta2", "eps", "weight_decay"));
        return new SafetensorsFile(model, metadata);
    }

    /** The state tensors of {@code kind} for {@code model}'s parameters, in {@code precision}. */
    public Map<String, Tensor> tensors(OptimizerKind kind, MlpModel model, DType precision) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        int[] w = model.widths();
        int total = Math.toIntExact(model.parameterCount());
        for (String buffer : OptimizerState.buffers(kind)) {
            double[] flat = buffers.getOrDefault(buffer, new double[total]);
            if (flat.length != total) {
                throw new IllegalArgumentException(buffer + " has " + flat.length + " values for " + total + " parameters");
            }
            int at = 0;
            for (int l = 1; l <= model.layers(); l++) {
                int weights = w[l] * w[l - 1];
                out.put(OptimizerState.tensorName(buffer, "layer" + l + ".weight"),
                        Tensor.ofDoubles(precision, new long[] {w[l], w[l - 1]}, Arrays.copyOfRange(flat, at, at + weights)));
                at += weights;
                out.put(OptimizerState.tensorName(buffer, "layer" + l + ".bias"),
                        Tensor.ofDoubles(precision, new long[] {w[l]}, Arrays.copyOfRange(flat, at, at + w[l])));
                at += w[l];
            }
        }
        return out;
    }

    /**
     * The state of {@code kind} in a snapshot of {@code model}: every buffer's tensors, each the shape and dtype of its
     * parameter, and {@code optimizer_step} (the snapshot's {@code step} when absent).
     *
     * @param source names the file in errors
     * @throws InputException naming the tensor or field that is missing or wrong
     */
    public static OptimizerCheckpoint read(SafetensorsFile file, OptimizerKind kind, MlpModel model, String source)
            throws InputException {
        Map<String, String> metadata = file.metadata();
        String stepText = metadata.getOrDefault(OptimizerSettings.KEY_STEP, metadata.getOrDefault("step", "0"));
        long steps;
        try {
            steps = Long.parseLong(stepText.trim());
        } catch (NumberFormatException e) {
            throw new InputException(source + ": metadata field '" + OptimizerSettings.KEY_STEP + "' must be a whole number,"
                    + " got '" + stepText + "'");
        }
        String written = metadata.getOrDefault(OptimizerSettings.KEY_OPTIMIZER, OptimizerKind.GD.id());
        if (!written.equals(kind.id())) {
            throw new InputException(source + ": metadata field '" + OptimizerSettings.KEY_OPTIMIZER + "' is '" + written
                    + "' but the run's run.json says " + kind.id());
        }
        Map<String, double[]> buffers = new LinkedHashMap<>();
        int[] w = model.widths();
        for (String buffer : OptimizerState.buffers(kind)) {
            double[] flat = new double[Math.toIntExact(model.parameterCount())];
            int at = 0;
            for (int l = 1; l <= model.layers(); l++) {
                for (String part : new String[] {"weight", "bias"}) {
                    String name = OptimizerState.tensorName(buffer, "layer" + l + "." + part);
                    Tensor t = file.tensors().get(name);
                    long[] shape = part.equals("weight") ? new long[] {w[l], w[l - 1]} : new long[] {w[l]};
                    if (t == null) {
                        throw new InputException(source + ": tensor '" + name + "' is missing (the " + kind.id()
                                + " optimizer's state; --resume needs it)");
                    }
                    DType dtype = file.tensors().get("layer" + l + "." + part).dtype();
                    if (!Arrays.equals(t.shape(), shape) || t.dtype() != dtype) {
                        throw new InputException(source + ": tensor '" + name + "' is " + t.dtype() + " " + Arrays.toString(t.shape())
                                + ", expected " + dtype + " " + Arrays.toString(shape) + " as its parameter");
                    }
                    double[] values = t.toDoubles();
                    System.arraycopy(values, 0, flat, at, values.length);
                    at += values.length;
                }
            }
            buffers.put(buffer, flat);
        }
        return new OptimizerCheckpoint(steps, buffers);
    }
}
