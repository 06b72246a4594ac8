package io.eoscope.curvature.io;

import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.ModelState;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Dataset files (docs/contracts.md#dataset-files): {@code x} with shape [N, d], F32 or F64, and {@code y}
 * with shape [N], I64 or I32, holding class labels 0..C−1, where C is the output width of the
 * model the data is used with ({@link #checkAgainst}).
 */
public final class DatasetFile {
    private DatasetFile() {}

    /**
     * Reads and validates a dataset file: shapes, dtypes, finite inputs, non-negative labels. The
     * upper bound of the labels depends on the model: see {@link #checkAgainst}.
     *
     * @throws InputException naming the file, the problem and the tensor
     */
    public static LabeledData read(Path path) throws InputException {
        return fromSafetensors(Safetensors.read(path), path.toString());
    }

    /** Decodes and validates a dataset from the bytes of a safetensors file. */
    public static LabeledData decode(byte[] bytes, String source) throws InputException {
        return fromSafetensors(Safetensors.decode(bytes, source), source);
    }

    /**
     * Validates the content of a dataset file.
     *
     * @param source names the file in error messages
     */
    public static LabeledData fromSafetensors(SafetensorsFile file, String source) throws InputException {
        Map<String, Tensor> tensors = file.tensors();
        for (String name : new String[] {"x", "y"}) {
            if (!tensors.containsKey(name)) {
                boolean model = tensors.containsKey("layer1.weight");
                throw new InputException(source + ": no tensor '" + name + "' (a dataset holds x [N, d] and y [N]"
                        + (model ? "; this looks like a model file" : "") + ")");
            }
        }
        for (String name : tensors.keySet()) {
            if (!name.equals("x") && !name.equals("y")) {
                throw new InputException(source + ": unexpected tensor " + Messages.quote(name)
                        + " (a dataset holds only x and y)");
            }
        }
        Tensor x = tensors.get("x");
        Tensor y = tensors.get("y");
        if (!x.dtype().holdsDoubles() || x.rank() != 2) {
            throw new InputException(source + ": tensor 'x' is " + x + ", expected F32 or F64 with shape [N, d]");
        }
        if (!y.dtype().holdsLongs() || y.rank() != 1) {
            throw new InputException(source + ": tensor 'y' is " + y + ", expected I64 or I32 with shape [N]");
        }
        if (x.dim(0) != y.dim(0)) {
            throw new InputException(source + ": x has " + x.dim(0) + " samples (shape " + Arrays.toString(x.shape())
                    + ") but y has " + y.dim(0) + " labels");
        }
        if (x.dim(0) == 0) {
            throw new InputException(source + ": the dataset is empty (N = 0)");
        }
        if (x.dim(1) == 0) {
            throw new InputException(source + ": tensor 'x' has shape " + Arrays.toString(x.shape()) + ", no input features (d = 0)");
        }
        double[] inputs = ModelFile.finite(x, "x", source);
        long[] labels = y.toLongs();
        int[] classes = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > Integer.MAX_VALUE) {
                throw new InputException(source + ": label y[" + i + "] = " + labels[i] + " is not a class index"
                        + (labels[i] < 0 ? " (negative)" : " (out of int range)"));
            }
            classes[i] = (int) labels[i];
        }
        return new LabeledData((int) x.dim(0), (int) x.dim(1), inputs, classes);
    }

    /**
     * Checks a dataset against the model it is used with: input width d = d_0, and labels in
     * 0..C−1 where C = d_L.
     *
     * @param dataPath names the dataset in error messages
     * @throws InputException naming the dataset, and the first bad label and its index
     */
    public static void checkAgainst(LabeledData data, ModelState model, Path dataPath) throws InputException {
        checkAgainst(data, model, dataPath.toString());
    }

    /** {@link #checkAgainst(LabeledData, ModelState, Path)} for data from any source. */
    public static void checkAgainst(LabeledData data, ModelState model, String source) throws InputException {
        if (data.inputWidth() != model.inputWidth()) {
            throw new InputException(source + ": inputs have width " + data.inputWidth() + ", which does not match the model's "
                    + (model instanceof MlpModel ? "first layer (d_0 = " + model.inputWidth() + ")"
                            : "input (" + model.architecture() + ", d = " + model.inputWidth() + ")"));
        }
        int c = model.classes();
        for (int i = 0; i < data.n(); i++) {
            if (data.y()[i] < 0 || data.y()[i] >= c) {
                throw new InputException(source + ": label y[" + i + "] = " + data.y()[i] + " is outside 0.."
                        + (c - 1) + " (the model has " + c + " outputs; this is the first label outside that range)");
            }
        }
    }

    /** The safetensors content of a dataset: x in {@code xPrecision} (F32 or F64), y as I64. */
    public static SafetensorsFile toSafetensors(LabeledData data, DType xPrecision, Map<String, String> metadata) {
        if (!xPrecision.holdsDoubles()) {
            throw new IllegalArgumentException("dataset inputs are stored as F32 or F64, not " + xPrecision);
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("x", Tensor.ofDoubles(xPrecision, new long[] {data.n(), data.inputWidth()}, data.x()));
        tensors.put("y", Tensor.ofLongs(DType.I64, new long[] {data.n()}, Arrays.stream(data.y()).asLongStream().toArray()));
        return new SafetensorsFile(tensors, metadata);
    }

    /** The bytes of a dataset file (see {@link #toSafetensors}), with no metadata. */
    public static byte[] encode(LabeledData data, DType xPrecision) {
        return Safetensors.encode(toSafetensors(data, xPrecision, Map.of()));
    }

    /**
     * Writes a dataset file atomically: x in {@code xPrecision} (F32 or F64), y as I64.
     *
     * @throws InputException {@code "<path>: cannot write (<reason>)"}
     */
    public static void write(Path path, LabeledData data, DType xPrecision) throws InputException {
        Safetensors.write(path, toSafetensors(data, xPrecision, Map.of()));
    }
}
