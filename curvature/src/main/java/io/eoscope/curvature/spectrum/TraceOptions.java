package io.eoscope.curvature.spectrum;

/**
 * How a trace is estimated by Hutch++.
 *
 * @param products operator products per estimate: a third sketch the top of the spectrum, a third project it out, a
 *     third (at least two) estimate the rest by Hutchinson's method
 * @param coverage the coverage of the reported interval, in (0, 1)
 * @param seed seed of the random vectors
 */
public record TraceOptions(int products, double coverage, long seed) {
    /** The fewest products: the Hutchinson part needs two samples for a variance. */
    public static final int FEWEST = 6;
    /** The most products accepted: a bound on one estimate's memory (a third of them as vectors) and time. */
    public static final int MOST = 3000;

    /** Validates; messages name the option. */
    public TraceOptions {
        if (products < FEWEST || products > MOST) {
            throw new IllegalArgumentException("--trace-products must be in [" + FEWEST + ", " + MOST + "], got " + products);
        }
        if (!(coverage > 0 && coverage < 1)) {
            throw new IllegalArgumentException("the trace interval's coverage must be in (0, 1), got " + coverage);
        }
    }

    /** The default estimate (docs/science.md#trace gives the measurement it was chosen from). */
    public static TraceOptions defaults() {
        return new TraceOptions(30, 0.95, 0);
    }
}
