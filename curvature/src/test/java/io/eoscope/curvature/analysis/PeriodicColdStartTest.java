package io.eoscope.curvature.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.testing.TestProblems;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Successive analyses warm-start, except every {@link CurvatureAnalysis#COLD_EVERY}th, which starts cold. */
class PeriodicColdStartTest {

    @Test
    void everyTenthSolveStartsColdAndFindsTheSameEigenvalue() {
        MlpModel model = TestProblems.model("5-16-16-3", Activation.ELU, Loss.CROSS_ENTROPY, 91);
        LabeledData data = TestProblems.data(48, 5, 3, 92);
        AnalysisOptions d = AnalysisOptions.defaults();
        AnalysisOptions options = new AnalysisOptions(1, 1e-8, d.solver(), EnumSet.of(Curvature.HESSIAN), false,
                d.chunkSize(), 0, d.layerSpectra(), d.dualGramLimit(), d.maxProducts(), 0);
        List<String> starts = new ArrayList<>();
        List<Long> products = new ArrayList<>();
        List<Double> tops = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, DataType.FLOAT64, 16);
                CurvatureAnalysis analysis = new CurvatureAnalysis(options, m)) {
            for (int i = 0; i < 2 * CurvatureAnalysis.COLD_EVERY + 1; i++) {
                AnalysisReport r = analysis.analyze(net, dev, AnalysisProgress.NONE);
                Spectrum s = r.spectra().get(Curvature.HESSIAN);
                assertThat(r.toJson().getAsJsonObject(Curvature.HESSIAN.id()).get("warm_started").getAsBoolean())
                        .isEqualTo(s.warmStarted());
                starts.add(s.warmStarted() ? "warm" : "cold");
                products.add(s.products());
                tops.add(s.eigenvalues()[0]);
            }
        }
        for (int i = 0; i < starts.size(); i++) {
            String expected = i % CurvatureAnalysis.COLD_EVERY == 0 ? "cold" : "warm";
            assertThat(starts.get(i)).as("start of solve %d", i + 1).isEqualTo(expected);
            assertThat(tops.get(i)).as("top eigenvalue of solve %d", i + 1).isCloseTo(tops.get(0),
                    org.assertj.core.data.Offset.offset(1e-6 * Math.abs(tops.get(0))));
            if (expected.equals("warm")) {
                assertThat(products.get(i)).as("a warm solve of an unchanged operator is cheaper than a cold one")
                        .isLessThan(products.get(0));
            }
        }
    }
}
