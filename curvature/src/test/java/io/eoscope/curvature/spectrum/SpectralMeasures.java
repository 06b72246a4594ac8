package io.eoscope.curvature.spectrum;

import java.util.Arrays;

/** Distances between discrete measures on the line, for testing densities against dense spectra. */
final class SpectralMeasures {
    private SpectralMeasures() {}

    /**
     * W1(μ, ν) = ∫|F_μ − F_ν| dλ between Σ a_i δ(λ − x_i) and Σ b_j δ(λ − y_j), each of total mass 1: the two
     * distribution functions are step functions, so the integral is a sum over the merged, sorted atoms.
     */
    static double wasserstein1(double[] x, double[] a, double[] y, double[] b) {
        int n = x.length + y.length;
        double[][] atoms = new double[n][];
        for (int i = 0; i < x.length; i++) {
            atoms[i] = new double[] {x[i], a[i]};
        }
        for (int j = 0; j < y.length; j++) {
            atoms[x.length + j] = new double[] {y[j], -b[j]};
        }
        Arrays.sort(atoms, (p, q) -> Double.compare(p[0], q[0]));
        double difference = 0; // F_μ − F_ν just right of the current atom
        double w = 0;
        for (int i = 0; i < n; i++) {
            difference += atoms[i][1];
            if (i + 1 < n) {
                w += Math.abs(difference) * (atoms[i + 1][0] - atoms[i][0]);
            }
        }
        return w;
    }

    /** The spectral measure (1/P) Σ δ(λ − λ_i) of the given eigenvalues, as its weights. */
    static double[] uniform(int p) {
        double[] w = new double[p];
        Arrays.fill(w, 1.0 / p);
        return w;
    }

    /** W1 of an estimated density to the spectral measure of the eigenvalues. */
    static double wasserstein1(SpectralDensity d, double[] eigenvalues) {
        return wasserstein1(d.nodes(), d.weights(), eigenvalues, uniform(eigenvalues.length));
    }

    /** λmax − λmin. */
    static double range(double[] eigenvalues) {
        return Arrays.stream(eigenvalues).max().orElseThrow() - Arrays.stream(eigenvalues).min().orElseThrow();
    }
}
