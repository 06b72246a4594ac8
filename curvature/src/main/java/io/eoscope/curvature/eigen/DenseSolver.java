package io.eoscope.curvature.eigen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.eoscope.curvature.net.HostArrays;

/**
 * The exact top-k of a small operator: its whole matrix from one block product on the identity (n single-vector
 * products in one call), decomposed on the host ({@link DenseSymmetricEigen}), then checked with one fresh product per
 * pair like every solver's result ({@link EigenCheck}). For a model of a few dozen parameters an iterative solve is
 * mostly fixed cost, a dozen separate products each paying the engine's per-call overhead; one block product and a
 * small host decomposition cost less, and leave no tolerance to meet. The warm start is not needed and is ignored.
 */
public final class DenseSolver implements EigenSolver {
    /** Operators up to this dimension are solved densely when the default solver, Lanczos, is asked for. */
    public static final long LIMIT = 128;

    @Override
    public EigenResult solve(SymmetricOperator operator, EigenOptions options, NDArray warmStart, NDManager manager) {
        int n = Math.toIntExact(operator.dimension());
        int k = Math.min(options.count(), n);
        double[] flat;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray identity = manager.eye(n).toType(operator.dataType(), false);
            NDArray product = operator.apply(identity);
            String problem = EigenCheck.productProblem(product.flatten().reshape(1, (long) n * n), 1, false);
            if (problem != null) {
                return EigenCheck.failed(problem.replace("operator product 1", "the operator's matrix")
                        .replace("(1 product)", "(" + n + " products)"), k, n, manager.zeros(new Shape(k, n), operator.dataType()));
            }
            flat = HostArrays.download(product);
        }
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * n, a[i], 0, n);
        }
        DenseSymmetricEigen eig = DenseSymmetricEigen.of(a);
        double[] values = new double[k];
        double[] residuals = new double[k];
        double[] rows = new double[k * n];
        for (int i = 0; i < k; i++) {
            values[i] = eig.values()[i];
            System.arraycopy(eig.vectors()[i], 0, rows, i * n, n);
            residuals[i] = residualNorm(a, eig.values()[i], eig.vectors()[i]) / Math.max(Math.abs(values[i]), Double.MIN_NORMAL);
        }
        // the (k+1)-th eigenvalue of the materialised matrix bounds the gap below λ_k (Kato–Temple)
        EigenCheck.Neighbour next = k < n
                ? new EigenCheck.Neighbour(eig.values()[k], residualNorm(a, eig.values()[k], eig.vectors()[k]))
                : EigenCheck.Neighbour.UNKNOWN;
        NDArray vectors = HostArrays.upload(manager, rows, new Shape(k, n), operator.dataType());
        return EigenCheck.verified(operator, values, residuals, n, true, vectors, options.tolerance(), next);
    }

    /** ‖Sv − λv‖ for S the symmetric part of {@code a}. */
    private static double residualNorm(double[][] a, double value, double[] v) {
        int n = v.length;
        double r = 0;
        for (int row = 0; row < n; row++) {
            double av = 0;
            for (int col = 0; col < n; col++) {
                av += 0.5 * (a[row][col] + a[col][row]) * v[col];
            }
            r += (av - value * v[row]) * (av - value * v[row]);
        }
        return Math.sqrt(r);
    }
}
