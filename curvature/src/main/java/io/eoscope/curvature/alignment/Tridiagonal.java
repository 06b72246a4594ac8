package io.eoscope.curvature.alignment;

/** The largest eigenvalue of a symmetric tridiagonal matrix by Sturm-sequence bisection. */
final class Tridiagonal {
    private Tridiagonal() {}

    /**
     * @param diagonal α₁ … α_m
     * @param offDiagonal β₁ … β_{m−1}
     * @return λ_max, to about 1e-15 relative to the Gershgorin bound
     */
    static double largestEigenvalue(double[] diagonal, double[] offDiagonal) {
        int m = diagonal.length;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < m; i++) {
            double radius = (i > 0 ? Math.abs(offDiagonal[i - 1]) : 0) + (i + 1 < m ? Math.abs(offDiagonal[i]) : 0);
            lo = Math.min(lo, diagonal[i] - radius);
            hi = Math.max(hi, diagonal[i] + radius);
        }
        double span = Math.max(Math.abs(lo), Math.abs(hi));
        if (span == 0) {
            return 0;
        }
        for (int iter = 0; iter < 200 && hi - lo > 1e-15 * span; iter++) {
            double mid = 0.5 * (lo + hi);
            if (countBelow(diagonal, offDiagonal, mid) == m) {
                hi = mid; // every eigenvalue lies below mid
            } else {
                lo = mid;
            }
        }
        return hi;
    }

    /** The number of eigenvalues below x (Sturm sequence of the LDLᵀ pivots of T − xI). */
    private static int countBelow(double[] a, double[] b, double x) {
        int count = 0;
        double q = 1;
        for (int i = 0; i < a.length; i++) {
            double off = i > 0 ? b[i - 1] * b[i - 1] : 0;
            q = a[i] - x - (i > 0 ? off / q : 0);
            if (q == 0) {
                q = -1e-300;
            }
            if (q < 0) {
                count++;
            }
        }
        return count;
    }
}
