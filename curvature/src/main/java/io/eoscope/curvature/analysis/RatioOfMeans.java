package io.eoscope.curvature.analysis;

/**
 * The ratio x̄/ȳ of the means of paired samples (xᵢ, yᵢ) and its asymptotic confidence interval by the delta method:
 * Var(x̄/ȳ) ≈ (s_xx − 2R s_xy + R² s_yy)/(n ȳ²), R = x̄/ȳ, with the sample (co)variances s. Means and co-moments
 * are accumulated by Welford's update, stable for samples of any magnitude.
 */
public final class RatioOfMeans {
    /** z of a two-sided 95% normal interval. */
    public static final double Z95 = 1.959963984540054;

    private long n;
    private double meanX;
    private double meanY;
    private double mxx; // Σ (xᵢ − x̄)²
    private double myy;
    private double mxy;

    /** Adds one pair. */
    public void add(double x, double y) {
        n++;
        double dx = x - meanX;
        double dy = y - meanY;
        meanX += dx / n;
        meanY += dy / n;
        mxx += dx * (x - meanX);
        myy += dy * (y - meanY);
        mxy += dx * (y - meanY);
    }

    /** The number of pairs. */
    public long count() {
        return n;
    }

    /** x̄/ȳ (NaN before the first pair). */
    public double ratio() {
        return meanX / meanY;
    }

    /** x̄. */
    public double meanX() {
        return meanX;
    }

    /** ȳ. */
    public double meanY() {
        return meanY;
    }

    /** The half-width z·√Var(x̄/ȳ) of the interval (NaN before the second pair). */
    public double halfWidth(double z) {
        if (n < 2) {
            return Double.NaN;
        }
        double r = ratio();
        double variance = (mxx - 2 * r * mxy + r * r * myy) / (n - 1);
        return z * Math.sqrt(Math.max(variance, 0) / n) / Math.abs(meanY);
    }
}
