package io.eoscope.curvature.io;

import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.MlpModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Dataset files (CONTRACTS.md section 3): {@code x} [N, d] F32 or F64 and {@code y} [N] I64 or I32
 * holding class labels 0..C−1, where C is the model's output width.
 */
public final class DatasetFile {
    private DatasetFile() {}

    /** Reads and validates a dataset file (labels are checked against a model by {@link #checkAgainst}). */
    public static LabeledData read(Path path) throws InputException {
        return fromSafetensors(Safetensors.read(path), path.toString());
    }

    /** Validates the content of a dataset file; {@code source} names it in errors. */
    public static LabeledData fromSafetensors(SafetensorsFile file, String source) throws InputException {
        Tensor x = file.tensors().get("x");
        Tensor y = file.tensors().get("y");
        if (x == null || y == null) {
            throw new InputException(source + ": no tensor '" + (x == null ? "x" : "y") + "' (a dataset holds x [N, d] and y [N])");
        }
        for (String name : file.tensors().keySet()) {
            if (!name.equals("x") && !name.equals("y")) {
                throw new InputException(source + ": unexpected tensor '" + name + "' (a dataset holds only x and y)");
            }
        }
        if (!x.dtype().isFloat() || x.shape().length != 2) {
            throw new InputException(source + ": tensor 'x' is " + x.dtype() + " " + Arrays.toString(x.shape())
                    + ", expected F32 or F64 with shape [N, d]");
        }
        if (y.dtype().isFloat() || y.shape().length != 1) {
            throw new InputException(source + ": tensor 'y' is " + y.dtype() + " " + Arrays.toString(y.shape())
                    + ", expected I64 or I32 with shape [N]");
        }
        if (x.shape()[0] != y.shape()[0]) {
            throw new InputException(source + ": x has " + x.shape()[0] + " samples but y has " + y.shape()[0]);
        }
        if (x.shape()[0] == 0 || x.shape()[1] == 0 || x.shape()[0] > Integer.MAX_VALUE || x.shape()[1] > Integer.MAX_VALUE) {
            throw new InputException(source + ": tensor 'x' has an empty or absurd shape " + Arrays.toString(x.shape()));
        }
        double[] xs = ModelFile.finite(x, source, "x");
        long[] labels = y.toLongs();
        int[] ys = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > Integer.MAX_VALUE) {
                throw new InputException(source + ": label y[" + i + "] = " + labels[i] + " is not a class index");
            }
            ys[i] = (int) labels[i];
        }
        return new LabeledData((int) x.shape()[0], (int) x.shape()[1], xs, ys);
    }

    /** Checks a dataset against a model: input width d = d_0 and labels in 0..C−1. */
    public static void checkAgainst(LabeledData data, MlpModel model, Path dataPath) throws InputException {
        if (data.inputWidth() != model.inputWidth()) {
            throw new InputException(dataPath + ": inputs have width " + data.inputWidth()
                    + " but the model's first layer takes " + model.inputWidth());
        }
        for (int i = 0; i < data.n(); i++) {
            if (data.y()[i] >= model.classes()) {
                throw new InputException(dataPath + ": label y[" + i + "] = " + data.y()[i] + " is outside 0.."
                        + (model.classes() - 1) + " (the model has " + model.classes() + " outputs)");
            }
        }
    }

    /** The safetensors content of a dataset (x in the given float precision, y as I64). */
    public static SafetensorsFile toSafetensors(LabeledData data, DType xPrecision, Map<String, String> metadata) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("x", Tensor.ofDoubles(xPrecision, new long[] {data.n(), data.inputWidth()}, data.x()));
        tensors.put("y", Tensor.ofLongs(DType.I64, new long[] {data.n()}, Arrays.stream(data.y()).asLongStream().toArray()));
        return new SafetensorsFile(tensors, metadata);
    }

    /** Writes a dataset file atomically. */
    public static void write(Path path, LabeledData data, DType xPrecision) throws IOException {
        Safetensors.write(path, toSafetensors(data, xPrecision, Map.of()));
    }
}
