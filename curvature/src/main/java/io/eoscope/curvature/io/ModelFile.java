package io.eoscope.curvature.io;

import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.ModelState;
import io.eoscope.curvature.optim.OptimizerState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Model and snapshot files (docs/contracts.md#model-files): tensors {@code layer{l}.weight} with shape
 * [d_l, d_{l-1}] and {@code layer{l}.bias} with shape [d_l] for l = 1..L, all F32 or all F64;
 * {@code __metadata__} with {@code activation} and {@code loss} and anything else (run, step,
 * time, …), all of which is kept in {@link MlpModel#metadata()}; and optionally the optimizer's state tensors
 * {@code optimizer.<buffer>.<parameter>} with the optimizer in the metadata ({@link StateTensors}), kept in
 * {@link MlpModel#optimizerState()}.
 */
public final class ModelFile {
    /** The metadata key of the activation ({@code elu}, {@code tanh}, {@code relu}, {@code gelu}). */
    public static final String ACTIVATION = "activation";
    /** The metadata key of the loss ({@code cross_entropy}, {@code mse}). */
    public static final String LOSS = "loss";

    private static final Pattern LAYER_TENSOR = Pattern.compile("layer([1-9][0-9]{0,8})\\.(weight|bias)");

    private ModelFile() {}

    /**
     * Reads and validates a model file.
     *
     * @throws InputException naming the file, the problem and the tensor or metadata key
     */
    public static MlpModel read(Path path) throws InputException {
        return fromSafetensors(Safetensors.read(path), path.toString());
    }

    /** Decodes and validates a model from the bytes of a safetensors file (a Kafka record, …). */
    public static MlpModel decode(byte[] bytes, String source) throws InputException {
        return fromSafetensors(Safetensors.decode(bytes, source), source);
    }

    /**
     * Validates the content of a model or snapshot file of either kind: a TorchScript snapshot
     * ({@link ScriptedFile}, by its metadata {@code format}) or an MLP.
     *
     * @param source names the file in error messages
     */
    public static ModelState state(SafetensorsFile file, String source) throws InputException {
        return ScriptedFile.isScripted(file) ? ScriptedFile.fromSafetensors(file, source) : fromSafetensors(file, source);
    }

    /**
     * Validates the content of a model file.
     *
     * @param source names the file in error messages
     */
    public static MlpModel fromSafetensors(SafetensorsFile file, String source) throws InputException {
        Map<String, Tensor> tensors = file.tensors();
        if (!tensors.containsKey("layer1.weight")) {
            boolean dataset = tensors.containsKey("x") && tensors.containsKey("y");
            throw new InputException(source + ": no tensor 'layer1.weight' (a model holds layer{l}.weight and layer{l}.bias"
                    + " for l = 1..L" + (dataset ? "; this looks like a dataset file" : "") + ")");
        }
        DType precision = tensors.get("layer1.weight").dtype();
        List<Integer> widths = new ArrayList<>();
        List<double[]> weights = new ArrayList<>();
        List<double[]> biases = new ArrayList<>();
        int layers = 0;
        for (int l = 1; tensors.containsKey(weightName(l)); l++) {
            Tensor w = tensors.get(weightName(l));
            Tensor b = tensors.get(biasName(l));
            if (b == null) {
                throw new InputException(source + ": tensor '" + biasName(l) + "' is missing (" + weightName(l) + " has no bias)");
            }
            checkDtype(w, weightName(l), precision, source);
            checkDtype(b, biasName(l), precision, source);
            if (w.rank() != 2) {
                throw new InputException(source + ": tensor '" + weightName(l) + "' has shape " + Arrays.toString(w.shape())
                        + ", expected 2 dimensions [d_" + l + ", d_" + (l - 1) + "]");
            }
            if (w.dim(0) == 0 || w.dim(1) == 0) {
                throw new InputException(source + ": tensor '" + weightName(l) + "' has an empty shape " + Arrays.toString(w.shape()));
            }
            if (b.rank() != 1 || b.dim(0) != w.dim(0)) {
                throw new InputException(source + ": tensor '" + biasName(l) + "' has shape " + Arrays.toString(b.shape())
                        + ", expected [" + w.dim(0) + "] to match " + weightName(l) + " " + Arrays.toString(w.shape()));
            }
            if (l == 1) {
                widths.add((int) w.dim(1));
            } else if (w.dim(1) != widths.get(l - 1)) {
                Tensor before = tensors.get(weightName(l - 1));
                throw new InputException(source + ": tensor '" + weightName(l) + "' has shape " + Arrays.toString(w.shape())
                        + " but " + weightName(l - 1) + " has shape " + Arrays.toString(before.shape())
                        + " (layer" + (l - 1) + " outputs " + widths.get(l - 1) + ", so expected ["
                        + w.dim(0) + ", " + widths.get(l - 1) + "])");
            }
            widths.add((int) w.dim(0));
            weights.add(finite(w, weightName(l), source));
            biases.add(finite(b, biasName(l), source));
            layers = l;
        }
        Map<String, Tensor> parameters = new LinkedHashMap<>();
        for (int l = 1; l <= layers; l++) {
            parameters.put(weightName(l), tensors.get(weightName(l)));
            parameters.put(biasName(l), tensors.get(biasName(l)));
        }
        Map<String, double[]> state = StateTensors.read(tensors, parameters, file.metadata(), source);
        checkNoOtherTensors(tensors, layers, source);
        Activation activation;
        Loss loss;
        try {
            activation = Activation.parse(required(file.metadata(), ACTIVATION, source));
            loss = Loss.parse(required(file.metadata(), LOSS, source));
        } catch (IllegalArgumentException e) {
            throw new InputException(source + ": metadata: " + e.getMessage());
        }
        return new MlpModel(widths.stream().mapToInt(Integer::intValue).toArray(), activation, loss, weights, biases,
                file.metadata(), state);
    }

    /**
     * The safetensors content of a model: its tensors in {@code precision} (F32 rounds to the
     * nearest float) and its metadata, sorted by key, with {@code activation} and {@code loss} set
     * from the model.
     *
     * @throws IllegalArgumentException if {@code precision} is not F32 or F64
     */
    public static SafetensorsFile toSafetensors(MlpModel model, DType precision) {
        if (!precision.holdsDoubles()) {
            throw new IllegalArgumentException("a model is stored as F32 or F64, not " + precision);
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        int[] w = model.widths();
        for (int l = 1; l <= model.layers(); l++) {
            tensors.put(weightName(l), Tensor.ofDoubles(precision, new long[] {w[l], w[l - 1]}, model.weights().get(l - 1)));
            tensors.put(biasName(l), Tensor.ofDoubles(precision, new long[] {w[l]}, model.biases().get(l - 1)));
        }
        for (Map.Entry<String, double[]> e : new TreeMap<>(model.optimizerState()).entrySet()) {
            String parameter = e.getKey().substring(e.getKey().indexOf('.', OptimizerState.PREFIX.length()) + 1);
            tensors.put(e.getKey(), Tensor.ofDoubles(precision, tensors.get(parameter).shape(), e.getValue()));
        }
        Map<String, String> metadata = new TreeMap<>(model.metadata());
        metadata.put(ACTIVATION, model.activation().id());
        metadata.put(LOSS, model.loss().id());
        return new SafetensorsFile(tensors, metadata);
    }

    /** The bytes of a model file (see {@link #toSafetensors}). */
    public static byte[] encode(MlpModel model, DType precision) {
        return Safetensors.encode(toSafetensors(model, precision));
    }

    /**
     * Writes a model file atomically (see {@link #toSafetensors}).
     *
     * @param precision F32 or F64
     * @throws InputException {@code "<path>: cannot write (<reason>)"}
     */
    public static void write(Path path, MlpModel model, DType precision) throws InputException {
        Safetensors.write(path, toSafetensors(model, precision));
    }

    private static String weightName(int l) {
        return "layer" + l + ".weight";
    }

    private static String biasName(int l) {
        return "layer" + l + ".bias";
    }

    private static void checkDtype(Tensor t, String name, DType precision, String source) throws InputException {
        if (!t.dtype().holdsDoubles()) {
            throw new InputException(source + ": tensor '" + name + "' has dtype " + t.dtype() + ", expected F32 or F64");
        }
        if (t.dtype() != precision) {
            throw new InputException(source + ": tensor '" + name + "' is " + t.dtype() + " but layer1.weight is "
                    + precision + " (all tensors of a model must have the same dtype)");
        }
    }

    /** After layers 1..L, only layer1..L tensors may remain; names the first stray one clearly. */
    private static void checkNoOtherTensors(Map<String, Tensor> tensors, int layers, String source) throws InputException {
        for (String name : tensors.keySet()) {
            Matcher m = LAYER_TENSOR.matcher(name);
            if (m.matches() && Integer.parseInt(m.group(1)) <= layers || OptimizerState.isState(name)) {
                continue; // state tensors: validated by StateTensors
            }
            String next = weightName(layers + 1);
            if (m.matches()) {
                throw new InputException(source + ": tensor " + Messages.quote(name) + " has no '" + next
                        + "' (layers must be numbered 1..L without gaps, each with a weight and a bias)");
            }
            throw new InputException(source + ": unexpected tensor " + Messages.quote(name)
                    + " (a model holds only layer{l}.weight and layer{l}.bias for l = 1.." + layers + ")");
        }
    }

    private static String required(Map<String, String> metadata, String key, String source) throws InputException {
        String value = metadata.get(key);
        if (value == null) {
            throw new InputException(source + ": metadata has no '" + key + "' (docs/contracts.md#model-files)");
        }
        return value;
    }

    /** The values of an F32/F64 tensor, all finite; names the tensor and index of the first that is not. */
    static double[] finite(Tensor t, String name, String source) throws InputException {
        double[] values = t.toDoubles();
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new InputException(source + ": tensor " + Messages.quote(name) + " holds a non-finite value ("
                        + values[i] + " at flat index " + i + ")");
            }
        }
        return values;
    }
}
