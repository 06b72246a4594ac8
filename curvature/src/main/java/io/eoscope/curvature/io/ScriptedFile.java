package io.eoscope.curvature.io;

import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.ScriptedParameters;
import java.nio.file.Path;
import io.eoscope.curvature.optim.OptimizerState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Snapshot files of TorchScript runs: every tensor is a parameter named as the module names it
 * ({@code conv1.weight}), F32 or F64; {@code __metadata__} holds {@code format} = {@code torchscript},
 * {@code module} (the SHA-256 of the bytes of the module traced in float64, hex), optionally {@code module_float32}
 * (the same module traced in float32), {@code input_shape} (one sample's shape,
 * comma-separated: {@code 3,8,8}), {@code classes} and {@code loss}, plus run, step, time, … as any snapshot; and
 * optionally the optimizer's state tensors {@code optimizer.<buffer>.<parameter>} ({@link StateTensors}).
 */
public final class ScriptedFile {
    /** The metadata key that tells a TorchScript snapshot from an MLP one. */
    public static final String FORMAT = "format";
    /** The value of {@link #FORMAT} for TorchScript snapshots. */
    public static final String TORCHSCRIPT = "torchscript";
    /** The metadata key of the module's content hash. */
    public static final String MODULE = "module";
    /** The metadata key of the content hash of the module traced in float32 (optional). */
    public static final String MODULE_FLOAT32 = "module_float32";
    /** The metadata key of one sample's shape. */
    public static final String INPUT_SHAPE = "input_shape";
    /** The metadata key of the output width C. */
    public static final String CLASSES = "classes";

    private ScriptedFile() {}

    /** Whether {@code file} is a TorchScript snapshot (by its metadata {@code format}). */
    public static boolean isScripted(SafetensorsFile file) {
        return TORCHSCRIPT.equals(file.metadata().get(FORMAT));
    }

    /** Reads and validates a TorchScript snapshot file. */
    public static ScriptedParameters read(Path path) throws InputException {
        return fromSafetensors(Safetensors.read(path), path.toString());
    }

    /**
     * Validates the content of a TorchScript snapshot.
     *
     * @param source names the file in error messages
     */
    public static ScriptedParameters fromSafetensors(SafetensorsFile file, String source) throws InputException {
        Map<String, String> meta = file.metadata();
        if (!isScripted(file)) {
            throw new InputException(source + ": metadata 'format' is " + Messages.quote(String.valueOf(meta.get(FORMAT)))
                    + ", expected 'torchscript'");
        }
        String module = hash(MODULE, required(meta, MODULE, source), source);
        String moduleFloat32 = meta.containsKey(MODULE_FLOAT32) ? hash(MODULE_FLOAT32, meta.get(MODULE_FLOAT32), source) : null;
        long[] shape;
        int classes;
        Loss loss;
        try {
            String[] parts = required(meta, INPUT_SHAPE, source).split(",");
            shape = new long[parts.length];
            for (int i = 0; i < parts.length; i++) {
                shape[i] = Long.parseLong(parts[i].trim());
                if (shape[i] <= 0) {
                    throw new NumberFormatException();
                }
            }
            classes = Integer.parseInt(required(meta, CLASSES, source).trim());
            if (classes <= 0) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new InputException(source + ": metadata 'input_shape' must be positive integers separated by commas and "
                    + "'classes' a positive integer, got " + Messages.quote(meta.get(INPUT_SHAPE)) + " and "
                    + Messages.quote(meta.get(CLASSES)));
        }
        try {
            loss = Loss.parse(required(meta, ModelFile.LOSS, source));
        } catch (IllegalArgumentException e) {
            throw new InputException(source + ": metadata: " + e.getMessage());
        }
        List<ScriptedParameters.Parameter> parameters = new ArrayList<>();
        DType valueType = null;
        Map<String, Tensor> named = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : file.tensors().entrySet()) {
            if (OptimizerState.isState(e.getKey())) {
                continue; // state tensors: validated by StateTensors below
            }
            named.put(e.getKey(), e.getValue());
            Tensor t = e.getValue();
            if (!t.dtype().holdsDoubles()) {
                throw new InputException(source + ": tensor " + Messages.quote(e.getKey()) + " has dtype " + t.dtype()
                        + ", expected F32 or F64");
            }
            if (valueType != null && t.dtype() != valueType) {
                throw new InputException(source + ": the parameters mix " + valueType + " and " + t.dtype() + " (tensor "
                        + Messages.quote(e.getKey()) + "): a snapshot holds them in one precision");
            }
            valueType = t.dtype();
            parameters.add(new ScriptedParameters.Parameter(e.getKey(), t.shape(), ModelFile.finite(t, e.getKey(), source)));
        }
        if (parameters.isEmpty()) {
            throw new InputException(source + ": no tensors (a TorchScript snapshot holds the module's parameters)");
        }
        Map<String, double[]> state = StateTensors.read(file.tensors(), named, meta, source);
        return new ScriptedParameters(parameters, shape, classes, loss, module, moduleFloat32,
                valueType == DType.F32 ? DataType.FLOAT32 : DataType.FLOAT64, meta, state);
    }

    private static String hash(String key, String value, String source) throws InputException {
        if (!value.matches("[0-9a-f]{64}")) {
            throw new InputException(source + ": metadata '" + key + "' must be a SHA-256 in hex (64 characters), got "
                    + Messages.quote(value));
        }
        return value;
    }

    private static String required(Map<String, String> metadata, String key, String source) throws InputException {
        String value = metadata.get(key);
        if (value == null) {
            throw new InputException(source + ": metadata has no '" + key + "' (a TorchScript snapshot names format, module, "
                    + "input_shape, classes and loss)");
        }
        return value;
    }
}
