package io.eoscope.curvature.eigen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import io.eoscope.curvature.testing.DenseOperators;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** λmax, not the eigenvalue of largest magnitude, when a negative one dominates (a preconditioner can make it so). */
class ShiftedOperatorTest {

    /** Q diag(values) Qᵀ with a random orthogonal Q (Gram-Schmidt of a seeded Gaussian matrix). */
    private static double[][] withEigenvalues(double[] values, long seed) {
        int n = values.length;
        Random r = new Random(seed);
        double[][] q = new double[n][n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < n; i++) {
                q[i][j] = r.nextGaussian();
            }
            for (int k = 0; k < j; k++) {
                double dot = 0;
                for (int i = 0; i < n; i++) {
                    dot += q[i][j] * q[i][k];
                }
                for (int i = 0; i < n; i++) {
                    q[i][j] -= dot * q[i][k];
                }
            }
            double norm = 0;
            for (int i = 0; i < n; i++) {
                norm += q[i][j] * q[i][j];
            }
            for (int i = 0; i < n; i++) {
                q[i][j] /= Math.sqrt(norm);
            }
        }
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < n; k++) {
                    a[i][j] += q[i][k] * values[k] * q[j][k];
                }
            }
        }
        return a;
    }

    @Test
    void aDominantNegativeEigenvalueIsShiftedAwayAndTheLargestIsFound() {
        double[] values = {-40, 7.5, 3, 1, 0.5, -2, -0.1, 0.2};
        try (NDManager m = NDManager.newBaseManager()) {
            SymmetricOperator op = DenseOperators.of(withEigenvalues(values, 3), m);
            EigenOptions one = new EigenOptions(1, 1e-12, 5000, 7);
            EigenResult top = new LanczosSolver().solve(op, one, null, m);
            assertThat(top.eigenvalues()[0]).as("ranked by magnitude").isCloseTo(-40, within(1e-8));
            double[] largest = ShiftedOperator.largestAlgebraic(op, top.eigenvalues()[0], new LanczosSolver(), one, m);
            assertThat(largest[0]).isCloseTo(7.5, within(1e-8));
            assertThat(largest[1]).as("products of the second solve").isPositive();
            // a positive top needs no second solve
            assertThat(ShiftedOperator.largestAlgebraic(op, 7.5, new LanczosSolver(), one, m)).containsExactly(7.5, 0);
        }
    }
}
