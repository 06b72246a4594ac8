package io.eoscope.curvature.spectrum;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.eigen.EigenCheck;
import io.eoscope.curvature.eigen.SymmetricOperator;
import io.eoscope.curvature.eigen.Vectors;
import io.eoscope.curvature.net.HostArrays;
import java.util.Random;

/**
 * The trace of a symmetric operator by Hutch++ (Meyer, Musco, Musco and Woodruff 2021) with a variance-based interval.
 * Of a budget of p products, k = ⌊p/3⌋ sketch the top of the spectrum, Q = orth(A S) for k Rademacher columns S
 * ({@link Vectors#orthonormalSpan}); k more give tr(QᵀAQ) exactly; the remaining h = p − 2k estimate the trace of the deflated rest (I − QQᵀ)A(I − QQᵀ) by
 * Hutchinson's method with Rademacher probes g_i: x_i = w_iᵀAw_i, w_i = (I − QQᵀ)g_i. The estimate is
 * tr(QᵀAQ) + mean(x), unbiased for any Q, and its variance is that of the Hutchinson part alone, whose variance
 * 2‖(I − QQᵀ)A(I − QQᵀ)‖_F² (less its diagonal) is small once the k largest eigenvalues are projected out.
 *
 * <p>The interval is mean(x) ± t_{h−1,(1+c)/2}·s/√h around the value, s the sample standard deviation of the x_i and t
 * Student's quantile at coverage c: exact when the x_i are normal, close to it in the test's measurement
 * ({@code HutchPlusPlusTest}). It covers the randomness of the Hutchinson part given Q, which is all of the estimate's
 * randomness given Q, since tr(QᵀAQ) is exact.
 *
 * <p>An operator of dimension n ≤ p is traced exactly instead, from the n products Aeᵢ (method "exact", products n).
 * Blocks go to the operator whole where it batches them ({@link SymmetricOperator#batchesBlocks}), else in row groups
 * of at most {@link #BLOCK_VALUES} values, so memory is about 2k·n values for Q and A·S plus one group. A non-finite
 * or inconsistent product is a failure with its reason, never a number.
 */
public final class HutchPlusPlus {
    /** The most values (rows × n) in one block handed to an operator that does not batch blocks. */
    static final long BLOCK_VALUES = 1L << 24;

    private HutchPlusPlus() {}

    /**
     * @param operator the operator (𝓗, G, …)
     * @param options p, the coverage and the seed
     * @param manager the parent of the estimate's temporaries (all freed before it returns)
     */
    public static TraceEstimate estimate(SymmetricOperator operator, TraceOptions options, NDManager manager) {
        long n = operator.dimension();
        try (NDScope estimateScope = new NDScope();
                NDManager work = manager.newSubManager()) {
            estimateScope.suppressNotUsedWarning();
            Products products = new Products(operator);
            if (n <= options.products()) {
                return exact(operator, work, products);
            }
            int k = options.products() / 3;
            int h = options.products() - 2 * k;
            Random random = new Random(options.seed());
            DataType type = operator.dataType();
            NDArray sketch = products.apply(Vectors.rademacher(work, random, k, n, 1, type));
            if (products.problem != null) {
                return TraceEstimate.failed(TraceEstimate.HUTCH_PLUS_PLUS, products.count, products.problem);
            }
            NDArray q = Vectors.orthonormalSpan(sketch, work); // rows: Q, at most k (dependent directions dropped)
            sketch.close();
            double top = products.quadraticForms(q, false).sum();
            if (products.problem != null) {
                return TraceEstimate.failed(TraceEstimate.HUTCH_PLUS_PLUS, products.count, products.problem);
            }
            NDArray g = Vectors.rademacher(work, random, h, n, 1, type);
            NDArray w = g.sub(g.matMul(q.transpose()).matMul(q)); // (I − QQᵀ)g for each row g
            double[] x = products.quadraticForms(w, false).values;
            if (products.problem != null) {
                return TraceEstimate.failed(TraceEstimate.HUTCH_PLUS_PLUS, products.count, products.problem);
            }
            double mean = 0;
            for (double v : x) {
                mean += v / h;
            }
            double variance = 0;
            for (double v : x) {
                variance += (v - mean) * (v - mean) / (h - 1);
            }
            double half = StudentT.quantile(0.5 * (1 + options.coverage()), h - 1) * Math.sqrt(variance / h);
            double value = top + mean;
            if (!Double.isFinite(value) || !Double.isFinite(half)) {
                return TraceEstimate.failed(TraceEstimate.HUTCH_PLUS_PLUS, products.count,
                        "the trace estimate is not finite (" + value + " ± " + half + ")");
            }
            return new TraceEstimate(value, value - half, value + half, options.coverage(), TraceEstimate.HUTCH_PLUS_PLUS,
                    products.count, h, null);
        }
    }

