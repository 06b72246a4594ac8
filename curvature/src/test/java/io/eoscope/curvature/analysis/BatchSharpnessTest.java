package io.eoscope.curvature.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.alignment.LayerSpectraRoute;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.OptimizerSnapshot;
import io.eoscope.curvature.optim.StabilityQuantity;
import io.eoscope.curvature.testing.DenseOperators;
import io.eoscope.curvature.testing.TestProblems;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Batch sharpness in an analysis, and the delta method's interval (BatchSharpnessExactTest checks the numbers). */
class BatchSharpnessTest {
    private static final int N = 12;
    private static final int B = 4;

    private static MlpModel model() {
        return TestProblems.model("3-4-3", Activation.TANH, Loss.CROSS_ENTROPY, 21);
    }

    @Test
    void aMiniBatchGdRunIsJudgedByBatchSharpnessWithItsIntervalAndTheFullBatchSharpnessBeside() {
        AnalysisOptions options = new AnalysisOptions(1, 1e-8, "lanczos", EnumSet.of(Curvature.HESSIAN), false, 1000, 0,
                LayerSpectraRoute.AUTO, 2048, 5000, 3, new BatchSharpness.Options(0.2, 10, 200));
        for (OptimizerKind kind : new OptimizerKind[] {OptimizerKind.GD, OptimizerKind.MOMENTUM}) {
            OptimizerSnapshot run = new OptimizerSnapshot(OptimizerSettings.defaults(kind, 0.1), 5, B, Map.of());
            try (NDManager m = NDManager.newBaseManager();
                    Network network = Network.upload(model(), m, DataType.FLOAT64);
                    DeviceData data = DeviceData.upload(TestProblems.data(N, 3, 3, 22), 3, m, DataType.FLOAT64, 1000);
                    CurvatureAnalysis analysis = new CurvatureAnalysis(options, m)) {
                AnalysisReport report = analysis.analyze(network, data, run, AnalysisProgress.NONE);
                Stability s = report.stability();
                assertThat(s.quantity()).isEqualTo(StabilityQuantity.BATCH_SHARPNESS);
                assertThat(s.threshold()).isCloseTo(run.settings().threshold(), within(0.0));
                assertThat(s.low()).isLessThan(s.value());
                assertThat(s.high()).isGreaterThan(s.value());
                assertThat(s.batches()).isBetween(10L, 200L);
                assertThat(s.sharpness()).isEqualTo(report.spectra().get(Curvature.HESSIAN).top());
                assertThat(s.note() != null).as("momentum's threshold is an extrapolation").isEqualTo(kind == OptimizerKind.MOMENTUM);
                assertThat(report.toJson().getAsJsonObject("stability").getAsJsonArray("interval")).hasSize(2);
                assertThat(report.toJson().getAsJsonObject("stability").get("batches").getAsLong()).isEqualTo(s.batches());
                OptimizerSnapshot tooBig = new OptimizerSnapshot(run.settings(), 5, N + 1, Map.of());
                assertThatThrownBy(() -> analysis.analyze(network, data, tooBig, AnalysisProgress.NONE))
                        .hasMessageContaining("field 'batch_size' is 13, more than the dataset's 12 samples");
            }
        }
    }

    @Test
    void theDeltaMethodHalfWidthOfARatioWithAConstantDenominatorIsTheMeansOwn() {
        RatioOfMeans r = new RatioOfMeans();
        double[] x = {1, 4, 2, 8, 5, 7};
        double sum = 0;
        for (double v : x) {
            r.add(v, 2);
            sum += v;
        }
        double mean = sum / x.length;
        double ss = 0;
        for (double v : x) {
            ss += (v - mean) * (v - mean);
        }
        assertThat(r.ratio()).isCloseTo(mean / 2, within(1e-15));
        assertThat(r.halfWidth(RatioOfMeans.Z95)).isCloseTo(RatioOfMeans.Z95 * Math.sqrt(ss / (x.length - 1) / x.length) / 2,
                within(1e-14));
    }
}
