package io.eoscope.curvature.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.spectrum.DensityGrid;
import io.eoscope.curvature.spectrum.DensityOptions;
import io.eoscope.curvature.spectrum.SpectralDensity;
import io.eoscope.curvature.spectrum.TraceEstimate;
import io.eoscope.curvature.spectrum.TraceOptions;
import io.eoscope.curvature.testing.DenseOperators;
import io.eoscope.curvature.testing.TestProblems;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The density and the traces inside a whole analysis: what the analysis reports against the dense float64 operators of
 * a small MLP, the JSON's fields, the every-K-th-snapshot rule, and that repeated analyses leave nothing behind.
 */
class BeyondTopAnalysisTest {
    private static final MlpModel MODEL = TestProblems.model("3-8-8-2", Activation.ELU, Loss.CROSS_ENTROPY, 11);

    private static AnalysisOptions options(int every) {
        return AnalysisOptions.defaults().with(new BeyondTopOptions(DensityOptions.defaults(), TraceOptions.defaults(), every));
    }

    @Test
    void densityAndTracesAgreeWithTheDenseOperators() {
        try (NDManager root = NDManager.newBaseManager();
                DeviceData data = DeviceData.upload(TestProblems.data(40, 3, 2, 12), 2, root, DataType.FLOAT64, 16);
                Network network = Network.upload(MODEL, root, DataType.FLOAT64);
                CurvatureAnalysis analysis = new CurvatureAnalysis(options(1), root)) {
            AnalysisReport report = analysis.analyze(network, data, AnalysisProgress.NONE);
            assertThat(report.failure()).isNull();
            double[][] hessian;
            double[][] gaussNewton;
            try (NDManager m = root.newSubManager(); CurvatureProducts products = new CurvatureProducts(network, data)) {
                hessian = DenseOperators.materialise(CurvatureOperator.of(products, Curvature.HESSIAN), m);
                gaussNewton = DenseOperators.materialise(CurvatureOperator.of(products, Curvature.GAUSS_NEWTON), m);
            }
            // tr(G) and every tr(Gˡ) exact: to 1e-10 of the dense float64 matrix
            Traces traces = report.traces();
            assertThat(traces.gaussNewton().method()).isEqualTo(TraceEstimate.EXACT);
            assertThat(traces.gaussNewton().value()).isCloseTo(trace(gaussNewton, 0, gaussNewton.length),
                    within(1e-10 * trace(gaussNewton, 0, gaussNewton.length)));
            long from = 0;
            for (int l = 0; l < traces.layers().size(); l++) {
                long to = network.groups().get(l).to();
                double want = trace(gaussNewton, (int) from, (int) to);
                assertThat(traces.layers().get(l).layer()).isEqualTo(l + 1);
                assertThat(traces.layers().get(l).trace().value()).isCloseTo(want, within(1e-10 * Math.abs(want)));
                from = to;
            }
            // tr(𝓗) by Hutch++: a non-empty interval around the value, within four of its half-widths of the exact trace
            // (deterministic for the seed; a 95% interval that missed by four half-widths would be far too narrow)
            TraceEstimate h = traces.hessian();
            double exact = trace(hessian, 0, hessian.length);
            double half = (h.high() - h.low()) / 2;
            assertThat(h.method()).isEqualTo(TraceEstimate.HUTCH_PLUS_PLUS);
            assertThat(h.products()).isEqualTo(TraceOptions.defaults().products());
            assertThat(half).isPositive();
            assertThat(Math.abs(h.value() - exact)).isLessThanOrEqualTo(4 * half);
            assertThat(traces.gaussNewtonShare()).isCloseTo(traces.gaussNewton().value() / h.value(), within(1e-12));
            // the densities: both operators, weights a probability measure, nodes inside the spectrum's range (Ritz values
            // of a symmetric matrix lie in [λmin, λmax])
            for (Curvature kind : new Curvature[] {Curvature.HESSIAN, Curvature.GAUSS_NEWTON}) {
                SpectralDensity d = report.densities().get(kind);
                assertThat(d).as(kind.id()).isNotNull();
                assertThat(d.products()).isLessThanOrEqualTo(DensityOptions.defaults().products());
                assertThat(Arrays.stream(d.weights()).sum()).isCloseTo(1.0, within(1e-9));
                double[] eig = io.eoscope.curvature.eigen.DenseSymmetricEigen.of(kind == Curvature.HESSIAN ? hessian : gaussNewton)
                        .values();
                double max = Arrays.stream(eig).max().orElseThrow();
                double min = Arrays.stream(eig).min().orElseThrow();
                double slack = 1e-8 * Math.max(Math.abs(max), Math.abs(min));
                for (double x : d.nodes()) {
                    assertThat(x).as(kind.id() + " node").isBetween(min - slack, max + slack);
                }
            }
            JsonObject json = report.toJson();
            assertThat(json.getAsJsonObject("density").keySet()).containsExactly("hessian", "gauss_newton");
            JsonObject density = json.getAsJsonObject("density").getAsJsonObject("hessian");
            assertThat(density.getAsJsonArray("curve")).hasSize(DensityGrid.POINTS);
            assertThat(density.getAsJsonArray("nodes")).hasSameSizeAs(density.getAsJsonArray("weights"));
            JsonObject trace = json.getAsJsonObject("trace");
            assertThat(trace.getAsJsonObject("gauss_newton").get("gradient_equivalents").getAsLong()).isEqualTo(2);
            assertThat(trace.getAsJsonArray("gauss_newton_layers")).hasSize(3);
            assertThat(trace.getAsJsonObject("top_share").get("hessian").getAsDouble())
                    .isCloseTo(report.spectra().get(Curvature.HESSIAN).top() / h.value(), within(1e-12));
            assertThat(report.info().get("stage_seconds").toString()).contains("density_hessian", "density_gauss_newton", "trace");
        }
    }

