package io.eoscope.gateway;

import io.eoscope.curvature.spectrum.StudentT;

/**
 * The dataset-size power law of docs/science.md#power-law-in-n: a least-squares fit of log y = log a + β log N to
 * every point (several seeds per N give several points at that N).
 *
 * @param a the prefactor
 * @param beta the exponent β
 * @param r2 the coefficient of determination of the log-log fit over every point
 * @param points how many points were fitted
 * @param betaStdError the standard error of β, √(SSR/(points − 2) / Σ(log N − mean)²); NaN with two points
 * @param r2Means R² of the per-N means of log y about the fitted line, each N weighted by its number of points (the
 *     seeds' noise averaged out; equals {@code r2} with one point per N, and the R² of a fit to the means alone when
 *     every N has as many points); NaN when the means are all equal
 * @param sizes how many distinct N
 */
public record PowerLaw(double a, double beta, double r2, int points, double betaStdError, double r2Means, int sizes) {

    /** Fits positive (N, y) pairs; needs at least two distinct N. */
    public static PowerLaw fit(double[] n, double[] y) {
        if (n.length != y.length || n.length < 2) {
            throw new IllegalArgumentException("a power-law fit needs at least two points");
        }
        double sx = 0;
        double sy = 0;
        for (int i = 0; i < n.length; i++) {
            if (!(n[i] > 0) || !(y[i] > 0)) {
                throw new IllegalArgumentException("a power-law fit needs positive N and values, got (" + n[i] + ", " + y[i] + ")");
            }
            sx += Math.log(n[i]);
            sy += Math.log(y[i]);
        }
        double mx = sx / n.length;
        double my = sy / n.length;
        double sxx = 0;
        double sxy = 0;
        double syy = 0;
        for (int i = 0; i < n.length; i++) {
            double dx = Math.log(n[i]) - mx;
            double dy = Math.log(y[i]) - my;
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
        }
        if (sxx == 0) {
            throw new IllegalArgumentException("a power-law fit needs at least two different dataset sizes");
        }
        double beta = sxy / sxx;
        double intercept = my - beta * mx;
        double ssr = 0;
        for (int i = 0; i < n.length; i++) {
            double e = Math.log(y[i]) - intercept - beta * Math.log(n[i]);
            ssr += e * e;
        }
        double r2 = syy == 0 ? 1 : 1 - ssr / syy;
        double se = n.length > 2 ? Math.sqrt(ssr / (n.length - 2) / sxx) : Double.NaN;
        // the per-N means of log y against the same line, each N weighted by its number of points (the weights the line
        // was fitted with: with equal counts this is the R² of a fit to the means alone)
        java.util.TreeMap<Double, double[]> byN = new java.util.TreeMap<>();
        for (int i = 0; i < n.length; i++) {
            double[] sum = byN.computeIfAbsent(n[i], k -> new double[2]);
            sum[0] += Math.log(y[i]);
            sum[1]++;
        }
        double tot = 0;
        double res = 0;
        for (var e : byN.entrySet()) {
            double count = e.getValue()[1];
            double mean = e.getValue()[0] / count;
            tot += count * (mean - my) * (mean - my);
            double r = mean - intercept - beta * Math.log(e.getKey());
            res += count * r * r;
        }
        // means equal to rounding leave nothing to explain: R² is undefined there, not 1
        double r2Means = tot <= 1e-24 * Math.max(1, my * my) * n.length ? Double.NaN : 1 - res / tot;
        return new PowerLaw(Math.exp(intercept), beta, r2, n.length, se, r2Means, byN.size());
    }

    /**
     * The two-sided confidence interval of β at {@code level} (0.95: 95%) from its standard error and Student's t
     * with points − 2 degrees of freedom: {lo, hi}, both NaN with two points (no residual degrees of freedom).
     */
    public double[] betaInterval(double level) {
        if (points <= 2) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double half = StudentT.twoSided(level, points - 2) * betaStdError;
        return new double[] {beta - half, beta + half};
    }

    /** True when β's 95% interval exists: more than two points. */
    public boolean hasInterval() {
        return points > 2;
    }

    /** True when β's 95% interval contains 0: the data show no dependence on N (false when there is no interval). */
    public boolean flat() {
        double[] ci = betaInterval(0.95);
        return hasInterval() && ci[0] <= 0 && ci[1] >= 0;
    }
}
