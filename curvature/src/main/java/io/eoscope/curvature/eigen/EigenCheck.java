package io.eoscope.curvature.eigen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.net.HostArrays;
import java.util.Locale;

/**
 * What keeps a broken operator from being reported as an eigenvalue. Both solvers check every product
 * as it arrives ({@link #productProblem}) and every result once more after the solve with one fresh
 * product per pair ({@link #verified}).
 *
 * <p>Why: a solver only sees the numbers its products give it. A product that comes back exactly zero
 * (or zero on one vector after being nonzero on others) makes Lanczos believe it found an invariant
 * subspace and block power believe the operator is zero; both would then stop and call a stale or zero
 * Ritz value "converged". A fresh product on the returned vectors costs k products and catches any
 * such inconsistency between what the solver saw and what the operator does.
 */
public final class EigenCheck {
    /** A verified residual may exceed the solver's own bound (√tol, or its reported residual) by this factor. */
    public static final double SLACK = 2;
    /** Rounding allowance of a verified residual, in units of the precision's ε·|λ₁|/|λᵢ|. */
    public static final double ROUNDING = 100;
    /** How far from 1 a returned eigenvector's norm may be. */
    public static final double NORM_TOLERANCE = 1e-3;

    private EigenCheck() {}

    /**
     * Why the rows of {@code product} (one operator product per row) cannot be used, or null when they
     * can: a non-finite entry, or a row that is exactly zero (a symmetric operator returns exactly zero on
     * a random-looking vector only when it is the zero operator, or when the product is broken).
     *
     * @param firstIndex the 1-based number of the first single-vector product of this block in the solve
     * @param sawNonzero whether an earlier product of this solve was nonzero
     */
    public static String productProblem(NDArray product, long firstIndex, boolean sawNonzero) {
        double[] norms;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            norms = HostArrays.download(product.norm(new int[] {1}));
        }
        for (int i = 0; i < norms.length; i++) {
            long index = firstIndex + i;
            if (!Double.isFinite(norms[i])) {
                return "operator product " + index + " has non-finite entries (NaN or infinity): the operator "
                        + "cannot be evaluated at this point (is the loss finite?)";
            }
            if (norms[i] == 0) {
                return sawNonzero || i > 0 && norms[0] != 0
                        ? "inconsistent operator: product " + index + " is exactly zero after nonzero products"
                        : "the operator is exactly zero on every vector tried (" + index + " product"
                                + (index == 1 ? "" : "s") + "): it has no top eigenvalue to report";
            }
        }
        return null;
    }

    /**
     * The Ritz value ranked next after the k returned ones (by magnitude) and its residual norm as the solver
     * saw it, when the solver has one: it bounds the rest of the spectrum, which the last returned value's
     * Kato–Temple gap needs.
     *
     * @param value θ_{k+1}, or NaN when unknown
     * @param residual ‖Av − θ_{k+1}v‖ for its unit Ritz vector, or NaN when unknown
     */
    public record Neighbour(double value, double residual) {
        /** No (k+1)-th Ritz value: the Kato–Temple bound of the k-th eigenvalue is then unknown. */
        public static final Neighbour UNKNOWN = new Neighbour(Double.NaN, Double.NaN);

        boolean known() {
            return Double.isFinite(value) && Double.isFinite(residual);
        }
    }

    /**
     * The solver's result, checked with one fresh product per pair: each verified residual
     * ‖Av − λv‖/|λ| must be at most {@link #bound}, each vector must have unit norm and each eigenvalue
     * must be finite; otherwise the result is marked failed with the reason. The same product gives each
     * pair's error bars ({@link EigenResult#residualBounds}, {@link EigenResult#katoTempleBounds}).
     *
     * @param next the Ritz value after the k returned ones, or {@link Neighbour#UNKNOWN}
     */
    static EigenResult verified(SymmetricOperator operator, double[] values, double[] residuals, long products,
            boolean converged, NDArray vectors, double tolerance, Neighbour next) {
        int k = values.length;
        double[] verifiedResiduals = Vectors.nans(k);
        for (int i = 0; i < k; i++) {
            if (!Double.isFinite(values[i])) {
                return failed("eigenvalue " + (i + 1) + " is not finite (" + values[i] + ")", values, residuals,
                        verifiedResiduals, products, vectors);
            }
        }
        double scale = 0;
        for (double v : values) {
            scale = Math.max(scale, Math.abs(v));
        }
        double[] norms;
        double[] residualNorms;
        double[] quotients; // vᵀAv, for the Rayleigh quotient of each returned vector
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray fresh = operator.apply(vectors);
            String problem = productProblem(fresh, products + 1, true);
            if (problem != null) {
                return failed("the check after the solve: " + problem, values, residuals, verifiedResiduals,
                        products, vectors);
            }
            NDArray lambda = HostArrays.upload(vectors.getManager(), values, new ai.djl.ndarray.types.Shape(k, 1),
                    vectors.getDataType());
            residualNorms = HostArrays.download(fresh.sub(vectors.mul(lambda)).norm(new int[] {1}));
            norms = HostArrays.download(vectors.norm(new int[] {1}));
            quotients = HostArrays.download(fresh.mul(vectors).sum(new int[] {1}));
        }
        double epsilon = vectors.getDataType() == DataType.FLOAT64 ? 0x1p-52 : 0x1p-23;
        for (int i = 0; i < k; i++) {
            verifiedResiduals[i] = Vectors.relativeResidual(residualNorms[i], values[i], scale);
        }
        for (int i = 0; i < k; i++) {
            if (!(Math.abs(norms[i] - 1) <= NORM_TOLERANCE)) {
                return failed(String.format(Locale.ROOT, "inconsistent result: eigenvector %d has norm %.6g, not 1",
                        i + 1, norms[i]), values, residuals, verifiedResiduals, products, vectors);
            }
            double bound = bound(tolerance, residuals[i], converged, epsilon, scale, values[i]);
            if (!(verifiedResiduals[i] <= bound)) {
                return failed(String.format(Locale.ROOT,
                        "inconsistent operator: eigenpair %d (λ = %.6g) has residual %.3g on a fresh product, "
                                + "but %.3g in the solve (bound %.3g)", i + 1, values[i], verifiedResiduals[i],
                        residuals[i], bound), values, residuals, verifiedResiduals, products, vectors);
            }
        }
        double[] residualBounds = new double[k];
        double[] rayleigh = new double[k];
        for (int i = 0; i < k; i++) {
            residualBounds[i] = residualNorms[i] / norms[i]; // the bound holds for ‖Av − θv‖/‖v‖, any v ≠ 0
            rayleigh[i] = quotients[i] / (norms[i] * norms[i]);
        }
        double[] kato = katoTemple(values, residualBounds, rayleigh, next);
        return new EigenResult(values, residuals, verifiedResiduals, residualBounds, kato, products, converged, null,
                vectors);
    }

    /**
     * The Kato–Temple bound of each returned pair, or NaN where no gap is known. For a unit v with Rayleigh
     * quotient ρ = vᵀAv and r_ρ = ‖Av − ρv‖, if (ρ − δ, ρ + δ) holds exactly one eigenvalue λ then
     * |λ − ρ| ≤ r_ρ²/δ (Kato 1949, Temple 1928). θ as returned may differ from ρ by rounding, so the bound about θ is
     * |θ − ρ| + r_ρ²/δ, with r_ρ² = r_θ² − (θ − ρ)² (Av − ρv is orthogonal to v); it is r²/δ when θ = ρ.
     *
     * <p>The gap δ is not known exactly; it is taken, as usual in practice, from the other Ritz values: the
     * distance from θ_i to each other returned θ_j less θ_j's residual bound, and to the rest of the spectrum,
     * whose magnitudes are at most |θ_{k+1}| + r_{k+1} when the solver knows a (k+1)-th Ritz value, else at most
     * |θ_k| + r_k (so the k-th pair then has no bound). This assumes the returned values are the top-k of the
     * operator with none missed between them, which is what the solve claims. NaN also when δ ≤ r_θ: the bound
     * would be no tighter than the residual bound, and one eigenvalue within δ is then not established.
     */
    static double[] katoTemple(double[] values, double[] residualBounds, double[] rayleigh, Neighbour next) {
        int k = values.length;
        double rest = next.known() ? Math.abs(next.value()) + next.residual()
                : Math.abs(values[k - 1]) + residualBounds[k - 1];
        double[] out = new double[k];
        for (int i = 0; i < k; i++) {
            double gap = next.known() || i < k - 1 ? Math.abs(values[i]) - rest : Double.NaN;
            for (int j = 0; j < k; j++) {
                if (j != i) {
                    gap = Math.min(gap, Math.abs(values[i] - values[j]) - residualBounds[j]);
                }
            }
            double shift = Math.abs(values[i] - rayleigh[i]);
            double r2 = Math.max(0, residualBounds[i] * residualBounds[i] - shift * shift);
            out[i] = gap > residualBounds[i] ? shift + r2 / gap : Double.NaN;
        }
        return out;
    }

    /**
     * The largest verified residual accepted for a pair: {@link #SLACK}·√tol for a converged solve (whose
     * stopping rule required a residual of at most √tol), {@link #SLACK}·max(√tol, its reported residual)
     * for one that ran out of products, plus {@link #ROUNDING}·ε·|λ₁|/|λᵢ| for the precision's rounding.
     */
    public static double bound(double tolerance, double solverResidual, boolean converged, double epsilon,
            double scale, double value) {
        double root = Math.sqrt(tolerance);
        double own = converged || !Double.isFinite(solverResidual) ? root : Math.max(root, solverResidual);
        return SLACK * own + ROUNDING * epsilon * scale / Math.max(Math.abs(value), 1e-12 * scale);
    }

    /** A failed result: no eigenvalue may be reported from it (its error bars are NaN). */
    static EigenResult failed(String failure, double[] values, double[] residuals, double[] verifiedResiduals,
            long products, NDArray vectors) {
        int k = values.length;
        return new EigenResult(values, residuals, verifiedResiduals, Vectors.nans(k), Vectors.nans(k), products, false,
                failure, vectors);
    }

    /** A failed result of k pairs before any number was computed: every number NaN. */
    static EigenResult failed(String failure, int k, long products, NDArray vectors) {
        return failed(failure, Vectors.nans(k), Vectors.nans(k), Vectors.nans(k), products, vectors);
    }
}
