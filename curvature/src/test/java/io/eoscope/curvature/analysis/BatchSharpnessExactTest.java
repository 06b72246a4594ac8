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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Batch sharpness E_B[g_Bᵀ𝓗_B g_B]/E_B[‖g_B‖²] on N = 12, B = 4: the exact value by enumerating all C(12, 4) = 495
 * batches, against the closed form from dense float64 per-sample gradients and Hessians (g_B = (1/B) Σ_{i∈B} g_i,
 * 𝓗_B = (1/B) Σ_{j∈B} 𝓗_j, and a set of m distinct samples lies in a uniform batch with probability
 * C(N−m, B−m)/C(N, B)); then the Monte Carlo estimate's 95% interval, which must cover the exact value for at least
 * 90 of 100 seeds at a loose tolerance (a half-width of 10%, about 60 batches each). Integration: about a minute of
 * products on 2 cores.
 */
@Tag("integration")
class BatchSharpnessExactTest {
    private static final int N = 12;
    private static final int B = 4;

    private static MlpModel model() {
        return TestProblems.model("3-4-3", Activation.TANH, Loss.CROSS_ENTROPY, 21);
    }

    @Test
    void exactEnumerationEqualsTheClosedFormFromPerSampleGradientsAndHessians() {
        try (NDManager m = NDManager.newBaseManager();
                Network network = Network.upload(model(), m, DataType.FLOAT64);
                DeviceData data = DeviceData.upload(TestProblems.data(N, 3, 3, 22), 3, m, DataType.FLOAT64, 5)) {
            int p = (int) network.parameterCount();
            double[][] g = new double[N][];
            double[][][] h = new double[N][][];
            for (int i = 0; i < N; i++) {
                try (DeviceData one = data.select(new int[] {i}); CurvatureProducts products = new CurvatureProducts(network, one);
                        NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    g[i] = HostArrays.download(products.gradient());
                    h[i] = DenseOperators.materialise(CurvatureOperator.of(products, Curvature.HESSIAN), m);
                }
            }
            double numerator = 0;
            double denominator = 0;
            for (int j = 0; j < N; j++) {
                for (int k = 0; k < N; k++) {
                    double[] hg = new double[p];
                    for (int a = 0; a < p; a++) {
                        for (int b = 0; b < p; b++) {
                            hg[a] += h[j][a][b] * g[k][b];
                        }
                    }
                    for (int i = 0; i < N; i++) {
                        numerator += inclusion(distinct(i, j, k)) * dot(g[i], hg);
                    }
                    if (j == 0) {
                        for (int i = 0; i < N; i++) {
                            denominator += inclusion(distinct(i, k, k)) * dot(g[i], g[k]);
                        }
                    }
                }
            }
            double closedForm = (numerator / (B * B * B)) / (denominator / (B * B));
            double exact = BatchSharpness.exact(network, data, B, 1000);
            assertThat(Math.abs(exact - closedForm) / Math.abs(closedForm)).as("exact %s vs closed form %s", exact, closedForm)
                    .isLessThan(1e-8);
            assertThatThrownBy(() -> BatchSharpness.exact(network, data, B, 494)).hasMessageContaining("C(12, 4) = 495 batches");
        }
    }

    @Test
    void theNinetyFivePercentIntervalCoversTheExactValueForAtLeastNinetyOfAHundredSeeds() {
        BatchSharpness.Options loose = new BatchSharpness.Options(0.1, 10, 500);
        try (NDManager m = NDManager.newBaseManager();
                Network network = Network.upload(model(), m, DataType.FLOAT64);
                DeviceData data = DeviceData.upload(TestProblems.data(N, 3, 3, 22), 3, m, DataType.FLOAT64, 1000)) {
            double exact = BatchSharpness.exact(network, data, B, 1000);
            int covered = 0;
            long batches = 0;
            for (int seed = 0; seed < 100; seed++) {
                BatchSharpness.Estimate e = BatchSharpness.estimate(network, data, B, loose, seed, done -> { });
                assertThat(e.failure()).isNull();
                assertThat(e.converged()).as("seed %d converged", seed).isTrue();
                assertThat(e.batches()).isBetween(10L, 500L).isEqualTo(e.products());
                assertThat(e.high() - e.low()).isLessThanOrEqualTo(2 * 0.1 * Math.abs(e.value()) + 1e-12);
                if (e.low() <= exact && exact <= e.high()) {
                    covered++;
                }
                batches += e.batches();
            }
            System.out.printf("batch sharpness: exact %.6f, covered by %d of 100 intervals (±10%%), %.1f batches each%n", exact,
                    covered, batches / 100.0);
            assertThat(covered).isGreaterThanOrEqualTo(90);
        }
    }

    private static int distinct(int i, int j, int k) {
        return 1 + (j != i ? 1 : 0) + (k != i && k != j ? 1 : 0);
    }

    /** C(N−m, B−m)/C(N, B): the probability that m given distinct samples all lie in a uniform batch. */
    private static double inclusion(int m) {
        double p = 1;
        for (int t = 0; t < m; t++) {
            p *= (double) (B - t) / (N - t);
        }
        return p;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

}
