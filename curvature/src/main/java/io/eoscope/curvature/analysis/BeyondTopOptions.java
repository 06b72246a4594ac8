package io.eoscope.curvature.analysis;

import io.eoscope.curvature.spectrum.DensityOptions;
import io.eoscope.curvature.spectrum.TraceOptions;

/**
 * The curvature beyond the top eigenvalues, and how often it is computed: the spectral density of 𝓗 and G
 * (docs/science.md#spectral-density) and the traces (docs/science.md#trace). Both cost far more than λmax, so a
 * live analyzer computes them on every {@code every}-th snapshot of a run only.
 *
 * @param density the density's estimate, or null for none
 * @param trace the traces' estimate, or null for none
 * @param every compute them on every this many snapshots of a run (1: every snapshot)
 */
public record BeyondTopOptions(DensityOptions density, TraceOptions trace, int every) {
    /** The largest {@code every}. */
    public static final int MOST_EVERY = 1_000_000;
    /** The default of {@code every}: docs/science.md#cost-of-the-density-and-the-trace gives the measurement. */
    public static final int DEFAULT_EVERY = 20;

    /** Validates; messages name the option. */
    public BeyondTopOptions {
        if (every < 1 || every > MOST_EVERY) {
            throw new IllegalArgumentException("--density-trace-every must be in [1, " + MOST_EVERY + "], got " + every);
        }
    }

    /** Neither the density nor the traces. */
    public static BeyondTopOptions none() {
        return new BeyondTopOptions(null, null, DEFAULT_EVERY);
    }

    /** Whether anything beyond the top is asked for. */
    public boolean any() {
        return density != null || trace != null;
    }

    /**
     * Whether the {@code index}-th snapshot of a run (0 for the first one analysed) gets the density and traces: the
     * first, then every {@code every}-th.
     */
    public boolean due(long index) {
        return any() && index % every == 0;
    }
}
