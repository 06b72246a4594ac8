package io.eoscope.curvature.io;

import static io.eoscope.curvature.io.IoTesting.assertInputError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Dataset files (docs/contracts.md#dataset-files). */
class DatasetFileTest {
    private static final Tensor X = Tensor.ofDoubles(DType.F32, new long[] {3, 2}, new double[] {1, 2, 3, 4, 5, 6});
    private static final Tensor Y = Tensor.ofLongs(DType.I64, new long[] {3}, new long[] {0, 1, 1});

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void roundTripsBitExactly(DType precision) throws Exception {
        double[] x = {1, -0.0, 1.0 / 3, Float.MIN_VALUE, -7.25, 1e-3};
        LabeledData data = new LabeledData(3, 2, x, new int[] {2, 0, Integer.MAX_VALUE});
        Path p = dir.resolve("d.safetensors");
        DatasetFile.write(p, data, precision);
        LabeledData back = DatasetFile.read(p);
        assertThat(back.n()).isEqualTo(3);
        assertThat(back.inputWidth()).isEqualTo(2);
        double[] stored = precision == DType.F64 ? x : Arrays.stream(x).map(v -> (float) v).toArray();
        assertThat(Arrays.stream(back.x()).mapToLong(Double::doubleToRawLongBits).toArray())
                .containsExactly(Arrays.stream(stored).mapToLong(Double::doubleToRawLongBits).toArray());
        assertThat(back.y()).containsExactly(2, 0, Integer.MAX_VALUE);
        SafetensorsFile raw = Safetensors.read(p);
        assertThat(raw.tensors().get("x").dtype()).isEqualTo(precision);
        assertThat(raw.tensors().get("y").dtype()).isEqualTo(DType.I64);
    }

    @Test
    void readsI32Labels() throws Exception {
        LabeledData d = read(Map.of("x", X, "y", Tensor.ofLongs(DType.I32, new long[] {3}, new long[] {2, 1, 0})));
        assertThat(d.y()).containsExactly(2, 1, 0);
        assertThat(d.x()).containsExactly(1, 2, 3, 4, 5, 6);
    }

    @Test
    void readsTheReferenceFixtureAndItMatchesItsModel() throws Exception {
        Path data = IoTesting.fixtures().resolve("ce-tanh-data.safetensors");
        LabeledData d = DatasetFile.read(data);
        assertThat(d.n()).isEqualTo(10);
        assertThat(d.inputWidth()).isEqualTo(4);
        assertThat(d.y()).containsExactly(0, 1, 2, 0, 2, 1, 2, 0, 0, 2);
        assertThat(d.x()[0]).isEqualTo(0.09184041656835118);
        assertThat(d.x()[39]).isEqualTo(0.36249618157568897);
        MlpModel model = ModelFile.read(IoTesting.fixtures().resolve("ce-tanh-model.safetensors"));
        assertThatCode(() -> DatasetFile.checkAgainst(d, model, data)).doesNotThrowAnyException();
    }

    @Test
    void rejectsMissingAndExtraTensors() throws Exception {
        expect(Map.of("x", X), "no tensor 'y' (a dataset holds x [N, d] and y [N])");
        expect(Map.of("y", Y), "no tensor 'x'");
        expect(Map.of(), "no tensor 'x'");
        expect(Map.of("layer1.weight", X, "layer1.bias", Y), "this looks like a model file");
        expect(Map.of("x", X, "y", Y, "z", Y), "unexpected tensor 'z' (a dataset holds only x and y)");
    }

    @Test
    void rejectsWrongRanksAndDtypes() throws Exception {
        expect(Map.of("x", Tensor.ofDoubles(DType.F32, new long[] {6}, new double[6]), "y", Y),
                "tensor 'x' is F32[6], expected F32 or F64 with shape [N, d]");
        expect(Map.of("x", Tensor.ofDoubles(DType.F32, new long[] {3, 1, 2}, new double[6]), "y", Y), "tensor 'x' is F32[3, 1, 2]");
        expect(Map.of("x", Tensor.ofLongs(DType.I64, new long[] {3, 2}, new long[6]), "y", Y), "tensor 'x' is I64[3, 2]");
        expect(Map.of("x", new Tensor(DType.BF16, new long[] {3, 2}, new byte[12]), "y", Y), "tensor 'x' is BF16[3, 2]");
        expect(Map.of("x", X, "y", Tensor.ofLongs(DType.I64, new long[] {3, 1}, new long[3])),
                "tensor 'y' is I64[3, 1], expected I64 or I32 with shape [N]");
        expect(Map.of("x", X, "y", Tensor.ofDoubles(DType.F32, new long[] {3}, new double[3])), "tensor 'y' is F32[3]");
        expect(Map.of("x", X, "y", new Tensor(DType.U8, new long[] {3}, new byte[3])), "tensor 'y' is U8[3]");
    }

    @Test
    void rejectsMismatchedOrEmptySamples() throws Exception {
        expect(Map.of("x", X, "y", Tensor.ofLongs(DType.I32, new long[] {2}, new long[] {0, 1})),
                "x has 3 samples (shape [3, 2]) but y has 2 labels");
        expect(Map.of("x", Tensor.ofDoubles(DType.F64, new long[] {0, 2}, new double[0]), "y",
                Tensor.ofLongs(DType.I64, new long[] {0}, new long[0])), "the dataset is empty (N = 0)");
        expect(Map.of("x", Tensor.ofDoubles(DType.F64, new long[] {3, 0}, new double[0]), "y", Y), "no input features (d = 0)");
    }

    @Test
    void rejectsNonFiniteInputsAndBadLabels() throws Exception {
        expect(Map.of("x", Tensor.ofDoubles(DType.F64, new long[] {1, 2}, new double[] {0, Double.POSITIVE_INFINITY}),
                "y", Tensor.ofLongs(DType.I64, new long[] {1}, new long[] {0})), "tensor 'x' holds a non-finite value (Infinity at flat index 1)");
        expect(Map.of("x", Tensor.ofDoubles(DType.F32, new long[] {1, 1}, new double[] {Double.NaN}),
                "y", Tensor.ofLongs(DType.I64, new long[] {1}, new long[] {0})), "tensor 'x' holds a non-finite value (NaN");
        expect(Map.of("x", X, "y", Tensor.ofLongs(DType.I64, new long[] {3}, new long[] {0, -1, 1})),
                "label y[1] = -1 is not a class index (negative)");
        expect(Map.of("x", X, "y", Tensor.ofLongs(DType.I32, new long[] {3}, new long[] {0, 1, Integer.MIN_VALUE})),
                "label y[2] = -2147483648 is not a class index (negative)");
        expect(Map.of("x", X, "y", Tensor.ofLongs(DType.I64, new long[] {3}, new long[] {1L << 31, 0, 0})),
                "label y[0] = 2147483648 is not a class index (out of int range)");
    }

    @Test
    void checksLabelsAndWidthAgainstTheModel() throws Exception {
        Path p = dir.resolve("labels.safetensors");
        LabeledData data = new LabeledData(4, 2, new double[8], new int[] {0, 1, 2, 5});
        DatasetFile.write(p, data, DType.F32);
        LabeledData read = DatasetFile.read(p);
        MlpModel threeClasses = MlpModel.initialise(new int[] {2, 3, 3}, Activation.ELU, Loss.CROSS_ENTROPY, 4);
        assertThatCode(() -> DatasetFile.checkAgainst(read.select(new int[] {0, 1, 2}), threeClasses, p)).doesNotThrowAnyException();
        assertInputError(() -> DatasetFile.checkAgainst(read, threeClasses, p), p,
                "label y[3] = 5 is outside 0..2 (the model has 3 outputs; this is the first label outside that range)");
        MlpModel twoClasses = MlpModel.initialise(new int[] {2, 2}, Activation.ELU, Loss.MSE, 4);
        assertInputError(() -> DatasetFile.checkAgainst(read, twoClasses, p), p, "label y[2] = 2 is outside 0..1 (the model has 2 outputs");
        MlpModel wide = MlpModel.initialise(new int[] {5, 3, 6}, Activation.ELU, Loss.CROSS_ENTROPY, 4);
        assertInputError(() -> DatasetFile.checkAgainst(read, wide, p), p,
                "inputs have width 2, which does not match the model's first layer (d_0 = 5)");
    }

    @Test
    void decodesFromBytes() throws Exception {
        byte[] bytes = Safetensors.encode(new SafetensorsFile(Map.of("x", X, "y", Y)));
        assertThat(DatasetFile.decode(bytes, "batch").y()).containsExactly(0, 1, 1);
    }

    private LabeledData read(Map<String, Tensor> tensors) throws Exception {
        Path p = dir.resolve("data.safetensors");
        Safetensors.write(p, new SafetensorsFile(new LinkedHashMap<>(tensors)));
        return DatasetFile.read(p);
    }

    private void expect(Map<String, Tensor> tensors, String phrase) throws Exception {
        Path p = dir.resolve("data.safetensors");
        Safetensors.write(p, new SafetensorsFile(new LinkedHashMap<>(tensors)));
        assertThat(Files.exists(p)).isTrue();
        assertInputError(() -> DatasetFile.read(p), p, phrase);
    }
}