    @Test
    void onlyEveryKthSnapshotPaysForThem() {
        BeyondTopOptions every3 = new BeyondTopOptions(DensityOptions.defaults(), null, 3);
        assertThat(java.util.stream.LongStream.range(0, 8).filter(every3::due).toArray()).containsExactly(0, 3, 6);
        assertThat(BeyondTopOptions.none().due(0)).isFalse();
        assertThatThrownBy(() -> new BeyondTopOptions(null, null, 0)).hasMessageContaining("--density-trace-every");
        try (NDManager root = NDManager.newBaseManager();
                DeviceData data = DeviceData.upload(TestProblems.data(20, 3, 2, 12), 2, root, DataType.FLOAT64, 16);
                Network network = Network.upload(MODEL, root, DataType.FLOAT64);
                CurvatureAnalysis analysis = new CurvatureAnalysis(options(3), root)) {
            AnalysisReport without = analysis.analyze(network, data, null, AnalysisProgress.NONE, false);
            assertThat(without.densities()).isEmpty();
            assertThat(without.traces()).isNull();
            assertThat(without.toJson().has("density")).isFalse();
            assertThat(without.toJson().has("trace")).isFalse();
        }
    }

    @Test
    void repeatedAnalysesLeaveOnlyTheWarmStartsBehind() {
        try (NDManager root = NDManager.newBaseManager();
                DeviceData data = DeviceData.upload(TestProblems.data(20, 3, 2, 12), 2, root, DataType.FLOAT32, 16);
                CurvatureAnalysis analysis = new CurvatureAnalysis(AnalysisOptions.defaults().with(new BeyondTopOptions(
                        new DensityOptions(2, 6, 0), new TraceOptions(6, 0.95, 0), 1)), root)) {
            int after2 = 0;
            for (int i = 1; i <= 3; i++) {
                try (Network network = Network.upload(MODEL, root, DataType.FLOAT32)) {
                    assertThat(analysis.analyze(network, data, AnalysisProgress.NONE).failure()).isNull();
                }
                if (i == 2) {
                    after2 = root.getManagedArrays().size();
                }
            }
            assertThat(after2).isEqualTo(2 + 3); // the dataset and one warm start per spectrum
            assertThat(root.getManagedArrays()).hasSize(after2);
        }
    }

    private static double trace(double[][] a, int from, int to) {
        double t = 0;
        for (int i = from; i < to; i++) {
            t += a[i][i];
        }
        return t;
    }
}
