package io.eoscope.curvature.eigen;

import ai.djl.ndarray.NDArray;

/**
 * The top-k eigenpairs of a symmetric operator by magnitude, largest first, signs as computed, or the
 * reason why they could not be computed.
 *
 * @param eigenvalues λ₁ … λ_k, ranked by |λ|
 * @param residuals ‖Av − λv‖/|λ| of each pair as the solver saw it at its last iteration
 * @param verifiedResiduals ‖Av − λv‖/|λ| of each pair from one fresh operator product on the returned
 *     vectors after the solve (NaN when the solve failed before it could be checked)
 * @param residualBounds ‖Av − λv‖/‖v‖ of each pair from the same fresh product, absolute: the operator has an
 *     eigenvalue in [λ − r, λ + r] (NaN when the solve failed)
 * @param katoTempleBounds the Kato–Temple bound of each pair, about r²/δ with δ the gap to the nearest other Ritz
 *     value less that value's residual bound (see {@code EigenCheck.katoTemple}); NaN where no gap is known: the
 *     last pair when the solver has no further Ritz value (block power; a dense solve of all n), or δ ≤ r
 * @param products single-vector operator products the solver used (the k verification products are
 *     not counted here)
 * @param converged whether the tolerance was met within the product budget and the check passed;
 *     always false when {@code failure} is set
 * @param failure null, or why no eigenvalue can be reported: the operator gave a non-finite or zero
 *     product, or a returned pair failed the fresh-product check (see {@link EigenCheck})
 * @param vectors the eigenvectors as rows [k, n], owned by the manager the solver was given (usable
 *     as a warm start for the next solve)
 */
public record EigenResult(double[] eigenvalues, double[] residuals, double[] verifiedResiduals, double[] residualBounds,
        double[] katoTempleBounds, long products, boolean converged, String failure, NDArray vectors) {

    /** Whether the solve failed: its eigenvalues must not be reported as numbers. */
    public boolean failed() {
        return failure != null;
    }

    /**
     * This result when it did not fail.
     *
     * @param what names the operator in the message, for example "the Hessian"
     * @throws EigenSolveException with {@code what} and the reason when it failed
     */
    public EigenResult orThrow(String what) {
        if (failure != null) {
            throw new EigenSolveException(what + ": " + failure);
        }
        return this;
    }

    /** λ₁, the eigenvalue of largest magnitude. */
    public double top() {
        return eigenvalues[0];
    }
}
