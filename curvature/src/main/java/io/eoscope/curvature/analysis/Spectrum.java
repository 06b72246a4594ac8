package io.eoscope.curvature.analysis;

import io.eoscope.curvature.eigen.EigenResult;

/**
 * The top-k eigenvalues of one curvature operator, as reported.
 *
 * @param eigenvalues ranked by magnitude, signed
 * @param residuals ‖Av − λv‖/|λ| of each
 * @param products operator products used
 * @param converged whether the tolerance was met
 */
public record Spectrum(double[] eigenvalues, double[] residuals, long products, boolean converged) {

    /** The numbers of a solver result, without its vectors. */
    public static Spectrum of(EigenResult r) {
        return new Spectrum(r.eigenvalues(), r.residuals(), r.products(), r.converged());
    }

    /** λ₁. */
    public double top() {
        return eigenvalues[0];
    }
}
