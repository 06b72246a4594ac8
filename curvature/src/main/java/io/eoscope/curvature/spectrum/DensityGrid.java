package io.eoscope.curvature.spectrum;

/**
 * The one fixed grid every spectral density is reported on, for every snapshot, operator and run, so that densities
 * of successive snapshots line up as the columns of a heatmap (docs/science.md#spectral-density).
 *
 * <p>The coordinate is a symmetric logarithm, u(λ) = asinh(λ/c)/ln 10 with c = {@value #SCALE}: linear within about c
 * of zero, u ≈ sign(λ)·log10(2|λ|/c) beyond, so the bulk near zero, the negative outliers and the top of the spectrum
 * all stay readable on one axis. The grid runs from u = {@value #U_MIN} to +{@value #U_MIN}·(−1) in steps of
 * {@value #U_STEP} ({@value #POINTS} points; u = ±7 is λ ≈ ±5,000). The curve is the density of u, not of λ: the
 * spectral mass per unit u, smoothed with a Gaussian of width {@value #SIGMA_U} in u.
 */
public final class DensityGrid {
    /** c, the linear scale of the symmetric logarithm. */
    public static final double SCALE = 1e-3;
    /** The first grid point. */
    public static final double U_MIN = -7.0;
    /** The grid's step. */
    public static final double U_STEP = 0.1;
    /** Grid points, U_MIN … −U_MIN. */
    public static final int POINTS = 141;
    /** The Gaussian's width in u. */
    public static final double SIGMA_U = 0.1;

    private DensityGrid() {
    }

    /** u(λ) = asinh(λ/c)/ln 10. */
    public static double u(double lambda) {
        double x = lambda / SCALE;
        double asinh = Math.signum(x) * Math.log(Math.abs(x) + Math.sqrt(x * x + 1));
        return asinh / Math.log(10);
    }

    /** λ(u) = c·sinh(u ln 10), the inverse of {@link #u}. */
    public static double lambda(double u) {
        return SCALE * Math.sinh(u * Math.log(10));
    }

    /** The i-th grid point u_i = U_MIN + i·U_STEP. */
    public static double point(int i) {
        return U_MIN + i * U_STEP;
    }

    /**
     * The smoothed density p(u_i) = Σ_j w_j·N(u_i; u(θ_j), σ_u) of the nodes θ_j with weights w_j. A node beyond the
     * grid is placed at its end, so that no mass is silently lost from the picture (the nodes themselves are reported
     * unclamped). Non-finite nodes are not accepted.
     *
     * @throws IllegalArgumentException when a node or weight is not finite, or the arrays differ in length
     */
    public static double[] smooth(double[] nodes, double[] weights) {
        if (nodes.length != weights.length) {
            throw new IllegalArgumentException(nodes.length + " nodes but " + weights.length + " weights");
        }
        double[] curve = new double[POINTS];
        double norm = 1 / (SIGMA_U * Math.sqrt(2 * Math.PI));
        double uMax = point(POINTS - 1);
        for (int j = 0; j < nodes.length; j++) {
            if (!Double.isFinite(nodes[j]) || !Double.isFinite(weights[j])) {
                throw new IllegalArgumentException("node " + j + " is " + nodes[j] + " with weight " + weights[j]);
            }
            double at = Math.max(U_MIN, Math.min(uMax, u(nodes[j])));
            int centre = (int) Math.round((at - U_MIN) / U_STEP);
            int reach = (int) Math.ceil(6 * SIGMA_U / U_STEP); // beyond 6σ the Gaussian is below 1e-8 of its peak
            for (int i = Math.max(0, centre - reach); i <= Math.min(POINTS - 1, centre + reach); i++) {
                double z = (point(i) - at) / SIGMA_U;
                curve[i] += weights[j] * norm * Math.exp(-0.5 * z * z);
            }
        }
        return curve;
    }
}
