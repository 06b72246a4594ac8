package io.eoscope.curvature.analysis;

import io.eoscope.curvature.eigen.EigenResult;
import java.util.Arrays;

/**
 * The top-k eigenvalues of one curvature operator, as reported.
 *
 * @param eigenvalues ranked by magnitude, signed; NaN (written as null) when the solve failed
 * @param residuals ‖Av − λv‖/|λ| of each, as the solver saw it
 * @param verifiedResiduals ‖Av − λv‖/|λ| of each from one fresh product after the solve
 * @param residualBounds ‖Av − λv‖ (unit v) of each from that product: an eigenvalue of the operator lies within it
 *     of λ; NaN when the solve failed
 * @param katoTempleBounds the Kato–Temple bound of each (see {@link EigenResult#katoTempleBounds}), NaN where no
 *     gap is known
 * @param products operator products the solver used (the k verification products not included)
 * @param converged whether the tolerance was met and the check passed
 * @param warmStarted whether the solve started from the previous snapshot's eigenvectors
 * @param failure null, or why no eigenvalue can be reported
 */
public record Spectrum(double[] eigenvalues, double[] residuals, double[] verifiedResiduals, double[] residualBounds,
        double[] katoTempleBounds, long products,
        boolean converged, boolean warmStarted, String failure) {

    /** The numbers of a solver result, without its vectors; a failed result reports no eigenvalue. */
    public static Spectrum of(EigenResult r, boolean warmStarted) {
        double[] values = r.eigenvalues().clone();
        if (r.failed()) {
            Arrays.fill(values, Double.NaN);
        }
        return new Spectrum(values, r.residuals(), r.verifiedResiduals(), r.residualBounds(), r.katoTempleBounds(),
                r.products(), r.converged(), warmStarted, r.failure());
    }

    /** λ₁ (NaN when the solve failed). */
    public double top() {
        return eigenvalues[0];
    }
}
