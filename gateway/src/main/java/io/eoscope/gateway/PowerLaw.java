package io.eoscope.gateway;

/**
 * The dataset-size power law of docs/science.md#power-law-in-n: a least-squares fit of log y = log a + β log N.
 *
 * @param a the prefactor
 * @param beta the exponent β
 * @param r2 the coefficient of determination of the log-log fit
 * @param points how many points were fitted
 */
public record PowerLaw(double a, double beta, double r2, int points) {

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
        double r2 = syy == 0 ? 1 : 1 - (syy - beta * sxy) / syy;
        return new PowerLaw(Math.exp(intercept), beta, r2, n.length);
    }
}
