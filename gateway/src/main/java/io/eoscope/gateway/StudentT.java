package io.eoscope.gateway;

/**
 * Student's t distribution: its two-sided quantile, for the confidence interval of a fitted exponent. The CDF comes
 * from the regularized incomplete beta function (continued fraction, Lentz's method), the quantile from bisection on
 * it; both to about 1e-12, far below what an interval needs.
 */
final class StudentT {
    private StudentT() {}

    /** The t with P(|T| ≤ t) = {@code level} for {@code dof} degrees of freedom (level 0.95 and dof 4: 2.776). */
    static double twoSided(double level, int dof) {
        if (dof < 1 || !(level > 0 && level < 1)) {
            throw new IllegalArgumentException("Student's t needs dof ≥ 1 and a level in (0, 1), got " + dof + ", " + level);
        }
        double target = 1 - (1 - level) / 2;
        double lo = 0;
        double hi = 1;
        while (cdf(hi, dof) < target) {
            hi *= 2;
        }
        for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
            double mid = (lo + hi) / 2;
            if (cdf(mid, dof) < target) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }

    /** P(T ≤ t). */
    static double cdf(double t, int dof) {
        double x = dof / (dof + t * t);
        double tail = 0.5 * incompleteBeta(dof / 2.0, 0.5, x);
        return t >= 0 ? 1 - tail : tail;
    }

    /** The regularized incomplete beta function I_x(a, b). */
    static double incompleteBeta(double a, double b, double x) {
        if (x <= 0) {
            return 0;
        }
        if (x >= 1) {
            return 1;
        }
        double front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
        // the continued fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry otherwise
        if (x < (a + 1) / (a + b + 2)) {
            return front * fraction(a, b, x) / a;
        }
        return 1 - front * fraction(b, a, 1 - x) / b;
    }

    private static double fraction(double a, double b, double x) {
        double tiny = 1e-300;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.abs(d) < tiny ? tiny : d);
        double h = d;
        for (int m = 1; m <= 500; m++) {
            int m2 = 2 * m;
            double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + num * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + num / c;
            c = Math.abs(c) < tiny ? tiny : c;
            h *= d * c;
            num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + num * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + num / c;
            c = Math.abs(c) < tiny ? tiny : c;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-15) {
                break;
            }
        }
        return h;
    }

    /** log Γ(x) for x > 0 (Lanczos, g = 7, n = 9: relative error below 1e-15). */
    static double logGamma(double x) {
        double[] g = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
        if (x < 0.5) {
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        x -= 1;
        double s = g[0];
        for (int i = 1; i < g.length; i++) {
            s += g[i] / (x + i);
        }
        double t = x + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
    }
}
