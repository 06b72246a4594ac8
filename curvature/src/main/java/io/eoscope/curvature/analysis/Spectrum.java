package io.eoscope.curvature.analysis;

import io.eoscope.curvature.eigen.EigenResult;

/**
 * The top-k eigenvalues of one curvature operator, as reported.
 *
 * @param eigenvalues ranked by magnitude, signed
 * @param residuals ‖Av − λv‖/|λ| of each
 * @param products operator products used
 * @param converged whether the tolerance was met
 * @param warmStarted whether the solve started from the previous snapshot's eigenvectors
 */
public record Spectrum(double[] eigenvalues, double[] residuals, long products, boolean converged, boolean warmStarted) {

    /** The numbers of a solver result, without its vectors. */
    public static Spectrum of(EigenResult r, boolean warmStarted) {
        return new Spectrum(r.eigenvalues(), r.residuals(), r.products(), r.converged(), warmStarted);
    }

    /** λ₁. */
    public double top() {
        return eigenvalues[0];
    }
}
