package io.eoscope.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.StabilityQuantity;
import io.eoscope.wire.FieldRules;
import io.eoscope.wire.MetricsRecord;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The analyzer's metrics record carries {@code stability}: a GD snapshot's ratio is λmax(𝓗)·η/2, the gateway's ratio
 * of today; and the wire's names of the optimizers and quantities are the curvature module's.
 */
class StabilityMetricsTest {

    @Test
    void aGdSnapshotsStabilityRatioIsTheSharpnessTimesEtaOverTwo() {
        Map<String, String> meta = new HashMap<>(Map.of("run", "r1", "step", "20", "time", "0.8", "dataset", "abc", "solver", "gd",
                "lr", "0.05"));
        MlpModel m = MlpModel.initialise(new int[] {2, 3, 2}, Activation.ELU, Loss.MSE, 1).withMetadata(meta);
        Random r = new Random(4);
        double[] x = new double[10 * 2];
        Arrays.setAll(x, i -> r.nextGaussian());
        LabeledData data = new LabeledData(10, 2, x, new int[] {0, 1, 0, 1, 0, 1, 0, 1, 1, 0});
        AnalysisOptions d = AnalysisOptions.defaults();
        AnalyzerConfig config = new AnalyzerConfig("default", d, "float64", "cpu", "eos-analyzers", "all");
        try (SnapshotAnalysis analysis = new SnapshotAnalysis(config, 2)) {
            MetricsRecord record = analysis.analyse(m, data);
            MetricsRecord.Stability s = record.stability();
            assertThat(s.optimizer()).isEqualTo("gd");
            assertThat(s.quantity()).isEqualTo("sharpness");
            assertThat(s.value()).isEqualTo(record.top(MetricsRecord.Spectrum.HESSIAN));
            assertThat(s.threshold()).isEqualTo(2 / 0.05);
            assertThat(s.ratio()).isCloseTo(record.top(MetricsRecord.Spectrum.HESSIAN) * 0.05 / 2,
                    org.assertj.core.api.Assertions.within(1e-12));
            assertThat(s.formula()).isEqualTo("2/η");
            assertThat(s.interval()).isNull();
        }
    }

    @Test
    void theWiresNamesAreTheCurvatureModules() {
        assertThat(FieldRules.OPTIMIZERS).containsExactlyElementsOf(Arrays.stream(OptimizerKind.values()).map(OptimizerKind::id).toList());
        assertThat(FieldRules.STABILITY_QUANTITIES)
                .containsExactlyElementsOf(Arrays.stream(StabilityQuantity.values()).map(StabilityQuantity::id).toList());
    }
}
