package io.eoscope.curvature.eigen;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.testing.DenseOperators;
import io.eoscope.curvature.testing.TestProblems;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dense small cases: 𝓗, G and H materialised column by column from products; the solvers' top-k
 * against a dense symmetric eigendecomposition; Lemma B on the layer blocks of G.
 */
@Tag("integration")
class SolversAgainstDenseTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("4-6-5-3", Activation.TANH, Loss.CROSS_ENTROPY, "lanczos"),
                Arguments.of("4-6-5-3", Activation.TANH, Loss.CROSS_ENTROPY, "power"),
                Arguments.of("3-6-6-2", Activation.ELU, Loss.MSE, "lanczos"),
                Arguments.of("3-6-6-2", Activation.ELU, Loss.MSE, "power"),
                Arguments.of("5-8-4", Activation.GELU, Loss.CROSS_ENTROPY, "lanczos"),
                Arguments.of("4-6-5-3", Activation.TANH, Loss.CROSS_ENTROPY, "dense"),
                Arguments.of("3-6-6-2", Activation.ELU, Loss.MSE, "dense"));
    }

    /**
     * Tolerance 1e-12 on the Ritz values; the eigenvalues must then agree with the dense ones to 1e-8
     * relative (the residual test of the stopping rule alone guarantees about 1e-6·|λ|²/gap).
     */
    @ParameterizedTest
    @MethodSource("cases")
    void topThreeMatchDenseDecomposition(String arch, Activation act, Loss loss, String solverName) {
        MlpModel model = TestProblems.model(arch, act, loss, 31);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(TestProblems.data(12, model.inputWidth(), model.classes(), 32),
                        model.classes(), m, DataType.FLOAT64, 5);
                CurvatureProducts products = new CurvatureProducts(net, dev)) {
            EigenSolver solver = solverName.equals("dense") ? new DenseSolver() : EigenSolver.named(solverName);
            for (Curvature kind : Curvature.values()) {
                CurvatureOperator op = CurvatureOperator.of(products, kind);
                double[] dense = DenseSymmetricEigen.of(DenseOperators.materialise(op, m)).values();
                EigenResult r = solver.solve(op, new EigenOptions(3, 1e-12, 20_000, 1), null, m);
                assertThat(r.converged()).as(kind + " converged").isTrue();
                for (int i = 0; i < 3; i++) {
                    assertThat(Math.abs(r.eigenvalues()[i] - dense[i]) / Math.abs(dense[0]))
                            .as("%s λ%d: %s vs dense %s", kind, i + 1, r.eigenvalues()[i], dense[i]).isLessThan(1e-8);
                    assertThat(r.residuals()[i]).isLessThan(1e-5);
                }
                assertThat(r.products()).isGreaterThan(0);
            }
        }
    }

    /** max_l λ_max(Gˡ) ≤ λ_max(G) ≤ Σ_l λ_max(Gˡ) (docs/science.md#layerwise-alignment, Lemma B), on dense blocks. */
    @Test
    void lemmaBHoldsOnGaussNewtonBlocks() {
        for (Loss loss : Loss.values()) {
            MlpModel model = TestProblems.model("4-7-6-5-3", Activation.ELU, loss, 41);
            try (NDManager m = NDManager.newBaseManager();
                    Network net = Network.upload(model, m, DataType.FLOAT64);
                    DeviceData dev = DeviceData.upload(TestProblems.data(15, 4, 3, 42), 3, m, DataType.FLOAT64, 15);
                    CurvatureProducts products = new CurvatureProducts(net, dev)) {
                double[][] g = DenseOperators.materialise(CurvatureOperator.of(products, Curvature.GAUSS_NEWTON), m);
                double top = DenseSymmetricEigen.largest(g);
                double max = 0;
                double sum = 0;
                for (int l = 1; l <= model.layers(); l++) {
                    long[] range = net.layerRange(l);
                    double[][] block = DenseOperators.block(g, (int) range[0], (int) range[1]);
                    double blockTop = DenseSymmetricEigen.largest(block);
                    // the block operator gives the same block as the full matrix
                    double[][] viaOperator = DenseOperators.materialise(
                            CurvatureOperator.block(products, Curvature.GAUSS_NEWTON, net.groups().get(l - 1)), m);
                    assertThat(DenseSymmetricEigen.largest(viaOperator)).isCloseTo(blockTop,
                            org.assertj.core.data.Offset.offset(1e-10 * top));
                    max = Math.max(max, blockTop);
                    sum += blockTop;
                }
                assertThat(max).isLessThanOrEqualTo(top * (1 + 1e-12));
                assertThat(top).isLessThanOrEqualTo(sum * (1 + 1e-12));
                assertThat(max).isLessThan(top); // strict on a generic network: the test can fail
            }
        }
    }

    /**
     * Lanczos, the default, is replaced by the dense solver only where that is cheaper: a small operator whose block
     * products are batched (the tangent route); never for a large one, for the double-backward route, or for power.
     */
    @Test
    void theDenseSolverIsChosenOnlyForSmallBatchedOperators() {
        MlpModel small = TestProblems.model("4-6-5-3", Activation.TANH, Loss.CROSS_ENTROPY, 31);
        MlpModel large = TestProblems.model("8-16-16-3", Activation.TANH, Loss.CROSS_ENTROPY, 31);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(small, m, DataType.FLOAT64);
                Network big = Network.upload(large, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(TestProblems.data(12, 4, 3, 32), 3, m, DataType.FLOAT64, 12);
                DeviceData bigData = DeviceData.upload(TestProblems.data(12, 8, 3, 32), 3, m, DataType.FLOAT64, 12);
                CurvatureProducts tangent = new CurvatureProducts(net, dev);
                CurvatureProducts backward = new CurvatureProducts(net, dev, CurvatureProducts.Route.DOUBLE_BACKWARD);
                CurvatureProducts wide = new CurvatureProducts(big, bigData)) {
            assertThat(tangent.route()).isEqualTo("tangent");
            assertThat(EigenSolver.forOperator("lanczos", CurvatureOperator.of(tangent, Curvature.HESSIAN))).isInstanceOf(DenseSolver.class);
            assertThat(EigenSolver.forOperator("power", CurvatureOperator.of(tangent, Curvature.HESSIAN))).isInstanceOf(BlockPowerSolver.class);
            assertThat(EigenSolver.forOperator("lanczos", CurvatureOperator.of(backward, Curvature.HESSIAN))).isInstanceOf(LanczosSolver.class);
            assertThat(wide.dimension()).isGreaterThan(DenseSolver.LIMIT);
            assertThat(EigenSolver.forOperator("lanczos", CurvatureOperator.of(wide, Curvature.HESSIAN))).isInstanceOf(LanczosSolver.class);
        }
    }

    /** Warm-starting from converged eigenvectors converges in far fewer products than a cold start. */
    @Test
    void warmStartSavesProducts() {
        MlpModel model = TestProblems.model("6-16-16-4", Activation.ELU, Loss.CROSS_ENTROPY, 51);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(TestProblems.data(40, 6, 4, 52), 4, m, DataType.FLOAT64, 40);
                CurvatureProducts products = new CurvatureProducts(net, dev)) {
            CurvatureOperator op = CurvatureOperator.of(products, Curvature.HESSIAN);
            for (String name : new String[] {"lanczos", "power"}) {
                EigenSolver solver = EigenSolver.named(name);
                EigenOptions options = new EigenOptions(2, 1e-6, 20_000, 3);
                EigenResult cold = solver.solve(op, options, null, m);
                NDArray vectors = cold.vectors();
                EigenResult warm = solver.solve(op, options, vectors, m);
                assertThat(warm.converged()).isTrue();
                assertThat(warm.eigenvalues()[0]).isCloseTo(cold.eigenvalues()[0],
                        org.assertj.core.data.Offset.offset(1e-5 * Math.abs(cold.eigenvalues()[0])));
                assertThat(warm.products()).as(name).isLessThan(cold.products());
            }
        }
    }
}
