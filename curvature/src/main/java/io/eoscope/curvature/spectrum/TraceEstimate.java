package io.eoscope.curvature.spectrum;

/**
 * A trace with its interval.
 *
 * @param value the estimate (NaN when it failed)
 * @param low the interval's lower end (the value itself for an exact trace)
 * @param high the interval's upper end
 * @param coverage the interval's stated coverage (1 for an exact trace)
 * @param method {@value #HUTCH_PLUS_PLUS} or {@value #EXACT}
 * @param products operator products spent (0 for an exact trace, which is counted in gradient passes instead)
 * @param probes random vectors of the estimate's Hutchinson part (0 for an exact trace)
 * @param failure null, or why there is no trace
 */
public record TraceEstimate(double value, double low, double high, double coverage, String method, long products,
        int probes, String failure) {
    /** The method of {@link HutchPlusPlus}. */
    public static final String HUTCH_PLUS_PLUS = "hutch++";
    /** The method of a trace computed exactly. */
    public static final String EXACT = "exact";

    /** Validates: a trace that did not fail has a finite value inside its interval. */
    public TraceEstimate {
        if (!EXACT.equals(method) && !HUTCH_PLUS_PLUS.equals(method)) {
            throw new IllegalArgumentException("unknown trace method '" + method + "'");
        }
        if (failure == null && !(Double.isFinite(value) && low <= value && value <= high)) {
            throw new IllegalArgumentException("a trace needs a finite value inside its interval, got " + value + " in ["
                    + low + ", " + high + "]");
        }
    }

    /** A trace computed exactly: its interval is the value itself. */
    public static TraceEstimate exact(double value) {
        return new TraceEstimate(value, value, value, 1.0, EXACT, 0, 0, null);
    }

    /** A trace that could not be computed, and why. */
    public static TraceEstimate failed(String method, long products, String failure) {
        if (failure == null) {
            throw new IllegalArgumentException("a failure needs its reason");
        }
        return new TraceEstimate(Double.NaN, Double.NaN, Double.NaN, Double.NaN, method, products, 0, failure);
    }

    /** Whether it failed (no number to report). */
    public boolean failed() {
        return failure != null;
    }
}
