package io.eoscope.curvature.spectrum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.eigen.DenseSymmetricEigen;
import io.eoscope.curvature.eigen.SymmetricOperator;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.net.ScriptedModel;
import io.eoscope.curvature.testing.DenseOperators;
import io.eoscope.curvature.testing.TestProblems;
import io.eoscope.curvature.testing.TorchScriptFixtures;
import java.util.Arrays;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SLQ density against dense float64 spectra (𝓗 and G materialised from products), at the default n_v and m.
 *
 * <p>The bound: W1(μ̂, μ) ≤ {@value #W1_BOUND}·(λmax − λmin). Why this size: W1 is the sup of ∫f d(μ̂ − μ) over
 * 1-Lipschitz f. For one probe the Gauss quadrature matches its measure's moments up to degree 2m − 1, so by Jackson's
 * theorem its W1 to the probe's measure is at most about π(λmax − λmin)/(4m) in the worst case (≈ 0.026·range at
 * m = 30); the probes' measures scatter around μ by O(range/√(n_v·P)) more. Curvature spectra are far from the worst
 * case (a bulk near zero and a few outliers, which Lanczos finds first): the measurement behind the defaults
 * ({@code SpectrumDefaultsMeasurement}, 𝓗 and G of three MLPs, 10 seeds each) found W1 of 0.002–0.007·range on
 * average and at most 0.009·range at n_v = 5, m = 30. {@value #W1_BOUND} is about twice that maximum; a density that
 * misplaced its mass fails it, and the second check below (half the W1 of a point mass at tr/P) keeps the test
 * informative where the range is set by a few outliers.
 */
class StochasticLanczosQuadratureTest {
    /** W1 to the dense spectral measure, as a fraction of the spectrum's range (see the class comment). */
    static final double W1_BOUND = 0.02;

    @ParameterizedTest
    @CsvSource({"4-9-8-3, TANH, CROSS_ENTROPY", "6-12-4, GELU, MSE"})
    void theDefaultDensityIsCloseToTheDenseSpectrumOfAnMlp(String arch, Activation act, Loss loss) {
        MlpModel model = TestProblems.model(arch, act, loss, 13);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(TestProblems.data(24, model.inputWidth(), model.classes(), 14),
                        model.classes(), m, DataType.FLOAT64, 24);
                CurvatureProducts products = new CurvatureProducts(net, dev)) {
            for (Curvature kind : new Curvature[] {Curvature.HESSIAN, Curvature.GAUSS_NEWTON}) {
                checkAgainstDense(CurvatureOperator.of(products, kind), arch + " " + kind.id(), m);
            }
        }
    }

    /**
     * The CNN fixture (311 parameters, double-backward products): dense enough to materialise; its 461 products take
     * tens of seconds on 2 cores, so it runs with the integration tests ({@code mvn verify}), not the fast profile.
     */
    @Test
    @Tag("integration")
    void theDefaultDensityIsCloseToTheDenseSpectrumOfTheCnn() {
        TorchScriptFixtures f = TorchScriptFixtures.load("cnn");
        try (NDManager m = NDManager.newBaseManager();
                ScriptedModel model = ScriptedModel.load(f.module(), f.parameters(), m);
                DeviceData data = DeviceData.upload(f.data(), model.classes(), m, model.dataType(), 1000);
                CurvatureProducts products = new CurvatureProducts(model, data)) {
            checkAgainstDense(CurvatureOperator.of(products, Curvature.HESSIAN), "cnn hessian", m);
        }
    }

    private static void checkAgainstDense(SymmetricOperator op, String what, NDManager m) {
        double[] eig = DenseSymmetricEigen.of(DenseOperators.materialise(op, m)).values();
        DensityOptions o = DensityOptions.defaults();
        SpectralDensity d = StochasticLanczosQuadrature.estimate(op, o, m);
        assertThat(d.failure()).as(what).isNull();
        double range = SpectralMeasures.range(eig);
        double w1 = SpectralMeasures.wasserstein1(d, eig);
        assertThat(w1 / range).as("%s: W1 = %.4g, range %.4g", what, w1, range).isLessThan(W1_BOUND);
        assertThat(d.products()).as(what + " products").isEqualTo(o.products());
        assertThat(d.nodes()).hasSize(o.probes() * o.steps());
        assertThat(Arrays.stream(d.weights()).sum()).isCloseTo(1, within(1e-12));
        assertThat(Arrays.stream(d.weights()).min().orElseThrow()).isGreaterThanOrEqualTo(0);
        // Ritz values lie within the spectrum (Cauchy interlacing), up to rounding
        double top = Arrays.stream(eig).max().orElseThrow();
        double bottom = Arrays.stream(eig).min().orElseThrow();
        for (double x : d.nodes()) {
            assertThat(x).as(what + " node").isBetween(bottom - 1e-9 * range, top + 1e-9 * range);
        }
        // informative, not only within the bound: far closer than all mass at the mean eigenvalue tr/P, the best one
        // could say from the trace alone
        double mean = Arrays.stream(eig).average().orElseThrow();
        double trivial = SpectralMeasures.wasserstein1(new double[] {mean}, new double[] {1}, eig, SpectralMeasures.uniform(eig.length));
        assertThat(w1).as("%s: W1 = %.4g against %.4g of a point mass at tr/P", what, w1, trivial).isLessThan(0.5 * trivial);
    }

    /**
     * An operator with 3 distinct eigenvalues: every probe's Krylov space is invariant after 3 steps, the probe stops
     * there (fewer products than n_v·m) and its nodes are the eigenvalues themselves.
     */
    @Test
    void aProbeStopsOnAnInvariantSubspace() {
        int n = 60;
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            a[i][i] = i % 3 == 0 ? 5 : i % 3 == 1 ? -2 : 0.5;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            SpectralDensity d = StochasticLanczosQuadrature.estimate(DenseOperators.of(a, m), new DensityOptions(4, 20, 3), m);
            assertThat(d.failure()).isNull();
            assertThat(d.products()).isEqualTo(4 * 3);
            assertThat(d.nodes()).hasSize(4 * 3);
            for (double x : d.nodes()) {
                assertThat(Math.min(Math.abs(x - 5), Math.min(Math.abs(x + 2), Math.abs(x - 0.5)))).isLessThan(1e-12);
            }
            assertThat(Arrays.stream(d.weights()).sum()).isCloseTo(1, within(1e-12));
        }
    }

    /** The same seed gives the same density whether the probes advance together (batched) or one by one. */
    @Test
    void batchedAndSequentialProbesAgree() {
        double[][] a = randomSymmetric(50, 4);
        try (NDManager m = NDManager.newBaseManager()) {
            SymmetricOperator plain = DenseOperators.of(a, m);
            SymmetricOperator batched = batching(plain);
            DensityOptions o = new DensityOptions(3, 12, 9);
            SpectralDensity one = StochasticLanczosQuadrature.estimate(plain, o, m);
            SpectralDensity all = StochasticLanczosQuadrature.estimate(batched, o, m);
            assertThat(all.products()).isEqualTo(one.products()).isEqualTo(36);
            double[] x = one.nodes();
            double[] y = all.nodes();
            for (int i = 0; i < x.length; i++) {
                assertThat(y[i]).isCloseTo(x[i], within(1e-10));
            }
            SpectralDensity other = StochasticLanczosQuadrature.estimate(plain, new DensityOptions(3, 12, 10), m);
            assertThat(other.nodes()).isNotEqualTo(x);
        }
    }

    /** A non-finite product is a failure with its reason, not a density, at the first product or in the middle. */
    @ParameterizedTest
    @CsvSource({"1", "7", "40"})
    void aNanProductIsAFailureNotADensity(long bad) {
        double[][] a = randomSymmetric(30, 5);
        try (NDManager m = NDManager.newBaseManager()) {
            SymmetricOperator op = breaking(DenseOperators.of(a, m), product -> product >= bad);
            SpectralDensity d = StochasticLanczosQuadrature.estimate(op, new DensityOptions(4, 10, 1), m);
            assertThat(d.failed()).isTrue();
            assertThat(d.failure()).contains("product " + bad + " has non-finite entries");
            assertThat(d.nodes()).isEmpty();
            assertThat(d.products()).isEqualTo(bad);
            assertThat(d.cumulativeMass(0)).isNaN();
        }
    }

    static double[][] randomSymmetric(int n, long seed) {
        double[] r = TestProblems.vector((long) n * n, seed);
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                a[i][j] = a[j][i] = r[i * n + j];
            }
        }
        return a;
    }

    /** {@code op} claiming to batch blocks. */
    static SymmetricOperator batching(SymmetricOperator op) {
        return new Wrapped(op, true, p -> false);
    }

    /** {@code op} whose single-vector products numbered (from 1) where {@code broken} holds come back NaN. */
    static SymmetricOperator breaking(SymmetricOperator op, LongPredicate broken) {
        return new Wrapped(op, false, broken);
    }

    /** An operator's products, counted, some made NaN, with batching claimed or not. */
    private static final class Wrapped implements SymmetricOperator {
        private final SymmetricOperator op;
        private final boolean batches;
        private final LongPredicate broken;
        private long products;

        Wrapped(SymmetricOperator op, boolean batches, LongPredicate broken) {
            this.op = op;
            this.batches = batches;
            this.broken = broken;
        }

        @Override
        public long dimension() {
            return op.dimension();
        }

        @Override
        public DataType dataType() {
            return op.dataType();
        }

        @Override
        public boolean batchesBlocks() {
            return batches;
        }

        @Override
        public NDArray apply(NDArray block) {
            long rows = block.getShape().get(0);
            NDArray out = op.apply(block);
            long first = products + 1;
            products += rows;
            for (long r = 0; r < rows; r++) {
                if (broken.test(first + r)) {
                    out.set(new NDIndex(r), Double.NaN);
                }
            }
            return out;
        }
    }
}
