package io.eoscope.curvature.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.analysis.AnalysisProgress;
import io.eoscope.curvature.analysis.AnalysisReport;
import io.eoscope.curvature.analysis.CurvatureAnalysis;
import io.eoscope.curvature.analysis.GroupCurvature;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.io.ScriptedFile;
import io.eoscope.curvature.testing.TestProblems;
import io.eoscope.curvature.testing.TorchScriptFixtures;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * TorchScript modules analysed in float32: the products and the top eigenvalues of the float32 trace against
 * PyTorch's dense float64 references (a CNN, and a ResNet in miniature with batch norm in eval mode), and snapshots
 * whose parameters are in the other precision than their module, analysed correctly or refused with one line.
 *
 * <p>Tolerances: a float32 product carries float32's unit roundoff (6e-8) times the length of the sums of the passes
 * (a few hundred terms here) and the rounding of θ and x to float32: measured at most about 2e-6 of the product's
 * norm, so 2e-5 is asserted. The top eigenvalues to 1e-4 relative: Lanczos in float32 with the default tolerance
 * 1e-4 (residual relative to |λ|) bounds the eigenvalue's error by the residual squared over the gap.
 */
@Tag("integration")
class ScriptedPrecisionTest {
    private static final double PRODUCT_TOLERANCE = 2e-5;
    private static final Map<Curvature, String> REFS = Map.of(Curvature.HESSIAN, "hv", Curvature.GAUSS_NEWTON, "gv",
            Curvature.RESIDUAL, "rv");

