package io.eoscope.curvature.eigen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.List;
import java.util.Random;

/**
 * Block power (subspace) iteration with QR and a Rayleigh-Ritz step, the reference solver of
 * docs/science.md#eigenvalues: V ← orth(A V), Ritz values from VᵀAV, k products per iteration.
 */
public final class BlockPowerSolver implements EigenSolver {

    @Override
    public EigenResult solve(SymmetricOperator operator, EigenOptions options, NDArray warmStart, NDManager manager) {
        int k = options.count();
        long n = operator.dimension();
        if (k > n) {
            throw new IllegalArgumentException("top-k " + k + " exceeds the dimension " + n);
        }
        Random random = new Random(options.seed());
        // every temporary of the solve is freed when it returns (those made from a warm start would
        // otherwise belong to the warm start's long-lived manager); only the result is kept
        try (NDScope solveScope = new NDScope();
                NDManager work = manager.newSubManager()) {
            solveScope.suppressNotUsedWarning();
            NDArray v = startBlock(warmStart, k, operator, work, random);
            double[] previous = null;
            long products = 0;
            while (true) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray w = operator.apply(v);
                    String problem = EigenCheck.productProblem(w, products + 1, products > 0);
                    products += k;
                    if (problem != null) {
                        return EigenCheck.failed(problem, k, products, Vectors.keep(v, manager));
                    }
                    DenseSymmetricEigen ritz = DenseSymmetricEigen.of(Vectors.toMatrix(v.matMul(w.transpose())));
                    NDArray y = Vectors.fromMatrix(work, ritz.vectors(), v.getDataType()); // rows = Ritz coefficients
                    NDArray u = y.matMul(v);
                    NDArray au = y.matMul(w);
                    double[] values = ritz.values();
                    double scale = Math.abs(values[0]);
                    double[] residualNorms = rowNorms(au, u, values, work);
                    double[] residuals = new double[k];
                    for (int i = 0; i < k; i++) {
                        residuals[i] = Vectors.relativeResidual(residualNorms[i], values[i], scale);
                    }
                    boolean done = Vectors.converged(values, previous, residuals, options.tolerance());
                    if (done || products + k > options.maxProducts()) {
                        NDArray vectors = Vectors.keep(u, manager);
                        // the block holds k Ritz pairs only: no (k+1)-th value bounds the gap below λ_k
                        return EigenCheck.verified(operator, values, residuals, products, done, vectors,
                                options.tolerance(), EigenCheck.Neighbour.UNKNOWN);
                    }
                    previous = values;
                    NDArray next = Vectors.orthonormalRows(au, List.of(), work, random);
                    v.close();
                    v = next;
                }
            }
        }
    }

    private static double[] rowNorms(NDArray au, NDArray u, double[] values, NDManager work) {
        NDArray lambda = Vectors.fromMatrix(work, column(values), u.getDataType());
        double[][] norms = Vectors.toMatrix(au.sub(u.mul(lambda)).norm(new int[] {1}).expandDims(1));
        double[] out = new double[norms.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = norms[i][0];
        }
        return out;
    }

    private static double[][] column(double[] values) {
        double[][] c = new double[values.length][1];
        for (int i = 0; i < values.length; i++) {
            c[i][0] = values[i];
        }
        return c;
    }

    /** k orthonormal start rows: the warm-start rows first (if any), random rows after them. */
    static NDArray startBlock(NDArray warmStart, int k, SymmetricOperator operator, NDManager work, Random random) {
        NDArray start = Vectors.gaussian(work, random, k, operator.dimension(), operator.dataType());
        if (warmStart != null) {
            int m = (int) Math.min(k, warmStart.getShape().get(0));
            start.set(new NDIndex("0:" + m), warmStart.get("0:" + m).toType(operator.dataType(), false));
        }
        return Vectors.orthonormalRows(start, List.of(), work, random);
    }
}
