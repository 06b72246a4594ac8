package io.eoscope.curvature.spectrum;

/**
 * How a spectral density is estimated by stochastic Lanczos quadrature: {@code probes} random start vectors, each
 * followed by {@code steps} Lanczos steps with full reorthogonalisation, so it costs probes × steps operator products.
 *
 * @param probes n_v, the random probe vectors
 * @param steps m, Lanczos steps (quadrature nodes) per probe
 * @param seed seed of the probes
 */
public record DensityOptions(int probes, int steps, long seed) {
    /** The most probes or steps accepted: a bound on one estimate's memory (steps vectors) and time. */
    public static final int MOST = 1000;

    /** Validates; messages name the option. */
    public DensityOptions {
        if (probes < 1 || probes > MOST) {
            throw new IllegalArgumentException("--density-probes must be in [1, " + MOST + "], got " + probes);
        }
        if (steps < 2 || steps > MOST) {
            throw new IllegalArgumentException("--density-steps must be in [2, " + MOST + "], got " + steps);
        }
    }

    /** The default estimate (docs/science.md#spectral-density gives the measurement it was chosen from). */
    public static DensityOptions defaults() {
        return new DensityOptions(5, 30, 0);
    }

    /** The operator products one estimate costs at most. */
    public long products() {
        return (long) probes * steps;
    }
}
