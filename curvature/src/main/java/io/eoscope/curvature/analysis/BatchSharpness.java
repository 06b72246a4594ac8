package io.eoscope.curvature.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.DifferentiableModel;
import io.eoscope.curvature.net.HostArrays;
import java.util.Locale;
import java.util.Random;
import java.util.function.LongConsumer;

/**
 * Batch sharpness BS = E_B[g_Bᵀ𝓗_B g_B] / E_B[‖g_B‖²] of mini-batch SGD (docs/science.md#other-optimizers): B a
 * uniformly random batch of the run's size, drawn without replacement from the dataset, g_B and 𝓗_B the gradient
 * and Hessian of the mean loss on it. Estimated by Monte Carlo over independent seeded batches, one gradient and one
 * Hessian-vector product each, as the ratio of the two sample means, with a 95% interval by the delta method
 * ({@link RatioOfMeans}); sequential: after at least {@link Options#minBatches} batches it stops as soon as the
 * interval's half-width is at most {@link Options#tolerance} of the estimate, or at {@link Options#maxBatches}.
 */
public final class BatchSharpness {
    private BatchSharpness() {}

    /**
     * When the estimate stops. Validated; messages name the command-line option.
     *
     * @param tolerance the largest half-width of the 95% interval, relative to the estimate, in (0, 1)
     * @param minBatches batches before the interval may stop the estimate, at least {@value #LEAST_BATCHES}
     * @param maxBatches the most batches, at least {@code minBatches} and at most {@value #MOST_BATCHES}
     */
    public record Options(double tolerance, int minBatches, int maxBatches) {
        /** Fewer batches give no usable variance estimate. */
        public static final int LEAST_BATCHES = 10;
        /** The most batches of one estimate. */
        public static final int MOST_BATCHES = 1_000_000;

        /** Validates. */
        public Options {
            if (!(tolerance > 0 && tolerance < 1)) {
                throw new IllegalArgumentException("--batch-tol must be in (0, 1), got " + tolerance);
            }
            if (minBatches < LEAST_BATCHES) {
                throw new IllegalArgumentException("the least number of batches must be at least " + LEAST_BATCHES + ", got " + minBatches);
            }
            if (maxBatches < minBatches || maxBatches > MOST_BATCHES) {
                throw new IllegalArgumentException("--max-batches must be in " + minBatches + ".." + MOST_BATCHES + ", got " + maxBatches);
            }
        }

        /** The defaults: a half-width of 1% of the estimate, 10 to 500 batches. */
        public static Options defaults() {
            return new Options(0.01, LEAST_BATCHES, 500);
        }
    }

    /**
     * The estimate.
     *
     * @param value the ratio of the two sample means (NaN when it failed)
     * @param low the interval's lower end
     * @param high its upper end
     * @param batches the batches drawn
     * @param products the Hessian-vector products spent (one per batch; each batch also costs one gradient)
     * @param converged whether the interval met the tolerance before {@link Options#maxBatches}
     * @param failure null, or why no number can be reported
     */
    public record Estimate(double value, double low, double high, long batches, long products, boolean converged,
            String failure) {}

    /**
     * Estimates BS of {@code model} on batches of {@code data} of size {@code batchSize}.
     *
     * @param progress told the number of batches done after each
     * @throws IllegalArgumentException when {@code batchSize} is not in 1..N
     */
    public static Estimate estimate(DifferentiableModel model, DeviceData data, int batchSize, Options options, long seed,
            LongConsumer progress) {
        int n = data.size();
        if (batchSize < 1 || batchSize > n) {
            throw new IllegalArgumentException("batch size " + batchSize + " must be in 1..N = " + n);
        }
        Random random = new Random(seed);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        RatioOfMeans ratio = new RatioOfMeans();
        while (ratio.count() < options.maxBatches()) {
            int[] batch = new int[batchSize];
            for (int i = 0; i < batchSize; i++) { // partial Fisher-Yates: a uniform subset from any permutation
                int j = i + random.nextInt(n - i);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
                batch[i] = order[i];
            }
            double[] terms = terms(model, data, batch);
            if (!Double.isFinite(terms[0]) || !Double.isFinite(terms[1])) {
                return failed(String.format(Locale.ROOT, "batch %d: gᵀ𝓗g = %s, ‖g‖² = %s are not finite (is the loss finite?)",
                        ratio.count() + 1, terms[0], terms[1]), ratio.count() + 1);
            }
            ratio.add(terms[0], terms[1]);
            progress.accept(ratio.count());
            if (ratio.count() >= options.minBatches() && stops(ratio, options.tolerance())) {
                return result(ratio, true);
            }
        }
        return result(ratio, false);
    }

    /**
     * The exact BS: every one of the C(N, B) batches once, the ratio of the means of gᵀ𝓗g and ‖g‖² over them
     * (the definition's expectations); for small datasets and tests.
     *
     * @param limit the most batches to enumerate
     * @throws IllegalArgumentException when C(N, B) exceeds {@code limit}
     */
    public static double exact(DifferentiableModel model, DeviceData data, int batchSize, long limit) {
        int n = data.size();
        if (batchSize < 1 || batchSize > n) {
            throw new IllegalArgumentException("batch size " + batchSize + " must be in 1..N = " + n);
        }
        double count = 1;
        for (int i = 0; i < batchSize; i++) {
            count = count * (n - i) / (i + 1);
        }
        if (count > limit) {
            throw new IllegalArgumentException("C(" + n + ", " + batchSize + ") = " + (long) count + " batches exceed " + limit);
        }
        int[] batch = new int[batchSize];
        for (int i = 0; i < batchSize; i++) {
            batch[i] = i;
        }
        double numerator = 0;
        double denominator = 0;
        while (true) {
            double[] t = terms(model, data, batch);
            numerator += t[0];
            denominator += t[1];
            int i = batchSize - 1; // the next combination in lexicographic order
            while (i >= 0 && batch[i] == n - batchSize + i) {
                i--;
            }
            if (i < 0) {
                return numerator / denominator;
            }
            batch[i]++;
            for (int j = i + 1; j < batchSize; j++) {
                batch[j] = batch[j - 1] + 1;
            }
        }
    }

    /** g_Bᵀ𝓗_B g_B and ‖g_B‖² of the mean loss on the samples {@code batch}. */
    static double[] terms(DifferentiableModel model, DeviceData data, int[] batch) {
        try (DeviceData b = data.select(batch); CurvatureProducts products = new CurvatureProducts(model, b);
                NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray g = products.gradient().reshape(1, -1);
            NDArray hg = products.apply(Curvature.HESSIAN, g);
            return new double[] {HostArrays.scalar(g.mul(hg).sum()), HostArrays.scalar(g.mul(g).sum())};
        }
    }

    private static boolean stops(RatioOfMeans ratio, double tolerance) {
        return ratio.halfWidth(RatioOfMeans.Z95) <= tolerance * Math.abs(ratio.ratio());
    }

    private static Estimate result(RatioOfMeans ratio, boolean converged) {
        double value = ratio.ratio();
        double half = ratio.halfWidth(RatioOfMeans.Z95);
        if (!Double.isFinite(value)) {
            return failed("the mean of ‖g_B‖² over " + ratio.count() + " batches is 0: every batch gradient vanished, and the "
                    + "ratio is undefined", ratio.count());
        }
        return new Estimate(value, value - half, value + half, ratio.count(), ratio.count(), converged, null);
    }

    private static Estimate failed(String why, long batches) {
        return new Estimate(Double.NaN, Double.NaN, Double.NaN, batches, batches, false, why);
    }
}
