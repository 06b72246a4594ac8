package io.eoscope.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.analysis.BeyondTopOptions;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.spectrum.DensityOptions;
import io.eoscope.curvature.spectrum.TraceOptions;
import io.eoscope.wire.MetricsRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * An analyzer computes the density and the traces on the first snapshot of each run and then on every K-th, counting
 * each run's snapshots apart; the records it writes carry them as the wire reads them.
 */
class DensityEveryKthSnapshotTest {

    @Test
    void theFirstAndEveryKthSnapshotOfEachRunCarryTheDensityAndTheTraces() {
        Random r = new Random(4);
        double[] x = new double[10 * 2];
        Arrays.setAll(x, i -> r.nextGaussian());
        LabeledData data = new LabeledData(10, 2, x, new int[] {0, 1, 0, 1, 0, 1, 0, 1, 1, 0});
        AnalysisOptions options = AnalysisOptions.defaults().with(new BeyondTopOptions(new DensityOptions(2, 6, 0),
                new TraceOptions(6, 0.95, 0), 3));
        AnalyzerConfig config = new AnalyzerConfig("default", options, "float64", "cpu", "eos-analyzers", "all");
        List<String> heavy = new ArrayList<>();
        try (SnapshotAnalysis analysis = new SnapshotAnalysis(config, 4)) {
            for (int step = 0; step < 5; step++) {
                for (String run : new String[] {"a", "b"}) {
                    if (run.equals("b") && step < 2) {
                        continue; // run b starts later: its own count
                    }
                    Map<String, String> meta = new HashMap<>(Map.of("run", run, "step", Integer.toString(step), "time",
                            Double.toString(step * 0.1), "dataset", "abc", "solver", "gd", "lr", "0.05"));
                    MlpModel m = MlpModel.initialise(new int[] {2, 3, 2}, Activation.ELU, Loss.MSE, step).withMetadata(meta);
                    MetricsRecord record = analysis.analyse(m, data);
                    boolean withDensity = record.json().has("density");
                    assertThat(record.json().has("trace")).isEqualTo(withDensity);
                    if (withDensity) {
                        heavy.add(run + step);
                        // as the wire reads it (its rules passed: the curve is the smoothing of the nodes)
                        MetricsRecord.Density d = record.density(MetricsRecord.Operator.HESSIAN);
                        assertThat(d).isNotNull();
                        assertThat(d.probes()).isEqualTo(2);
                        assertThat(record.trace(MetricsRecord.Operator.HESSIAN)).isFinite();
                        assertThat(record.trace(MetricsRecord.Operator.GAUSS_NEWTON)).isPositive();
                    }
                }
            }
        }
        assertThat(heavy).containsExactly("a0", "b2", "a3");
    }
}