    @ParameterizedTest
    @ValueSource(strings = {"cnn", "resnet"})
    void float32ProductsAreTheFloat64OnesToFloat32sPrecision(String name) {
        TorchScriptFixtures f = TorchScriptFixtures.load(name);
        try (NDManager m = NDManager.newBaseManager();
                ScriptedModel model = ScriptedModel.load(TorchScriptFixtures.moduleFloat32(name), f.parameters(), m, DataType.FLOAT32);
                DeviceData data = DeviceData.upload(f.data(), model.classes(), m, model.dataType(), 1000);
                CurvatureProducts products = new CurvatureProducts(model, data)) {
            assertThat(model.dataType()).isEqualTo(DataType.FLOAT32);
            double[] v = f.ref("v");
            for (Curvature kind : Curvature.values()) {
                for (int repeat = 0; repeat < 2; repeat++) { // the second product reuses the first one's graph
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        NDArray block = HostArrays.upload(m, v, new Shape(1, v.length), DataType.FLOAT32);
                        NDArray product = products.apply(kind, block);
                        assertThat(product.getDataType()).isEqualTo(DataType.FLOAT32);
                        assertThat(TestProblems.relativeError(HostArrays.download(product), f.ref(REFS.get(kind))))
                                .as(name + " " + kind.id() + " product in float32, relative error").isLessThan(PRODUCT_TOLERANCE);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn", "resnet"})
    void float32TopEigenvaluesAreTheDenseFloat64OnesTo1e4(String name) {
        TorchScriptFixtures f = TorchScriptFixtures.load(name);
        AnalysisReport report;
        try (NDManager m = NDManager.newBaseManager();
                ScriptedModel model = ScriptedModel.load(TorchScriptFixtures.moduleFloat32(name), f.parameters(), m, DataType.FLOAT32);
                DeviceData data = DeviceData.upload(f.data(), model.classes(), m, model.dataType(), 1000);
                CurvatureAnalysis analysis = new CurvatureAnalysis(AnalysisOptions.defaults(), m)) {
            report = analysis.analyze(model, data, AnalysisProgress.NONE);
        }
        assertThat(report.failure()).isNull();
        assertThat(report.info()).containsEntry("dtype", "float32");
        double[] tops = f.ref("tops");
        for (Curvature kind : Curvature.values()) {
            double top = tops[kind.ordinal()];
            assertThat(report.spectra().get(kind).top()).as(name + " " + kind.id() + " top in float32")
                    .isCloseTo(top, within(1e-4 * Math.abs(top)));
        }
        double[] groupTops = f.ref("group_tops");
        assertThat(report.groups()).extracting(GroupCurvature::group).containsExactlyElementsOf(f.groups());
        for (int i = 0; i < groupTops.length; i++) {
            GroupCurvature g = report.groups().get(i);
            assertThat(g.gaussNewtonTop()).as(name + ": λmax of G's block of " + g.group() + " in float32")
                    .isCloseTo(groupTops[i], within(1e-4 * groupTops[i]));
        }
    }

    @Test
    void float32ParametersInAFloat64ModuleAreAnalysedInFloat64() {
        TorchScriptFixtures f = TorchScriptFixtures.load("cnn");
        ScriptedParameters rounded = roundedToFloat32(f.parameters());
        try (NDManager m = NDManager.newBaseManager();
                ScriptedModel model = ScriptedModel.load(f.module(), rounded, m);
                DeviceData data = DeviceData.upload(f.data(), model.classes(), m, model.dataType(), 1000);
                CurvatureProducts products = new CurvatureProducts(model, data);
                NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            assertThat(model.dataType()).as("float32 values widen exactly: the float64 module analyses them").isEqualTo(DataType.FLOAT64);
            double[] v = f.ref("v");
            double[] hv = HostArrays.download(products.apply(Curvature.HESSIAN,
                    HostArrays.upload(m, v, new Shape(1, v.length), DataType.FLOAT64)));
            // θ rounded to float32 moves 𝓗v by about 1e-7 of its norm; float64 arithmetic adds nothing visible
            assertThat(TestProblems.relativeError(hv, f.ref("hv"))).isLessThan(1e-5).isGreaterThan(0);
        }
        assertThat(Precision.AUTO.resolve(rounded)).as("auto, with a float32 module named").isEqualTo(DataType.FLOAT32);
        assertThat(Precision.AUTO.module(rounded)).isEqualTo(rounded.moduleFloat32());
        assertThat(Precision.AUTO.resolve(f.parameters())).as("auto, float64 parameters").isEqualTo(DataType.FLOAT64);
        assertThat(Precision.FLOAT32.module(f.parameters())).isEqualTo(f.parameters().moduleFloat32());
    }

    @Test
    void float64ParametersInAFloat32ModuleAreAnalysedInFloat32OrRefusedWhenFloat64IsAsked() {
        TorchScriptFixtures f = TorchScriptFixtures.load("cnn");
        byte[] float32 = TorchScriptFixtures.moduleFloat32("cnn");
        try (NDManager m = NDManager.newBaseManager()) {
            try (ScriptedModel model = ScriptedModel.load(float32, f.parameters(), m, DataType.FLOAT32)) {
                assertThat(model.dataType()).isEqualTo(DataType.FLOAT32);
            }
            assertThatThrownBy(() -> ScriptedModel.load(float32, f.parameters(), m, DataType.FLOAT64).close())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the module was traced in float32 but the analysis precision is float64: give a module traced "
                            + "in float64 (torch.jit.trace of a float64 copy of the model) or analyse in float32");
            assertThatThrownBy(() -> ScriptedModel.load(f.module(), f.parameters(), m, DataType.FLOAT32).close())
                    .hasMessageStartingWith("the module was traced in float64 but the analysis precision is float32");
        }
    }

    @Test
    void aModuleThatReturnsAnotherPrecisionThanItsParametersIsRefused() throws Exception {
        ScriptedParameters p = ScriptedFile.read(TorchScriptFixtures.path("mixed.safetensors"));
        byte[] module = Files.readAllBytes(TorchScriptFixtures.path("mixed-float32.pt"));
        try (NDManager m = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> ScriptedModel.load(module, p, m).close())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("the module's parameters are float32 but it returns float64 logits");
        }
    }

    @Test
    void aSnapshotWithoutAFloat32ModuleIsAnalysedInFloat64UnderAutoAndRefusedUnderFloat32() {
        TorchScriptFixtures f = TorchScriptFixtures.load("cnn");
        ScriptedParameters p = f.parameters();
        ScriptedParameters old = new ScriptedParameters(roundedToFloat32(p).parameters(), p.inputShape(), p.classes(), p.loss(),
                p.module(), null, DataType.FLOAT32, p.metadata(), Map.of());
        assertThat(Precision.AUTO.resolve(old)).isEqualTo(DataType.FLOAT64);
        assertThat(Precision.AUTO.module(old)).isEqualTo(p.module());
        assertThatThrownBy(() -> Precision.FLOAT32.module(old)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the analysis precision is float32 but the snapshot names no module traced in float32");
        assertThat(Precision.FLOAT64.module(old)).isEqualTo(p.module());
        assertThatThrownBy(() -> Precision.parse("float16", "--dtype")).hasMessage("--dtype must be auto, float32 or float64, got 'float16'");
    }

    /** The snapshot as a float32 client would send it: every value rounded to float32, the precision recorded. */
    private static ScriptedParameters roundedToFloat32(ScriptedParameters p) {
        List<ScriptedParameters.Parameter> out = new ArrayList<>();
        for (ScriptedParameters.Parameter q : p.parameters()) {
            double[] values = q.values().clone();
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) values[i];
            }
            out.add(new ScriptedParameters.Parameter(q.name(), q.shape(), values));
        }
        return new ScriptedParameters(out, p.inputShape(), p.classes(), p.loss(), p.module(), p.moduleFloat32(), DataType.FLOAT32,
                p.metadata(), Map.of());
    }
}
