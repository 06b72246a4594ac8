package io.eoscope.curvature.eigen;

/**
 * What an eigen-solver computes and when it stops.
 *
 * @param count k, the number of eigenpairs wanted (top k by magnitude)
 * @param tolerance relative tolerance: converged when every one of the k Ritz values changed by at
 *     most {@code tolerance}·|λ| since the previous iteration and its relative residual
 *     ‖Av − λv‖/|λ| is at most √tolerance
 * @param maxProducts the most single-vector operator products to spend before giving up
 * @param seed seed of the random start vectors (results are reproducible for a given seed)
 */
public record EigenOptions(int count, double tolerance, long maxProducts, long seed) {

    /** Validates the options; messages name the option. */
    public EigenOptions {
        if (count < 1) {
            throw new IllegalArgumentException("top-k must be at least 1, got " + count);
        }
        if (!(tolerance > 0 && tolerance < 1)) {
            throw new IllegalArgumentException("tolerance must be in (0, 1), got " + tolerance);
        }
        if (maxProducts < count) {
            throw new IllegalArgumentException("max products must be at least top-k, got " + maxProducts);
        }
    }

    /** k eigenpairs at the given tolerance, at most 5,000 products, seed 0. */
    public static EigenOptions of(int count, double tolerance) {
        return new EigenOptions(count, tolerance, 5_000, 0);
    }
}
