package io.eoscope.curvature.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.curvature.alignment.LayerSpectraRoute;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.net.Network;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The reference cases of the test resources' fixtures/analyze (see its README.md), computed by an
 * independent float64 implementation with dense matrices: every number of the analysis JSON must
 * agree to 1e-6 relative in float64 (the fixture's own accuracy is about 1e-9; its README promises
 * 1e-7), and to 1e-3 in float32 (unit roundoff 6e-8, amplified by the eigenproblems' conditioning and by
 * the 1e-6 tolerance the float32 solves can reach).
 */
class ReferenceFixturesTest {

    @ParameterizedTest
    @CsvSource({"ce-tanh, lanczos, auto, float64", "mse-elu, lanczos, auto, float64", "ce-tanh, power, operator, float64",
        "mse-elu, power, operator, float64", "ce-tanh, lanczos, auto, float32", "mse-elu, lanczos, operator, float32"})
    void analysisMatchesReference(String name, String solver, String route, String dtype) throws Exception {
        boolean single = dtype.equals("float32");
        double tolerance = single ? 1e-3 : 1e-6;
        Path dir = Path.of(getClass().getResource("/fixtures/analyze").toURI());
        MlpModel model = ModelFile.read(dir.resolve(name + "-model.safetensors"));
        LabeledData data = DatasetFile.read(dir.resolve(name + "-data.safetensors"));
        JsonObject expected = JsonParser.parseString(Files.readString(dir.resolve(name + "-expected.json"))).getAsJsonObject();
        AnalysisOptions options = new AnalysisOptions(3, single ? 1e-6 : 1e-10, solver, EnumSet.allOf(Curvature.class), true, 7, 0,
                route.equals("auto") ? LayerSpectraRoute.AUTO : LayerSpectraRoute.OPERATOR, 2048, 20_000, 0);
        JsonObject got;
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, single ? DataType.FLOAT32 : DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, net.dataType(), 7);
                CurvatureAnalysis analysis = new CurvatureAnalysis(options, m)) {
            got = analysis.analyze(net, dev, AnalysisProgress.NONE).toJson();
        }
        assertThat(got.get("n").getAsInt()).isEqualTo(expected.get("n").getAsInt());
        assertThat(got.get("classes").getAsInt()).isEqualTo(expected.get("classes").getAsInt());
        assertThat(got.get("parameters").getAsInt()).isEqualTo(expected.get("parameters").getAsInt());
        for (String key : new String[] {"hessian", "gauss_newton", "residual"}) {
            JsonArray want = expected.getAsJsonArray(key);
            JsonArray have = got.getAsJsonObject(key).getAsJsonArray("eigenvalues");
            double scale = Math.abs(want.get(0).getAsDouble());
            for (int i = 0; i < 3; i++) {
                close(key + "[" + i + "]", have.get(i).getAsDouble(), want.get(i).getAsDouble(), scale, tolerance);
            }
        }
        for (String key : new String[] {"loss", "rho_K", "K_max_sq_mean"}) {
            close(key, got.get(key).getAsDouble(), expected.get(key).getAsDouble(), expected.get(key).getAsDouble(), tolerance);
        }
        JsonArray layers = expected.getAsJsonArray("layers");
        for (int l = 0; l < layers.size(); l++) {
            for (Map.Entry<String, JsonElement> e : layers.get(l).getAsJsonObject().entrySet()) {
                double want = e.getValue().getAsDouble();
                double have = got.getAsJsonArray("layers").get(l).getAsJsonObject().get(e.getKey()).getAsDouble();
                close("layer" + (l + 1) + "." + e.getKey(), have, want, want, tolerance);
            }
        }
    }

    private static void close(String what, double actual, double expected, double scale, double tolerance) {
        assertThat(Math.abs(actual - expected)).as("%s: got %s, reference %s", what, actual, expected)
                .isLessThanOrEqualTo(tolerance * Math.abs(scale));
    }
}
