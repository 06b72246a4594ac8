package io.eoscope.curvature.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors reader and writer: exact bytes, round trips, and every malformed file rejected. */
class SafetensorsFormatTest {
    @TempDir
    Path dir;

    @Test
    void encodesTheDocumentedLayoutExactly() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a", Tensor.ofDoubles(DType.F32, new long[] {2}, new double[] {1, -2}));
        byte[] bytes = Safetensors.encode(new SafetensorsFile(t, Map.of("k", "v")));
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{\"k\":\"v\"}}";
        int padded = (json.length() + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getLong()).isEqualTo(padded);
        assertThat(new String(bytes, 8, padded, StandardCharsets.UTF_8)).isEqualTo(json + " ".repeat(padded - json.length()));
        b.position(8 + padded);
        assertThat(b.getFloat()).isEqualTo(1f);
        assertThat(b.getFloat()).isEqualTo(-2f);
        assertThat(bytes).hasSize(8 + padded + 8);
    }

    @Test
    void modelsAndDatasetsRoundTripBitExactly() throws Exception {
        MlpModel model = MlpModel.initialise(new int[] {3, 4, 2}, Activation.GELU, Loss.MSE, 1)
                .withMetadata(Map.of("run", "r1", "step", "7"));
        for (DType precision : new DType[] {DType.F64, DType.F32}) {
            Path p = dir.resolve("m-" + precision + ".safetensors");
            ModelFile.write(p, model, precision);
            MlpModel back = ModelFile.read(p);
            assertThat(back.widths()).containsExactly(3, 4, 2);
            assertThat(back.activation()).isEqualTo(Activation.GELU);
            assertThat(back.loss()).isEqualTo(Loss.MSE);
            assertThat(back.metadata()).containsEntry("run", "r1").containsEntry("step", "7");
            for (int l = 0; l < 2; l++) {
                double[] want = model.weights().get(l);
                if (precision == DType.F32) {
                    want = Arrays.stream(want).map(v -> (float) v).toArray();
                }
                assertThat(back.weights().get(l)).containsExactly(want);
            }
        }
        LabeledData data = new LabeledData(2, 3, new double[] {1, 2, 3, 4, 5, 6.5}, new int[] {1, 0});
        Path d = dir.resolve("d.safetensors");
        DatasetFile.write(d, data, DType.F64);
        LabeledData back = DatasetFile.read(d);
        assertThat(back.x()).containsExactly(data.x());
        assertThat(back.y()).containsExactly(1, 0);
    }

    @Test
    void readsTheSharedFixtureWithPaddedHeader() throws Exception {
        Path fx = Path.of(getClass().getResource("/fixtures/analyze/ce-tanh-model.safetensors").toURI());
        MlpModel m = ModelFile.read(fx);
        assertThat(m.architecture()).isEqualTo("4-6-5-3");
        assertThat(m.activation()).isEqualTo(Activation.TANH);
        assertThat(m.loss()).isEqualTo(Loss.CROSS_ENTROPY);
        assertThat(m.parameterCount()).isEqualTo(83);
    }

