package io.eoscope.curvature.io;

import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Model and snapshot files (CONTRACTS.md section 2): tensors {@code layer{l}.weight} [d_l, d_{l-1}]
 * and {@code layer{l}.bias} [d_l] for l = 1..L, F32 or F64; {@code __metadata__} with at least
 * {@code activation} and {@code loss}, plus anything else (run, step, time, …), which is kept.
 */
public final class ModelFile {
    private ModelFile() {}

    /** Reads and validates a model file. */
    public static MlpModel read(Path path) throws InputException {
        return fromSafetensors(Safetensors.read(path), path.toString());
    }

    /** Validates the content of a model file; {@code source} names it in errors. */
    public static MlpModel fromSafetensors(SafetensorsFile file, String source) throws InputException {
        Map<String, Tensor> tensors = new LinkedHashMap<>(file.tensors());
        if (!tensors.containsKey("layer1.weight")) {
            throw new InputException(source + ": no tensor 'layer1.weight' (a model holds layer{l}.weight and layer{l}.bias)");
        }
        List<Integer> widths = new ArrayList<>();
        List<double[]> weights = new ArrayList<>();
        List<double[]> biases = new ArrayList<>();
        DType precision = tensors.get("layer1.weight").dtype();
        for (int l = 1; tensors.containsKey("layer" + l + ".weight"); l++) {
            Tensor w = tensors.remove("layer" + l + ".weight");
            Tensor b = tensors.remove("layer" + l + ".bias");
            if (b == null) {
                throw new InputException(source + ": tensor 'layer" + l + ".bias' is missing");
            }
            for (Tensor t : new Tensor[] {w, b}) {
                String name = "layer" + l + (t == w ? ".weight" : ".bias");
                if (!t.dtype().isFloat()) {
                    throw new InputException(source + ": tensor '" + name + "' has dtype " + t.dtype() + ", expected F32 or F64");
                }
                if (t.dtype() != precision) {
                    throw new InputException(source + ": tensor '" + name + "' is " + t.dtype() + " but layer1.weight is " + precision);
                }
            }
            if (w.shape().length != 2) {
                throw new InputException(source + ": tensor 'layer" + l + ".weight' has shape " + Arrays.toString(w.shape())
                        + ", expected 2 dimensions [d_" + l + ", d_" + (l - 1) + "]");
            }
            if (b.shape().length != 1 || b.shape()[0] != w.shape()[0]) {
                throw new InputException(source + ": tensor 'layer" + l + ".bias' has shape " + Arrays.toString(b.shape())
                        + ", expected [" + w.shape()[0] + "] to match layer" + l + ".weight " + Arrays.toString(w.shape()));
            }
            if (w.shape()[0] == 0 || w.shape()[1] == 0 || w.shape()[0] > Integer.MAX_VALUE || w.shape()[1] > Integer.MAX_VALUE) {
                throw new InputException(source + ": tensor 'layer" + l + ".weight' has an empty or absurd shape " + Arrays.toString(w.shape()));
            }
            if (l == 1) {
                widths.add((int) w.shape()[1]);
            } else if (w.shape()[1] != widths.get(widths.size() - 1)) {
                throw new InputException(source + ": tensor 'layer" + l + ".weight' has shape " + Arrays.toString(w.shape())
                        + " but layer" + (l - 1) + " outputs " + widths.get(widths.size() - 1) + " values (expected ["
                        + w.shape()[0] + ", " + widths.get(widths.size() - 1) + "])");
            }
            widths.add((int) w.shape()[0]);
            weights.add(finite(w, source, "layer" + l + ".weight"));
            biases.add(finite(b, source, "layer" + l + ".bias"));
        }
        if (!tensors.isEmpty()) {
            throw new InputException(source + ": unexpected tensor '" + tensors.keySet().iterator().next()
                    + "' (a model holds only layer1..layer" + weights.size() + " weights and biases)");
        }
        Map<String, String> meta = file.metadata();
        Activation activation;
        Loss loss;
        try {
            activation = Activation.parse(required(meta, "activation", source));
            loss = Loss.parse(required(meta, "loss", source));
        } catch (IllegalArgumentException e) {
            throw new InputException(source + ": " + e.getMessage());
        }
        int[] w = widths.stream().mapToInt(Integer::intValue).toArray();
        return new MlpModel(w, activation, loss, weights, biases, meta);
    }

    /** The safetensors content of a model in the given precision (F32 or F64). */
    public static SafetensorsFile toSafetensors(MlpModel model, DType precision) {
        if (!precision.isFloat()) {
            throw new IllegalArgumentException("model precision must be F32 or F64");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        int[] w = model.widths();
        for (int l = 1; l <= model.layers(); l++) {
            tensors.put("layer" + l + ".weight", Tensor.ofDoubles(precision, new long[] {w[l], w[l - 1]}, model.weights().get(l - 1)));
            tensors.put("layer" + l + ".bias", Tensor.ofDoubles(precision, new long[] {w[l]}, model.biases().get(l - 1)));
        }
        Map<String, String> meta = new LinkedHashMap<>(model.metadata());
        meta.put("activation", model.activation().id());
        meta.put("loss", model.loss().id());
        return new SafetensorsFile(tensors, meta);
    }

    /** Writes a model file atomically. */
    public static void write(Path path, MlpModel model, DType precision) throws IOException {
        Safetensors.write(path, toSafetensors(model, precision));
    }

    private static String required(Map<String, String> meta, String key, String source) throws InputException {
        String v = meta.get(key);
        if (v == null) {
            throw new InputException(source + ": metadata has no '" + key + "' (CONTRACTS.md section 2)");
        }
        return v;
    }

    static double[] finite(Tensor t, String source, String name) throws InputException {
        double[] values = t.toDoubles();
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new InputException(source + ": tensor '" + name + "' holds a non-finite value (" + values[i]
                        + " at flat index " + i + ")");
            }
        }
        return values;
    }
}
