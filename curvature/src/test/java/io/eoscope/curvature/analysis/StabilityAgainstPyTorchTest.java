package io.eoscope.curvature.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.curvature.alignment.LayerSpectraRoute;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.io.SafetensorsFile;
import io.eoscope.curvature.io.ScriptedFile;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.DifferentiableModel;
import io.eoscope.curvature.net.DifferentiableModel.ParameterGroup;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.ModelState;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.net.ScriptedModel;
import io.eoscope.curvature.net.ScriptedParameters;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSnapshot;
import io.eoscope.curvature.optim.Preconditioner;
import io.eoscope.curvature.optim.StabilityQuantity;
import io.eoscope.curvature.testing.TorchPython;
import io.eoscope.curvature.testing.TorchScriptFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * λmax(P⁻¹𝓗) against PyTorch itself (src/test/resources/optim/stability_reference.py): a few full-batch steps of
 * torch.optim Adam, AdamW and RMSprop on an MLP and Adam on the TorchScript CNN fixture, written as snapshots with their
 * state; eoscope reads them and computes λmax(P^-½𝓗P^-½) on its product routes (tangent passes for the MLP, double
 * backward for the CNN), which must equal numpy's eigvalsh of the dense float64 P^-½𝓗P^-½ (𝓗 by
 * torch.autograd.functional.hessian) to 1e-6 relative; and P is checked against PyTorch's own step,
 * θ_t = θ_{t−1} − η P⁻¹ m (Adam) or − η P⁻¹ g (RMSprop), to 1e-12.
 */
@Tag("integration")
class StabilityAgainstPyTorchTest {
    @TempDir
    static Path dir;
    private static JsonObject references;

    @BeforeAll
    static void references() {
        String python = TorchPython.interpreter();
        assumeTrue(python != null, "skipped: neither /usr/bin/python3 nor python3 imports torch and numpy");
        Path script = Path.of("src/test/resources/optim/stability_reference.py").toAbsolutePath();
        references = JsonParser.parseString(TorchPython.output(python, 300, script.toString(), dir.toString())).getAsJsonObject();
    }

    private static AnalysisOptions tight() {
        return new AnalysisOptions(1, 1e-10, "lanczos", EnumSet.of(Curvature.HESSIAN), false, 1000, 0, LayerSpectraRoute.AUTO,
                2048, 5000, 11);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp-adam", "mlp-adamw", "mlp-rmsprop"})
    void preconditionedTopOfAnMlpEqualsNumpysDenseFloat64Eigenvalue(String name) throws Exception {
        MlpModel model = ModelFile.read(dir.resolve(name + ".safetensors"));
        LabeledData samples = DatasetFile.read(dir.resolve("mlp-data.safetensors"));
        try (NDManager m = NDManager.newBaseManager();
                Network network = Network.upload(model, m, DataType.FLOAT64);
                DeviceData data = DeviceData.upload(samples, 3, m, DataType.FLOAT64, 7); // 4 chunks
                CurvatureAnalysis analysis = new CurvatureAnalysis(tight(), m)) {
            check(name, model, analysis.analyze(network, data, OptimizerSnapshot.of(model), AnalysisProgress.NONE), "tangent");
        }
    }

    @Test
    void preconditionedTopOfTheTorchScriptCnnEqualsNumpysDenseFloat64Eigenvalue() throws Exception {
        ScriptedParameters params = ScriptedFile.read(dir.resolve("cnn-adam.safetensors"));
        TorchScriptFixtures f = TorchScriptFixtures.load("cnn");
        try (NDManager m = NDManager.newBaseManager();
                ScriptedModel model = ScriptedModel.load(f.module(), params, m);
                DeviceData data = DeviceData.upload(f.data(), 3, m, model.dataType(), 5);
                CurvatureAnalysis analysis = new CurvatureAnalysis(tight(), m)) {
            check("cnn-adam", params, analysis.analyze(model, data, OptimizerSnapshot.of(params), AnalysisProgress.NONE),
                    "double_backward");
        }
    }

    private static void check(String name, ModelState state, AnalysisReport report, String route) {
        JsonObject ref = references.getAsJsonObject(name);
        Stability s = report.stability();
        assertThat(report.failure()).isNull();
        assertThat(report.info().get("product_route")).isEqualTo(route);
        assertThat(s.quantity()).isEqualTo(StabilityQuantity.PRECONDITIONED_SHARPNESS);
        assertThat(s.optimizer().id()).isEqualTo(state.metadata().get("optimizer"));
        double want = ref.get("top").getAsDouble();
        assertThat(Math.abs(s.value() - want) / Math.abs(want)).as(name + ": λmax(P^-½𝓗P^-½) %s vs numpy %s", s.value(), want)
                .isLessThan(1e-6);
        double hessian = ref.get("hessian_top").getAsDouble();
        assertThat(Math.abs(s.sharpness() - hessian) / Math.abs(hessian)).as(name + ": λmax(𝓗) beside it").isLessThan(1e-6);
        assertThat(s.ratio()).isEqualTo(s.value() / s.threshold());
        assertThat(s.products()).isPositive();
        assertThat(s.note() != null).isEqualTo(s.optimizer() == OptimizerKind.ADAMW);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp-adam", "mlp-adamw", "mlp-rmsprop", "cnn-adam"})
    void pyTorchsStepIsThetaMinusEtaTimesPInverseOfItsDirection(String name) throws Exception {
        boolean cnn = name.startsWith("cnn");
        ModelState state = cnn ? ScriptedFile.read(dir.resolve(name + ".safetensors")) : ModelFile.read(dir.resolve(name + ".safetensors"));
        SafetensorsFile update = Safetensors.read(dir.resolve(name + "-update.safetensors"));
        OptimizerSnapshot optimizer = OptimizerSnapshot.of(state);
        java.util.List<ParameterGroup> ranges;
        try (NDManager m = NDManager.newBaseManager();
                DifferentiableModel model = cnn ? ScriptedModel.load(TorchScriptFixtures.load("cnn").module(), (ScriptedParameters) state, m)
                        : Network.upload((MlpModel) state, m, DataType.FLOAT64)) {
            ranges = model.parameterRanges();
        }
        double[] p = Preconditioner.of(optimizer.settings(), optimizer.step(), optimizer.state(), ranges).diagonal();
        double eta = optimizer.settings().lr();
        double worst = 0;
        for (ParameterGroup r : ranges) {
            double[] delta = update.tensors().get("delta." + r.name()).toDoubles();
            double[] direction = update.tensors().get("direction." + r.name()).toDoubles();
            double scale = 0;
            for (double d : delta) {
                scale = Math.max(scale, Math.abs(d));
            }
            for (int i = 0; i < delta.length; i++) {
                double step = -eta * direction[i] / p[(int) r.from() + i];
                worst = Math.max(worst, Math.abs(step - delta[i]) / scale);
            }
        }
        assertThat(worst).as(name + ": |−ηP⁻¹d − Δθ| / max|Δθ|").isLessThan(1e-12);
        assertThat(Files.exists(dir.resolve(name + ".safetensors"))).isTrue();
    }
}
