package io.eoscope.curvature.alignment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.analysis.AnalysisProgress;
import io.eoscope.curvature.analysis.AnalysisReport;
import io.eoscope.curvature.analysis.CurvatureAnalysis;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.testing.ReferenceAlignment;
import io.eoscope.curvature.testing.TestProblems;
import java.util.EnumSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The alignment quantities (docs/science.md#layerwise-alignment) against a plain-Java reference built from the definitions (symmetric S^½,
 * explicit Kˡ, dense Gˡ), both λ_max(Gˡ) routes against each other, the five-factor identity and the
 * bounds of docs/science.md#layerwise-alignment. Float64 throughout; the tolerances are those of the dense reference (1e-9).
 */
class LayerwiseAlignmentTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("4-6-5-3", Activation.TANH, Loss.CROSS_ENTROPY),
                Arguments.of("3-6-6-2", Activation.ELU, Loss.MSE),
                Arguments.of("5-7-6-5-4", Activation.ELU, Loss.CROSS_ENTROPY),
                Arguments.of("3-8-3", Activation.RELU, Loss.MSE));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesDefinitionsAndRoutesAgree(String arch, Activation act, Loss loss) {
        MlpModel model = TestProblems.model(arch, act, loss, 61);
        LabeledData data = TestProblems.data(11, model.inputWidth(), model.classes(), 62);
        ReferenceAlignment ref = new ReferenceAlignment(model, data);
        AnalysisReport dual = analyse(model, data, LayerSpectraRoute.DUAL_GRAM, 0);
        AnalysisReport operator = analyse(model, data, LayerSpectraRoute.OPERATOR, 0);
        assertRelative(dual.spectra().get(Curvature.GAUSS_NEWTON).top(), ref.gaussNewtonTop, 1e-9);
        assertRelative(dual.alignment().kMaxSqMean(), ref.kMaxSqMean, 1e-9);
        for (int l = 0; l < model.layers(); l++) {
            LayerAlignment a = dual.alignment().layers().get(l);
            LayerAlignment b = operator.alignment().layers().get(l);
            assertRelative(a.gaussNewtonTop(), ref.layerGaussNewtonTop[l], 1e-9);
            assertRelative(b.gaussNewtonTop(), ref.layerGaussNewtonTop[l], 1e-6); // Lanczos at tol 1e-10
            assertRelative(a.kMaxSqMean(), ref.layerKMaxSqMean[l], 1e-9);
            assertRelative(a.piChi(), ref.piChi[l], 1e-12);
            assertRelative(a.piJ(), ref.piJ[l], 1e-9);
            assertRelative(a.deltaMaxSqMean(), ref.deltaMaxSqMean[l], 1e-9);
            assertRelative(a.deltaLMaxSqMean(), ref.deltaLMaxSqMean, 1e-9);
            // the five-factor identity of docs/science.md#layerwise-alignment
            assertRelative(a.fiveFactorProduct(), a.kMaxSqMean(), 1e-10);
            // bounds: ρ(Kˡ) ≤ E‖Kˡ‖²_max
            assertThat(a.gaussNewtonTop()).isLessThanOrEqualTo(a.kMaxSqMean() * (1 + 1e-12));
        }
        LayerAlignment last = dual.alignment().layers().get(model.layers() - 1);
        assertThat(last.piJ()).isEqualTo(1.0);
        assertRelative(last.pDeltaJ(), 1.0, 1e-12);
        // ρ(K) ≤ E‖K‖²_max, and Lemma B on the reported numbers
        double rho = dual.spectra().get(Curvature.GAUSS_NEWTON).top();
        assertThat(rho).isLessThanOrEqualTo(dual.alignment().kMaxSqMean() * (1 + 1e-12));
        double max = 0;
        double sum = 0;
        for (LayerAlignment a : dual.alignment().layers()) {
            max = Math.max(max, a.gaussNewtonTop());
            sum += a.gaussNewtonTop();
        }
        assertThat(max).isLessThanOrEqualTo(rho * (1 + 1e-9));
        assertThat(rho).isLessThanOrEqualTo(sum * (1 + 1e-9));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void subsampleUsesThatManySamplesAndIsReproducible(String arch, Activation act, Loss loss) {
        MlpModel model = TestProblems.model(arch, act, loss, 71);
        LabeledData data = TestProblems.data(40, model.inputWidth(), model.classes(), 72);
        AnalysisReport a = analyse(model, data, LayerSpectraRoute.AUTO, 13);
        AnalysisReport b = analyse(model, data, LayerSpectraRoute.AUTO, 13);
        AnalysisReport all = analyse(model, data, LayerSpectraRoute.AUTO, 0);
        assertThat(a.alignment().samples()).isEqualTo(13);
        assertThat(all.alignment().samples()).isEqualTo(40);
        assertThat(a.alignment().kMaxSqMean()).isEqualTo(b.alignment().kMaxSqMean());
        assertThat(a.alignment().kMaxSqMean()).isNotEqualTo(all.alignment().kMaxSqMean());
        // λ_max(Gˡ) is a whole-dataset quantity: the subsample does not change it
        assertThat(a.alignment().layers().get(0).gaussNewtonTop())
                .isCloseTo(all.alignment().layers().get(0).gaussNewtonTop(), within(1e-9));
    }

    private static AnalysisReport analyse(MlpModel model, LabeledData data, LayerSpectraRoute route, int subsample) {
        AnalysisOptions o = AnalysisOptions.defaults();
        AnalysisOptions options = new AnalysisOptions(1, 1e-10, "lanczos", EnumSet.of(Curvature.GAUSS_NEWTON), true, 4,
                subsample, route, o.dualGramLimit(), 10_000, 0);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, DataType.FLOAT64, 4);
                CurvatureAnalysis analysis = new CurvatureAnalysis(options, m)) {
            return analysis.analyze(net, dev, AnalysisProgress.NONE);
        }
    }

    private static void assertRelative(double actual, double expected, double tolerance) {
        assertThat(Math.abs(actual - expected)).as("%s vs %s", actual, expected)
                .isLessThanOrEqualTo(tolerance * Math.max(Math.abs(expected), 1e-300));
    }
}
