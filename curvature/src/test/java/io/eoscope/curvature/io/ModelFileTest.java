package io.eoscope.curvature.io;

import static io.eoscope.curvature.io.IoTesting.assertInputError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Model and snapshot files (docs/contracts.md#model-files). */
class ModelFileTest {
    private static final Map<String, String> ELU_CE = Map.of("activation", "elu", "loss", "cross_entropy");

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void roundTripsBitExactlyWithAllMetadata(DType precision) throws Exception {
        MlpModel model = withAwkwardValues(MlpModel.initialise(new int[] {3, 4, 2}, Activation.GELU, Loss.MSE, 1))
                .withMetadata(Map.of("run", "r1", "step", "7", "time", "0.35", "note", "ünïcødé"));
        Path p = dir.resolve("m.safetensors");
        ModelFile.write(p, model, precision);
        MlpModel back = ModelFile.read(p);

        assertThat(back.widths()).containsExactly(3, 4, 2);
        assertThat(back.activation()).isEqualTo(Activation.GELU);
        assertThat(back.loss()).isEqualTo(Loss.MSE);
        assertThat(back.metadata()).containsOnly(Map.entry("run", "r1"), Map.entry("step", "7"),
                Map.entry("time", "0.35"), Map.entry("note", "ünïcødé"),
                Map.entry("activation", "gelu"), Map.entry("loss", "mse"));
        for (int l = 0; l < model.layers(); l++) {
            assertThat(bits(back.weights().get(l))).containsExactly(bits(stored(model.weights().get(l), precision)));
            assertThat(bits(back.biases().get(l))).containsExactly(bits(stored(model.biases().get(l), precision)));
        }
        Path again = dir.resolve("again.safetensors");
        ModelFile.write(again, back, precision);
        assertThat(Files.readAllBytes(again)).as("deterministic bytes").isEqualTo(Files.readAllBytes(p));
        assertThat(Safetensors.read(p).tensors().get("layer1.weight").dtype()).isEqualTo(precision);
    }

    @Test
    void writesTheContractLayout() {
        MlpModel model = MlpModel.initialise(new int[] {4, 6, 3}, Activation.RELU, Loss.CROSS_ENTROPY, 2);
        SafetensorsFile f = ModelFile.toSafetensors(model, DType.F32);
        assertThat(f.tensors().keySet()).containsExactly("layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias");
        assertThat(f.tensors().get("layer1.weight").shape()).containsExactly(6, 4);
        assertThat(f.tensors().get("layer2.bias").shape()).containsExactly(3);
        // docs/contracts.md#model-files: at least activation and loss; a fresh network also records its initialisation
        assertThat(f.metadata()).containsOnly(Map.entry("activation", "relu"), Map.entry("loss", "cross_entropy"),
                Map.entry("init", "xavier"));
        assertThatThrownBy(() -> ModelFile.toSafetensors(model, DType.I64)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ModelFile.toSafetensors(model, DType.F16)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsTheReferenceFixture() throws Exception {
        MlpModel m = ModelFile.read(IoTesting.fixtures().resolve("ce-tanh-model.safetensors"));
        assertThat(m.architecture()).isEqualTo("4-6-5-3");
        assertThat(m.activation()).isEqualTo(Activation.TANH);
        assertThat(m.loss()).isEqualTo(Loss.CROSS_ENTROPY);
        assertThat(m.parameterCount()).isEqualTo(83);
        assertThat(m.weights().get(0)[0]).isEqualTo(-0.49973631975184746);
        assertThat(m.weights().get(2)[14]).isEqualTo(-0.77151247888989);
        assertThat(m.biases().get(2)).containsExactly(0.08053083193545435, 0.0050625874930255305, 0.025047314441891268);
        assertThat(m.metadata()).containsOnly(Map.entry("activation", "tanh"), Map.entry("loss", "cross_entropy"));
    }

    @Test
    void decodesFromBytes() throws Exception {
        MlpModel model = MlpModel.initialise(new int[] {2, 2}, Activation.ELU, Loss.MSE, 3);
        MlpModel back = ModelFile.decode(ModelFile.encode(model, DType.F64), "topic/0@5");
        assertThat(back.weights().get(0)).containsExactly(model.weights().get(0));
        assertInputError(() -> ModelFile.decode(new byte[3], "topic/0@6"), "topic/0@6", "shorter than the 8-byte header length");
    }

    @Test
    void rejectsMissingAndStrayTensors() throws Exception {
        Map<String, Tensor> t = tensors(DType.F64, 2, 3, 3, 2);
        expect(Map.of(), ELU_CE, "no tensor 'layer1.weight'");
        expect(Map.of("x", f64(1, 1), "y", Tensor.ofLongs(DType.I64, new long[] {1}, new long[] {0})), ELU_CE,
                "this looks like a dataset file");
        expect(without(t, "layer2.bias"), ELU_CE, "tensor 'layer2.bias' is missing");
        expect(without(t, "layer1.bias"), ELU_CE, "tensor 'layer1.bias' is missing");
        expect(without(t, "layer2.weight"), ELU_CE, "tensor 'layer2.bias' has no 'layer2.weight'");
        expect(without(without(t, "layer2.weight"), "layer2.bias"), ELU_CE, "tensor 'layer3.weight' has no 'layer2.weight'");
        expect(with(t, "layer5.weight", f64(2, 2)), ELU_CE, "tensor 'layer5.weight' has no 'layer4.weight'");
        expect(with(t, "foo", f64(1)), ELU_CE, "unexpected tensor 'foo' (a model holds only layer{l}.weight and layer{l}.bias for l = 1..3)");
        expect(with(t, "layer01.weight", f64(3, 2)), ELU_CE, "unexpected tensor 'layer01.weight'");
    }

    @Test
    void rejectsBadShapesNamingTheLayerAndBothShapes() throws Exception {
        Map<String, Tensor> t = tensors(DType.F64, 2, 3, 3, 2);
        expect(with(t, "layer1.weight", f64(6)), ELU_CE, "tensor 'layer1.weight' has shape [6], expected 2 dimensions [d_1, d_0]");
        expect(with(t, "layer2.weight", f64(3, 3, 1)), ELU_CE, "tensor 'layer2.weight' has shape [3, 3, 1], expected 2 dimensions");
        expect(with(t, "layer1.bias", f64(3, 1)), ELU_CE, "tensor 'layer1.bias' has shape [3, 1], expected [3] to match layer1.weight [3, 2]");
        expect(with(t, "layer1.bias", f64(2)), ELU_CE, "tensor 'layer1.bias' has shape [2], expected [3]");
        expect(with(t, "layer2.weight", f64(3, 4)), ELU_CE,
                "tensor 'layer2.weight' has shape [3, 4] but layer1.weight has shape [3, 2] (layer1 outputs 3, so expected [3, 3])");
        expect(with(with(t, "layer1.weight", f64(0, 2)), "layer1.bias", f64(0)), ELU_CE, "tensor 'layer1.weight' has an empty shape [0, 2]");
    }

    @Test
    void rejectsWrongDtypes() throws Exception {
        Map<String, Tensor> t = tensors(DType.F64, 2, 3, 2);
        expect(with(t, "layer1.bias", Tensor.ofDoubles(DType.F32, new long[] {3}, new double[3])), ELU_CE,
                "tensor 'layer1.bias' is F32 but layer1.weight is F64 (all tensors of a model must have the same dtype)");
        expect(with(t, "layer2.weight", Tensor.ofLongs(DType.I64, new long[] {2, 3}, new long[6])), ELU_CE,
                "tensor 'layer2.weight' has dtype I64, expected F32 or F64");
        expect(with(with(t, "layer1.weight", new Tensor(DType.F16, new long[] {3, 2}, new byte[12])), "layer1.bias",
                new Tensor(DType.F16, new long[] {3}, new byte[6])), ELU_CE, "tensor 'layer1.weight' has dtype F16, expected F32 or F64");
    }

    @Test
    void rejectsNonFiniteValuesNamingTheTensor() throws Exception {
        Map<String, Tensor> t = tensors(DType.F32, 2, 3, 2);
        expect(with(t, "layer1.bias", Tensor.ofDoubles(DType.F32, new long[] {3}, new double[] {0, Double.NaN, 0})), ELU_CE,
                "tensor 'layer1.bias' holds a non-finite value (NaN at flat index 1)");
        double[] w = new double[6];
        w[5] = Double.NEGATIVE_INFINITY;
        expect(with(t, "layer2.weight", Tensor.ofDoubles(DType.F32, new long[] {2, 3}, w)), ELU_CE,
                "tensor 'layer2.weight' holds a non-finite value (-Infinity at flat index 5)");
    }

    @Test
    void rejectsMissingOrUnknownActivationAndLoss() throws Exception {
        Map<String, Tensor> t = tensors(DType.F64, 2, 3, 2);
        expect(t, Map.of("loss", "mse"), "metadata has no 'activation'");
        expect(t, Map.of("activation", "tanh"), "metadata has no 'loss'");
        expect(t, Map.of(), "metadata has no 'activation'");
        expect(t, Map.of("activation", "swish", "loss", "mse"), "unknown activation 'swish' (expected one of [elu, tanh, relu, gelu])");
        expect(t, Map.of("activation", "elu", "loss", "hinge"), "unknown loss 'hinge'");
    }

    @Test
    void keepsEveryMetadataEntry() throws Exception {
        Map<String, String> meta = new LinkedHashMap<>(ELU_CE);
        meta.put("run", "abc");
        meta.put("step", "12");
        meta.put("time", "1.5");
        meta.put("lr", "0.01");
        Path p = dir.resolve("snapshot.safetensors");
        Safetensors.write(p, new SafetensorsFile(tensors(DType.F64, 2, 3, 2), meta));
        assertThat(ModelFile.read(p).metadata()).isEqualTo(meta);
    }

    @Test
    void reportsWriteFailuresAsInputErrors() throws Exception {
        Path blocker = dir.resolve("blocker");
        Files.writeString(blocker, "x");
        Path target = blocker.resolve("m.safetensors");
        MlpModel m = MlpModel.initialise(new int[] {2, 2}, Activation.ELU, Loss.MSE, 1);
        assertInputError(() -> ModelFile.write(target, m, DType.F32), target, "cannot write");
    }

    // ---- helpers ----

    private void expect(Map<String, Tensor> tensors, Map<String, String> meta, String phrase) throws Exception {
        Path p = dir.resolve("model.safetensors");
        Safetensors.write(p, new SafetensorsFile(tensors, meta));
        assertInputError(() -> ModelFile.read(p), p, phrase);
    }

    /** layer tensors of widths d_0..d_L with distinct finite values. */
    private static Map<String, Tensor> tensors(DType dtype, int... widths) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (int l = 1; l < widths.length; l++) {
            double[] w = new double[widths[l] * widths[l - 1]];
            Arrays.setAll(w, i -> 0.1 * i - 0.3);
            t.put("layer" + l + ".weight", Tensor.ofDoubles(dtype, new long[] {widths[l], widths[l - 1]}, w));
            t.put("layer" + l + ".bias", Tensor.ofDoubles(dtype, new long[] {widths[l]}, new double[widths[l]]));
        }
        return t;
    }

    private static Tensor f64(long... shape) {
        return Tensor.ofDoubles(DType.F64, shape, new double[(int) Tensor.elements(shape)]);
    }

    private static Map<String, Tensor> without(Map<String, Tensor> t, String name) {
        Map<String, Tensor> out = new LinkedHashMap<>(t);
        out.remove(name);
        return out;
    }

    private static Map<String, Tensor> with(Map<String, Tensor> t, String name, Tensor value) {
        Map<String, Tensor> out = new LinkedHashMap<>(t);
        out.put(name, value);
        return out;
    }

    /** Puts values that stress an encoding (signed zero, subnormals, extremes) into layer 1. */
    private static MlpModel withAwkwardValues(MlpModel m) {
        double[] w = m.weights().get(0).clone();
        double[] awkward = {-0.0, Double.MIN_VALUE, Float.MIN_VALUE, -Float.MAX_VALUE, 1e38, 1.0 / 3, -1e-310};
        System.arraycopy(awkward, 0, w, 0, awkward.length);
        List<double[]> weights = new ArrayList<>(m.weights());
        weights.set(0, w);
        return new MlpModel(m.widths(), m.activation(), m.loss(), weights, m.biases(), m.metadata());
    }

    /** What a value becomes when stored in {@code precision}. */
    private static double[] stored(double[] values, DType precision) {
        return precision == DType.F64 ? values : Arrays.stream(values).map(v -> (float) v).toArray();
    }

    private static long[] bits(double[] values) {
        return Arrays.stream(values).mapToLong(Double::doubleToRawLongBits).toArray();
    }
}