    @Test
    void rejectsMalformedFilesNamingFileAndProblem() throws Exception {
        byte[] good = Safetensors.encode(ModelFile.toSafetensors(
                MlpModel.initialise(new int[] {2, 3, 2}, Activation.ELU, Loss.CROSS_ENTROPY, 2), DType.F32));
        expect(Arrays.copyOf(good, 5), "shorter than the 8-byte header length");
        expect(Arrays.copyOf(good, good.length - 3), "truncated");
        expect(Arrays.copyOf(good, 40), "does not fit the file size");
        byte[] random = new byte[4096];
        new Random(3).nextBytes(random);
        expect(random, "not a safetensors file");
        byte[] absurd = good.clone();
        ByteBuffer.wrap(absurd).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        expect(absurd, "header length 9223372036854775807");
        expect(withHeader("[1,2]", 0), "not a JSON object");
        expect(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", 8), "bad JSON header");
        expect(withHeader("{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "dtype Q7");
        expect(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "negative");
        expect(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", 8), "not an integer");
        expect(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "needs 12");
        expect(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "overlap");
        expect(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8), "trailing bytes");
        expect(withHeader("{\"__metadata__\":{\"k\":3}}", 0), "metadata 'k' is not a string");
        assertThatThrownBy(() -> Safetensors.read(dir.resolve("missing.safetensors")))
                .isInstanceOf(InputException.class).hasMessageContaining("missing.safetensors: no such file");
        assertThatThrownBy(() -> Safetensors.read(dir)).hasMessageContaining("is a directory");
    }

    @Test
    void rejectsModelsThatBreakTheContract() throws Exception {
        MlpModel m = MlpModel.initialise(new int[] {2, 3, 2}, Activation.ELU, Loss.CROSS_ENTROPY, 4);
        Map<String, Tensor> t = new LinkedHashMap<>(ModelFile.toSafetensors(m, DType.F64).tensors());
        Map<String, String> meta = Map.of("activation", "elu", "loss", "cross_entropy");
        model(without(t, "layer2.bias"), meta, "'layer2.bias' is missing");
        model(with(t, "extra", Tensor.ofDoubles(DType.F64, new long[] {1}, new double[] {0})), meta, "unexpected tensor 'extra'");
        model(with(t, "layer2.weight", Tensor.ofDoubles(DType.F64, new long[] {2, 4}, new double[8])), meta, "layer1 outputs 3");
        model(with(t, "layer1.bias", Tensor.ofDoubles(DType.F64, new long[] {2}, new double[2])), meta, "'layer1.bias' has shape [2]");
        model(with(t, "layer1.bias", Tensor.ofDoubles(DType.F64, new long[] {3}, new double[] {0, Double.NaN, 0})), meta, "non-finite");
        model(with(t, "layer1.bias", Tensor.ofDoubles(DType.F32, new long[] {3}, new double[3])), meta, "is F32 but layer1.weight is F64");
        model(t, Map.of("activation", "swish", "loss", "mse"), "unknown activation 'swish'");
        model(t, Map.of("activation", "elu", "loss", "hinge"), "unknown loss 'hinge'");
        model(t, Map.of("loss", "mse"), "no 'activation'");
    }

    @Test
    void rejectsDatasetsThatBreakTheContract() throws Exception {
        MlpModel m = MlpModel.initialise(new int[] {2, 3, 2}, Activation.ELU, Loss.CROSS_ENTROPY, 4);
        Tensor x = Tensor.ofDoubles(DType.F32, new long[] {3, 2}, new double[6]);
        Tensor y = Tensor.ofLongs(DType.I64, new long[] {3}, new long[] {0, 1, 1});
        dataset(Map.of("x", x), "no tensor 'y'");
        dataset(Map.of("x", x, "y", y, "z", y), "unexpected tensor 'z'");
        dataset(Map.of("x", x, "y", Tensor.ofLongs(DType.I32, new long[] {2}, new long[] {0, 1})), "x has 3 samples but y has 2");
        dataset(Map.of("x", x, "y", Tensor.ofLongs(DType.I64, new long[] {3}, new long[] {0, -1, 1})), "y[1] = -1");
        dataset(Map.of("x", Tensor.ofDoubles(DType.F64, new long[] {1, 1}, new double[] {Double.POSITIVE_INFINITY}),
                "y", Tensor.ofLongs(DType.I64, new long[] {1}, new long[] {0})), "non-finite");
        Path p = dir.resolve("labels.safetensors");
        Safetensors.write(p, new SafetensorsFile(Map.of("x", x, "y", Tensor.ofLongs(DType.I64, new long[] {3}, new long[] {0, 2, 1})), Map.of()));
        LabeledData data = DatasetFile.read(p);
        assertThatThrownBy(() -> DatasetFile.checkAgainst(data, m, p)).hasMessageContaining("labels.safetensors: label y[1] = 2 is outside 0..1");
        MlpModel wide = MlpModel.initialise(new int[] {5, 3, 2}, Activation.ELU, Loss.CROSS_ENTROPY, 4);
        assertThatThrownBy(() -> DatasetFile.checkAgainst(data, wide, p)).hasMessageContaining("width 2 but the model's first layer takes 5");
    }

    @Test
    void failedWriteLeavesNothingBehind() throws Exception {
        Path blocker = dir.resolve("file");
        Files.writeString(blocker, "x");
        MlpModel m = MlpModel.initialise(new int[] {2, 2}, Activation.ELU, Loss.MSE, 1);
        assertThatThrownBy(() -> ModelFile.write(blocker.resolve("model.safetensors"), m, DType.F32))
                .isInstanceOf(java.io.IOException.class);
        Path target = dir.resolve("ok.safetensors");
        ModelFile.write(target, m, DType.F32);
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("file", "ok.safetensors");
        }
    }

    private void expect(byte[] bytes, String phrase) throws Exception {
        Path p = dir.resolve("bad-" + Math.abs(Arrays.hashCode(bytes)) + ".safetensors");
        Files.write(p, bytes);
        assertThatThrownBy(() -> Safetensors.read(p)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(p.toString() + ": ").hasMessageContaining(phrase)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    private static byte[] withHeader(String json, int dataBytes) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    private void model(Map<String, Tensor> tensors, Map<String, String> meta, String phrase) throws Exception {
        Path p = dir.resolve("model.safetensors");
        Safetensors.write(p, new SafetensorsFile(tensors, meta));
        assertThatThrownBy(() -> ModelFile.read(p)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(p + ": ").hasMessageContaining(phrase);
    }

    private void dataset(Map<String, Tensor> tensors, String phrase) throws Exception {
        Path p = dir.resolve("data.safetensors");
        Safetensors.write(p, new SafetensorsFile(tensors, Map.of()));
        assertThatThrownBy(() -> DatasetFile.read(p)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(p + ": ").hasMessageContaining(phrase);
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
}
