package io.eoscope.curvature.alignment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.eoscope.curvature.net.HostArrays;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * λ_max of many small positive semi-definite operators at once (one per sample), by Lanczos with full
 * reorthogonalisation run in lockstep over the batch. After d steps the tridiagonal is the whole
 * operator, so small operators (C×C Grams, narrow Jacobians) come out exact; wide ones stop when every
 * sample's top Ritz value has settled to the tolerance. λ_max of each tridiagonal is found by Sturm
 * bisection, which costs O(steps) per sample and needs no eigenvectors.
 */
final class BatchedTopEigenvalue {
    private BatchedTopEigenvalue() {}

    /**
     * @param operator maps rows [B, d] to the operator applied to each row, [B, d] (row i by operator i)
     * @param batch B
     * @param dimension d
     * @param tolerance relative settling tolerance of λ_max between checks
     * @param seed seed of the start vectors
     * @return λ_max of each of the B operators
     */
    static double[] compute(UnaryOperator<NDArray> operator, NDManager manager, DataType type, int batch,
            int dimension, double tolerance, long seed) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Random random = new Random(seed);
            double[] start = new double[batch * dimension];
            for (int i = 0; i < start.length; i++) {
                start[i] = random.nextGaussian();
            }
            NDArray q = HostArrays.upload(manager, start, new Shape(batch, dimension), type);
            q = q.div(q.norm(new int[] {1}, true));
            List<NDArray> basis = new ArrayList<>();
            List<double[]> alphas = new ArrayList<>();
            List<double[]> betas = new ArrayList<>();
            double[] previous = null;
            for (int step = 1; ; step++) {
                basis.add(q);
                double[] beta;
                // one scope per step: only the basis outlives it (the temporaries of a step are freed at once,
                // so memory is the basis, B·d per step, not every intermediate of every step)
                try (NDScope iteration = new NDScope()) {
                    iteration.suppressNotUsedWarning();
                    NDArray w = operator.apply(q);
                    alphas.add(rowDots(q, w));
                    for (int pass = 0; pass < 2; pass++) {
                        for (NDArray b : basis) {
                            try (NDArray product = w.mul(b); NDArray coefficient = product.sum(new int[] {1}, true);
                                    NDArray projection = b.mul(coefficient)) {
                                w.subi(projection);
                            }
                        }
                    }
                    NDArray norms = w.norm(new int[] {1}, true);
                    beta = HostArrays.download(norms);
                    // rows that found an invariant subspace continue as zero vectors: they add only zero
                    // Ritz values, harmless for λ_max of a positive semi-definite operator
                    NDArray safe = norms.add(norms.eq(0).toType(type, false));
                    q = w.div(safe).mul(norms.gt(0).toType(type, false));
                    NDScope.unregister(q); // the next basis vector, owned by the outer scope
                }
                NDScope.register(q);
                boolean last = step >= dimension;
                if (last || step % 4 == 0 || step == 1) {
                    double[] top = topOfTridiagonals(alphas, betas, batch);
                    if (last || settled(top, previous, tolerance)) {
                        return top;
                    }
                    previous = top;
                }
                betas.add(beta);
            }
        }
    }

    private static boolean settled(double[] top, double[] previous, double tolerance) {
        if (previous == null) {
            return false;
        }
        for (int i = 0; i < top.length; i++) {
            if (Math.abs(top[i] - previous[i]) > tolerance * Math.abs(top[i])) {
                return false;
            }
        }
        return true;
    }

    private static double[] rowDots(NDArray a, NDArray b) {
        return HostArrays.download(a.mul(b).sum(new int[] {1}));
    }

    /** λ_max of each sample's tridiagonal (alphas[j][i], betas[j][i] for sample i). */
    private static double[] topOfTridiagonals(List<double[]> alphas, List<double[]> betas, int batch) {
        int m = alphas.size();
        double[] top = new double[batch];
        double[] a = new double[m];
        double[] b = new double[Math.max(m - 1, 0)];
        for (int i = 0; i < batch; i++) {
            for (int j = 0; j < m; j++) {
                a[j] = alphas.get(j)[i];
                if (j + 1 < m) {
                    b[j] = betas.get(j)[i];
                }
            }
            top[i] = Tridiagonal.largestEigenvalue(a, b);
        }
        return top;
    }

    /** Rows of a [B, C, C] batch of matrices as a batched operator. */
    static UnaryOperator<NDArray> matrices(NDArray batchOfMatrices) {
        return v -> batchOfMatrices.batchMatMul(v.expandDims(2)).squeeze(2);
    }

    /** Concatenates row blocks (for callers that process samples in chunks). */
    static NDArray concatRows(List<NDArray> parts) {
        return NDArrays.concat(new NDList(parts));
    }
}
