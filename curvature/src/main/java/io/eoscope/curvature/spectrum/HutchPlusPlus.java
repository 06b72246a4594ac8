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
 * <p>The interval is value ± t_{h−1,(1+c)/2}·√(max(s², 2F)/h), s² the sample variance of the x_i, F the mean of
 * ‖(I − QQᵀ)Aw_i‖² (an unbiased estimate of ‖B‖_F², B the deflated rest, from the same products) and t Student's quantile
 * at coverage c. 2‖B‖_F² bounds the variance of one Rademacher term; the sample variance alone, of ten terms that are
 * nearly χ²₁ when B has low rank, covered as little as 83% at a nominal 95%. It covers the randomness of the
 * Hutchinson part given Q, which is all of the estimate's randomness given Q, since tr(QᵀAQ) is exact. No half-width
 * goes below {@value #ROUNDING_ULPS} units of the precision's last place of |tr|: a remainder that is exactly zero
 * still has the rounding of the exact part.
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
            Sums hutchinson = products.deflatedForms(w, q);
            if (products.problem != null) {
                return TraceEstimate.failed(TraceEstimate.HUTCH_PLUS_PLUS, products.count, products.problem);
            }
            double[] x = hutchinson.values;
            double mean = 0;
            double frobenius = 0; // ‖B‖_F² estimated as the mean of ‖B g_i‖², B = (I − QQᵀ)A(I − QQᵀ)
            for (int i = 0; i < h; i++) {
                mean += x[i] / h;
                frobenius += hutchinson.squaredNorms[i] / h;
            }
            double variance = 0;
            for (double v : x) {
                variance += (v - mean) * (v - mean) / (h - 1);
            }
            // the larger of the sample variance and the bound 2‖B‖_F² on one Rademacher term's variance: the sample
            // variance of ten skewed terms is often too small (a low-rank remainder's terms are nearly χ²₁)
            double spread = Math.max(variance, 2 * frobenius);
            double half = StudentT.quantile(0.5 * (1 + options.coverage()), h - 1) * Math.sqrt(spread / h);
            // the rounding of the exact part: a remainder that is zero must not claim an interval narrower than that
            double unit = type == DataType.FLOAT64 ? Math.ulp(1.0) : Math.ulp(1.0f);
            half = Math.max(half, ROUNDING_ULPS * unit * (Math.abs(top) + Math.abs(mean)));
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

    /** Units in the last place of the operator's precision, times |tr|, below which no half-width goes. */
    static final double ROUNDING_ULPS = 100;

    /** Values of one quadratic form per row, and where computed the squared norm of each row's deflated product. */
    private record Sums(double[] values, double[] squaredNorms) {

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
            return forms(block, basisVectors, null);
        }

        /**
         * wᵢᵀAwᵢ for each row wᵢ of {@code block}, and ‖(I − QQᵀ)Awᵢ‖² (Q's rows orthonormal): the Hutchinson terms and
         * the squared norms whose mean estimates ‖(I − QQᵀ)A(I − QQᵀ)‖_F² (E‖Bg‖² = ‖B‖_F² for Rademacher g).
         */
        Sums deflatedForms(NDArray block, NDArray q) {
            return forms(block, false, q);
        }

        private Sums forms(NDArray block, boolean basisVectors, NDArray q) {
            long rows = block.getShape().get(0);
            double[] forms = new double[Math.toIntExact(rows)];
            double[] norms = q == null ? null : new double[forms.length];
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
                        double[] f = HostArrays.download(product.mul(part).sum(new int[] {1}));
                        System.arraycopy(f, 0, forms, (int) from, f.length);
                        if (q != null) {
                            NDArray deflated = product.sub(product.matMul(q.transpose()).matMul(q));
                            double[] n = HostArrays.download(deflated.mul(deflated).sum(new int[] {1}));
                            System.arraycopy(n, 0, norms, (int) from, n.length);
                        }
                    }
                }
            }
            return new Sums(forms, norms);
        }
    }
}