    /** tr A = Σᵢ eᵢᵀAeᵢ from the n products of the identity's rows. */
    private static TraceEstimate exact(SymmetricOperator operator, NDManager work, Products products) {
        int n = Math.toIntExact(operator.dimension());
        NDArray identity = work.eye(n).toType(operator.dataType(), false);
        Sums diagonal = products.quadraticForms(identity, true);
        if (products.problem != null) {
            return TraceEstimate.failed(TraceEstimate.EXACT, products.count, products.problem);
        }
        double value = diagonal.sum();
        return new TraceEstimate(value, value, value, 1.0, TraceEstimate.EXACT, products.count, 0, null);
    }

    /** Values of one quadratic form per row. */
    private record Sums(double[] values) {
        double sum() {
            double s = 0;
            for (double v : values) {
                s += v;
            }
            return s;
        }
    }

    /** The operator's products of one estimate: counted, checked, grouped. */
    private static final class Products {
        private final SymmetricOperator operator;
        private final long rowsPerCall;
        long count;
        String problem;

        Products(SymmetricOperator operator) {
            this.operator = operator;
            this.rowsPerCall = operator.batchesBlocks() ? Long.MAX_VALUE
                    : Math.max(1, BLOCK_VALUES / Math.max(1, operator.dimension()));
        }

        /** A·block, row group by row group, attached to the block's manager; null (and {@link #problem}) on a failure. */
        NDArray apply(NDArray block) {
            long rows = block.getShape().get(0);
            NDArray out = block.zerosLike();
            for (long from = 0; from < rows && problem == null; from += rowsPerCall) {
                long to = Math.min(rows, from + rowsPerCall);
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray product = operator.apply(block.get(from + ":" + to));
                    problem = EigenCheck.productProblem(product, count + 1, count > 0);
                    count += to - from;
                    if (problem == null) {
                        out.set(new ai.djl.ndarray.index.NDIndex(from + ":" + to), product);
                    }
                }
            }
            return out;
        }

        /**
         * vᵢᵀAvᵢ for each row vᵢ of {@code block}, the products made and dropped group by group.
         *
         * @param basisVectors the rows are coordinate vectors, on which a row of A may be exactly zero (a parameter
         *     that does not affect the loss): only a group that is zero as a whole is then an error
         */
        Sums quadraticForms(NDArray block, boolean basisVectors) {
            long rows = block.getShape().get(0);
            double[] out = new double[Math.toIntExact(rows)];
            for (long from = 0; from < rows && problem == null; from += rowsPerCall) {
                long to = Math.min(rows, from + rowsPerCall);
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray part = block.get(from + ":" + to);
                    NDArray product = operator.apply(part);
                    problem = EigenCheck.productProblem(basisVectors ? product.reshape(1, -1) : product, count + 1,
                            count > 0);
                    count += to - from;
                    if (problem == null) {
                        double[] forms = HostArrays.download(product.mul(part).sum(new int[] {1}));
                        System.arraycopy(forms, 0, out, (int) from, forms.length);
                    }
                }
            }
            return new Sums(out);
        }
    }
}
