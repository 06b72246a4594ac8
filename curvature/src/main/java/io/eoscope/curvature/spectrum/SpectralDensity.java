package io.eoscope.curvature.spectrum;

/**
 * A spectral density estimated by stochastic Lanczos quadrature: the quadrature nodes (Ritz values) and weights of
 * every probe, which approximate the spectral measure (1/P) Σ_i δ(λ − λ_i), and the smoothed curve on the fixed
 * {@link DensityGrid}.
 *
 * @param probes n_v, the probes used
 * @param steps m, the Lanczos steps per probe asked for (a probe may stop early on an invariant subspace)
 * @param products operator products spent
 * @param nodes the Ritz values of every probe, probe-major; empty when the estimate failed
 * @param weights their weights: non-negative, summing to 1 over all probes
 * @param failure null, or why there is no density (then nodes and weights are empty)
 */
public record SpectralDensity(int probes, int steps, long products, double[] nodes, double[] weights, String failure) {

    /** Validates and copies. */
    public SpectralDensity {
        if (nodes.length != weights.length) {
            throw new IllegalArgumentException(nodes.length + " nodes but " + weights.length + " weights");
        }
        if (failure != null && nodes.length > 0) {
            throw new IllegalArgumentException("a failed density reports no nodes");
        }
        nodes = nodes.clone();
        weights = weights.clone();
    }

    /** A density that could not be estimated, and why. */
    public static SpectralDensity failed(int probes, int steps, long products, String failure) {
        if (failure == null) {
            throw new IllegalArgumentException("a failure needs its reason");
        }
        return new SpectralDensity(probes, steps, products, new double[0], new double[0], failure);
    }

    @Override
    public double[] nodes() {
        return nodes.clone();
    }

    @Override
    public double[] weights() {
        return weights.clone();
    }

    /** Whether the estimate failed (no numbers to report). */
    public boolean failed() {
        return failure != null;
    }

    /** The smoothed density on the {@link DensityGrid} (all zeros for a failed estimate). */
    public double[] curve() {
        return DensityGrid.smooth(nodes, weights);
    }

    /** The estimated spectral mass at or below {@code lambda}: the sum of the weights of the nodes ≤ λ (NaN when failed). */
    public double cumulativeMass(double lambda) {
        if (failed()) {
            return Double.NaN;
        }
        double mass = 0;
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] <= lambda) {
                mass += weights[i];
            }
        }
        return Math.min(mass, 1.0);
    }
}
