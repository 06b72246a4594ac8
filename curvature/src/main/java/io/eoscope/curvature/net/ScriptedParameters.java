package io.eoscope.curvature.net;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The parameters of a TorchScript module as a snapshot holds them: each named as the module names it
 * ({@code conv1.weight}, …), with the input shape of one sample, the number of outputs, the loss and the
 * content hash of the module (its TorchScript bytes are stored once per run, see {@link ScriptedModel}).
 *
 * @param parameters the named parameters, values row-major in float64
 * @param inputShape the shape of one sample as the module takes it ([3, 8, 8]); d is its product
 * @param classes C, the module's output width
 * @param loss the per-sample criterion
 * @param module the SHA-256 (hex) of the bytes of the module traced in float64
 * @param moduleFloat32 the SHA-256 (hex) of the bytes of the same module traced in float32, or null when the snapshot
 *     names none (see {@link Precision})
 * @param valueType the precision the snapshot holds the parameters in (float32 or float64; the values are widened
 *     to float64 here, exactly)
 * @param metadata the file's metadata (never null)
 * @param optimizerState the optimizer's state tensors by name (see {@link ModelState#optimizerState()}), never null
 */
public record ScriptedParameters(List<Parameter> parameters, long[] inputShape, int classes, Loss loss, String module,
        String moduleFloat32, DataType valueType, Map<String, String> metadata, Map<String, double[]> optimizerState)
        implements ModelState {

    /** Float64 parameters of a module traced in float64 only, without optimizer state. */
    public ScriptedParameters(List<Parameter> parameters, long[] inputShape, int classes, Loss loss, String module,
            Map<String, String> metadata) {
        this(parameters, inputShape, classes, loss, module, null, DataType.FLOAT64, metadata, Map.of());
    }

    /** One named parameter tensor. */
    public record Parameter(String name, long[] shape, double[] values) {
        /** Validates. */
        public Parameter {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            if (n != values.length) {
                throw new IllegalArgumentException("parameter '" + name + "' has shape " + Arrays.toString(shape) + " but "
                        + values.length + " values");
            }
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /** Validates and copies. */
    public ScriptedParameters {
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("a TorchScript snapshot needs at least one parameter");
        }
        if (inputShape.length == 0 || Arrays.stream(inputShape).anyMatch(s -> s <= 0)) {
            throw new IllegalArgumentException("input shape must be positive, got " + Arrays.toString(inputShape));
        }
        if (classes <= 0) {
            throw new IllegalArgumentException("classes must be positive, got " + classes);
        }
        if (valueType != DataType.FLOAT32 && valueType != DataType.FLOAT64) {
            throw new IllegalArgumentException("parameters must be float32 or float64, got " + valueType);
        }
        parameters = List.copyOf(parameters);
        inputShape = inputShape.clone();
        metadata = Map.copyOf(metadata);
        optimizerState = Map.copyOf(optimizerState);
    }

    @Override
    public long[] inputShape() {
        return inputShape.clone();
    }

    @Override
    public int inputWidth() {
        return Math.toIntExact(Arrays.stream(inputShape).reduce(1, Math::multiplyExact));
    }

    /** P. */
    public long parameterCount() {
        return parameters.stream().mapToLong(p -> p.values().length).sum();
    }

    @Override
    public String architecture() {
        return "torchscript " + Arrays.toString(inputShape) + " → " + classes + ", " + parameterCount() + " parameters";
    }
}
