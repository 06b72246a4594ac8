package io.eoscope.curvature.spectrum;

/**
 * Quantiles of Student's t distribution, for the interval of a mean of a few samples (a Hutch++ trace) or of a fitted
 * exponent (the gateway's power law). The distribution function is the regularised incomplete beta function
 * (continued fraction, Lentz's method), the quantile is found by bisection on it: a few hundred evaluations.
 */
public final class StudentT {
    private StudentT() {}

    /**
     * The t with P(|T| ≤ t) = {@code level} for {@code dof} degrees of freedom (level 0.95 and dof 4: 2.776).
     *
     * @throws IllegalArgumentException when the level is not in (0, 1) or dof &lt; 1
     */
    public static double twoSided(double level, int dof) {
        if (!(level > 0 && level < 1) || dof < 1) {
            throw new IllegalArgumentException("Student's t needs dof ≥ 1 and a level in (0, 1), got " + dof + ", " + level);
        }
        return quantile(0.5 * (1 + level), dof);
    }

    /**
     * t such that P(T ≤ t) = p for T with {@code dof} degrees of freedom.
     *
     * @throws IllegalArgumentException when p is not in (0, 1) or dof &lt; 1
     */
    public static double quantile(double p, int dof) {
        if (!(p > 0 && p < 1) || dof < 1) {
            throw new IllegalArgumentException("Student-t quantile needs p in (0, 1) and dof ≥ 1, got p = " + p
                    + ", dof = " + dof);
        }
        if (p < 0.5) {
            return -quantile(1 - p, dof);
        }
        double low = 0;
        double high = 1;
        while (cdf(high, dof) < p) {
            high *= 2;
        }
        for (int i = 0; i < 200 && high - low > 1e-14 * high; i++) {
            double mid = 0.5 * (low + high);
            if (cdf(mid, dof) < p) {
                low = mid;
            } else {
                high = mid;
            }
        }
        return 0.5 * (low + high);
    }

    /** P(T ≤ t) = 1 − ½·I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0, by symmetry below. */
    static double cdf(double t, int dof) {
        double x = dof / (dof + t * t);
        double tail = 0.5 * incompleteBeta(0.5 * dof, 0.5, x);
        return t >= 0 ? 1 - tail : tail;
    }

    /** The regularised incomplete beta function I_x(a, b). */
    static double incompleteBeta(double a, double b, double x) {
        if (x <= 0) {
            return 0;
        }
        if (x >= 1) {
            return 1;
        }
        double front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
        // the continued fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry beyond
        return x < (a + 1) / (a + b + 2) ? front * fraction(a, b, x) / a : 1 - front * fraction(b, a, 1 - x) / b;
    }

    private static double fraction(double a, double b, double x) {
        double tiny = 1e-300;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.abs(d) < tiny ? tiny : d);
        double h = d;
        for (int m = 1; m <= 300; m++) {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + aa * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + aa / c;
            c = Math.abs(c) < tiny ? tiny : c;
            h *= d * c;
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + aa * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + aa / c;
            c = Math.abs(c) < tiny ? tiny : c;
            double step = d * c;
            h *= step;
            if (Math.abs(step - 1) < 1e-15) {
                break;
            }
        }
        return h;
    }

    /** ln Γ(x) for x &gt; 0 (Lanczos approximation, g = 7, about 15 digits). */
    static double logGamma(double x) {
        double[] c = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7};
        if (x < 0.5) {
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        x -= 1;
        double sum = c[0];
        for (int i = 1; i < 9; i++) {
            sum += c[i] / (x + i);
        }
        double t = x + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
    }
}
