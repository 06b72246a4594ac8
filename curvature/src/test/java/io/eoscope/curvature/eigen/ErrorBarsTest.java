package io.eoscope.curvature.eigen;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The error bars of every eigenvalue against a dense float64 spectrum: an eigenvalue of the operator lies within the
 * residual bound of each returned value, and within the Kato–Temple bound where one is given. The solves are cut short
 * (a budget of a dozen products, a loose tolerance) so that the bounds are wide enough to be tested, not rounding.
 */
class ErrorBarsTest {

    @ParameterizedTest
    @ValueSource(strings = {"lanczos", "power", "dense"})
    void everyBoundHoldsATrueEigenvalue(String solverName) {
        MlpModel model = TestProblems.model("4-6-5-3", Activation.TANH, Loss.CROSS_ENTROPY, 31);
        int katoGiven = 0;
        int katoTighter = 0;
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(TestProblems.data(12, model.inputWidth(), model.classes(), 32),
                        model.classes(), m, DataType.FLOAT64, 12);
                CurvatureProducts products = new CurvatureProducts(net, dev)) {
            EigenSolver solver = solverName.equals("dense") ? new DenseSolver() : EigenSolver.named(solverName);
            for (Curvature kind : Curvature.values()) {
                CurvatureOperator op = CurvatureOperator.of(products, kind);
                double[] dense = DenseSymmetricEigen.of(DenseOperators.materialise(op, m)).values();
                for (int k : new int[] {1, 3}) {
                    long budget = solverName.equals("power") ? 40L * k : 12;
                    EigenResult r = solver.solve(op, new EigenOptions(k, 1e-6, budget, 7), null, m);
                    assertThat(r.failed()).as("%s %s k=%d: %s", solverName, kind, k, r.failure()).isFalse();
                    for (int i = 0; i < k; i++) {
                        double theta = r.eigenvalues()[i];
                        double bound = r.residualBounds()[i];
                        double nearest = distanceToSpectrum(theta, dense);
                        String what = String.format("%s %s k=%d θ%d=%.9g: nearest eigenvalue %.3g away", solverName,
                                kind, k, i + 1, theta, nearest);
                        // 1e-12·|λ₁|: the dense reference's own rounding
                        double rounding = 1e-12 * Math.abs(dense[0]);
                        assertThat(bound).as(what + ", residual bound").isFinite().isGreaterThanOrEqualTo(0);
                        assertThat(nearest).as(what + ", residual bound %.3g", bound).isLessThanOrEqualTo(bound + rounding);
                        double kato = r.katoTempleBounds()[i];
                        if (!Double.isNaN(kato)) {
                            katoGiven++;
                            katoTighter += kato < bound ? 1 : 0;
                            assertThat(nearest).as(what + ", Kato–Temple bound %.3g", kato)
                                    .isLessThanOrEqualTo(kato + rounding);
                        }
                    }
                    if (!solverName.equals("power")) { // Lanczos and dense know the next Ritz value: k = 1 has a gap
                        assertThat(r.katoTempleBounds()[0]).as("%s %s k=%d: Kato–Temple of λ1", solverName, kind, k)
                                .isFinite();
                    } else {
                        assertThat(r.katoTempleBounds()[k - 1]).as("block power has no (k+1)-th Ritz value").isNaN();
                    }
                }
            }
        }
        assertThat(katoGiven).as("Kato–Temple bounds given").isGreaterThan(0);
        // with a gap, r²/δ is far below r: the bound is informative, not just valid
        assertThat(katoTighter).as("Kato–Temple tighter than the residual bound").isGreaterThanOrEqualTo(katoGiven / 2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lanczos", "power"})
    void aFailedSolveHasNoErrorBars(String solverName) {
        try (NDManager m = NDManager.newBaseManager()) {
            SymmetricOperator nan = new SymmetricOperator() {
                @Override
                public long dimension() {
                    return 20;
                }

                @Override
                public DataType dataType() {
                    return DataType.FLOAT64;
                }

                @Override
                public ai.djl.ndarray.NDArray apply(ai.djl.ndarray.NDArray block) {
                    return block.mul(Double.NaN);
                }
            };
            EigenResult r = EigenSolver.named(solverName).solve(nan, EigenOptions.of(2, 1e-6), null, m);
            assertThat(r.failed()).isTrue();
            assertThat(r.residualBounds()).containsOnly(Double.NaN);
            assertThat(r.katoTempleBounds()).containsOnly(Double.NaN);
        }
    }

    private static double distanceToSpectrum(double theta, double[] eigenvalues) {
        double best = Double.POSITIVE_INFINITY;
        for (double l : eigenvalues) {
            best = Math.min(best, Math.abs(l - theta));
        }
        return best;
    }
}
