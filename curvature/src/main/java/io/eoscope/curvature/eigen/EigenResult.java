package io.eoscope.curvature.eigen;

import ai.djl.ndarray.NDArray;

/**
 * The top-k eigenpairs of a symmetric operator by magnitude, largest first, signs as computed.
 *
 * @param eigenvalues λ₁ … λ_k, ranked by |λ|
 * @param residuals ‖Av − λv‖/|λ| of each pair
 * @param products single-vector operator products used
 * @param converged whether the tolerance was met within the product budget
 * @param vectors the eigenvectors as rows [k, n], owned by the manager the solver was given (usable
 *     as a warm start for the next solve)
 */
public record EigenResult(double[] eigenvalues, double[] residuals, long products, boolean converged,
        NDArray vectors) {

    /** λ₁, the eigenvalue of largest magnitude. */
    public double top() {
        return eigenvalues[0];
    }
}
