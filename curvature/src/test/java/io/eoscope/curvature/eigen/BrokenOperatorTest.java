package io.eoscope.curvature.eigen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.testing.DenseOperators;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No solver reports {@code converged} on a zero, non-finite or inconsistent operator: each stops with a
 * reason, no eigenvalue is reported, and {@link EigenResult#orThrow} turns that into an error. A correct
 * operator passes the fresh-product check with a verified residual close to the solver's own.
 */
class BrokenOperatorTest {
    private static final int N = 40;

    @ParameterizedTest
    @ValueSource(strings = {"lanczos", "power", "dense"})
    void aZeroOperatorIsAFailureNotAConvergedZero(String solver) {
        try (NDManager m = NDManager.newBaseManager()) {
            EigenResult r = solve(solver, m, 2, (product, block) -> block.zerosLike());
            assertFailed(r, "exactly zero on every vector tried");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lanczos", "power"})
    void aNonFiniteProductIsAFailure(String solver) {
        try (NDManager m = NDManager.newBaseManager()) {
            EigenResult r = solve(solver, m, 1, (product, block) -> product == 3 ? block.mul(Double.NaN) : null);
            assertFailed(r, "product 3 has non-finite entries");
        }
    }

    /**
     * What was seen in the benchmark: one product in the middle of a solve came back exactly zero, and
     * Lanczos took it for an invariant subspace and reported a stale Ritz value as converged with a
     * residual of 0.
     */
    @ParameterizedTest
    @ValueSource(strings = {"lanczos", "power"})
    void aProductThatComesBackZeroMidSolveIsAFailure(String solver) {
        try (NDManager m = NDManager.newBaseManager()) {
            EigenResult r = solve(solver, m, 1, (product, block) -> product == 5 ? block.zerosLike() : null);
            assertFailed(r, "inconsistent operator: product 5 is exactly zero after nonzero products");
        }
    }

    /** An operator that changes after the solve (a product on a graph that no longer holds θ, say). */
    @ParameterizedTest
    @ValueSource(strings = {"lanczos", "power", "dense"})
    void anOperatorThatDisagreesWithTheSolveFailsTheFreshProductCheck(String solver) {
        try (NDManager m = NDManager.newBaseManager()) {
            long[] seen = {0};
            EigenResult r = solve(solver, m, 2, (product, block) -> {
                seen[0] = product;
                return null;
            });
            assertThat(r.failed()).isFalse();
            long used = seen[0] - 1; // the products of the solve; the last block seen was the check's
            EigenResult changed = solve(solver, m, 2,
                    (product, block) -> product > used ? reversed(block, m) : null);
            assertFailed(changed, "on a fresh product");
            assertThat(changed.verifiedResiduals()[0]).isGreaterThan(0.1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lanczos", "power", "dense"})
    void aCorrectOperatorIsVerifiedWithinTheStatedBound(String solver) {
        try (NDManager m = NDManager.newBaseManager()) {
            double tolerance = 1e-8;
            EigenResult r = solve(solver, m, 3, (product, block) -> null);
            assertThat(r.failed()).isFalse();
            assertThat(r.converged()).isTrue();
            for (int i = 0; i < 3; i++) {
                double bound = EigenCheck.bound(tolerance, r.residuals()[i], true, 0x1p-52, Math.abs(r.top()),
                        r.eigenvalues()[i]);
                assertThat(r.verifiedResiduals()[i]).isLessThanOrEqualTo(bound);
                // the fresh product agrees with what the solver saw, to far better than the bound
                assertThat(Math.abs(r.verifiedResiduals()[i] - r.residuals()[i])).isLessThan(1e-6);
            }
            assertThat(r.orThrow("the test matrix")).isSameAs(r);
        }
    }

    /** The dense solver's one block product: a non-finite entry anywhere in the matrix is a failure, never an eigenvalue. */
    @Test
    void aNonFiniteEntryOfTheDenseMatrixIsAFailure() {
        try (NDManager m = NDManager.newBaseManager()) {
            EigenResult r = solve("dense", m, 1, (product, block) -> {
                if (product != 1) {
                    return null;
                }
                NDArray out = DenseOperators.of(matrix(), m).apply(block);
                out.set(new ai.djl.ndarray.index.NDIndex("6, 3"), Double.NaN);
                return out;
            });
            assertFailed(r, "non-finite entries");
        }
    }

    private static void assertFailed(EigenResult r, String reason) {
        assertThat(r.failed()).isTrue();
        assertThat(r.converged()).isFalse();
        assertThat(r.failure()).contains(reason);
        assertThatThrownBy(() -> r.orThrow("the test operator")).isInstanceOf(EigenSolveException.class)
                .hasMessageStartingWith("the test operator: ").hasMessageContaining(reason);
    }

    /**
     * Solves for the top k of a fixed random symmetric matrix (eigenvalues 1..N, well separated at the
     * top) with {@code tamper} deciding, per 1-based product number, to replace the honest result
     * (return non-null) or keep it (return null).
     */
    private static EigenResult solve(String solver, NDManager m, int k,
            BiFunction<Long, NDArray, NDArray> tamper) {
        SymmetricOperator honest = DenseOperators.of(matrix(), m);
        SymmetricOperator op = new SymmetricOperator() {
            private long products;

            @Override
            public long dimension() {
                return N;
            }

            @Override
            public DataType dataType() {
                return DataType.FLOAT64;
            }

            @Override
            public NDArray apply(NDArray block) {
                long first = products + 1;
                products += block.getShape().get(0);
                NDArray replaced = tamper.apply(first, block);
                return replaced != null ? replaced : honest.apply(block);
            }
        };
        EigenSolver chosen = solver.equals("dense") ? new DenseSolver() : EigenSolver.named(solver);
        return chosen.solve(op, new EigenOptions(k, 1e-8, 10_000, 7), null, m);
    }

    /** The negated matrix: every eigenpair of the original has residual 2 on it. */
    private static NDArray reversed(NDArray block, NDManager m) {
        return DenseOperators.of(matrix(), m).apply(block).neg();
    }

    /** Q·diag(1, 2, …, N)·Qᵀ with a seeded random orthogonal Q, top eigenvalues N, N−1, … */
    private static double[][] matrix() {
        Random random = new Random(11);
        double[][] q = new double[N][N];
        for (int j = 0; j < N; j++) {
            double[] v = new double[N];
            for (int i = 0; i < N; i++) {
                v[i] = random.nextGaussian();
            }
            for (int p = 0; p < j; p++) {
                double dot = 0;
                for (int i = 0; i < N; i++) {
                    dot += v[i] * q[p][i];
                }
                for (int i = 0; i < N; i++) {
                    v[i] -= dot * q[p][i];
                }
            }
            double norm = 0;
            for (double x : v) {
                norm += x * x;
            }
            for (int i = 0; i < N; i++) {
                q[j][i] = v[i] / Math.sqrt(norm);
            }
        }
        double[][] a = new double[N][N];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int p = 0; p < N; p++) {
                    s += q[p][i] * (p + 1) * q[p][j];
                }
                a[i][j] = s;
            }
        }
        return a;
    }
}
