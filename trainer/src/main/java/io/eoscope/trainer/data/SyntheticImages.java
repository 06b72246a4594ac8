package io.eoscope.trainer.data;

import io.eoscope.curvature.net.LabeledData;
import java.util.Random;

/**
 * The synthetic imagery of docs/science.md#datasets, the default dataset (needs nothing installed):
 * C classes of 3×32×32 images. Each class has a smooth random template drawn from (seed, class): two
 * oriented sinusoidal gratings and three Gaussian blobs, each with its own colour. Each sample is its
 * class template circularly shifted by up to ±4 pixels, scaled in contrast by a factor in [0.6, 1.4]
 * about mid-grey, plus Gaussian pixel noise of standard deviation 0.08, clipped to [0, 1]. Labels cycle
 * through the classes in a seeded order, so every class has ⌊N/C⌋ or ⌈N/C⌉ samples. Pixels are
 * flattened channel-major (c, y, x), as CIFAR-10 stores them. Deterministic in (seed, N, C).
 */
public final class SyntheticImages {
    /** Side of the square images. */
    public static final int SIDE = 32;
    /** Colour channels. */
    public static final int CHANNELS = 3;
    /** Input width of a flattened image. */
    public static final int WIDTH = CHANNELS * SIDE * SIDE;

    private SyntheticImages() {}

    /** N images of C classes from {@code seed}. */
    public static LabeledData generate(long seed, int n, int classes) {
        if (n < 1 || classes < 2) {
            throw new IllegalArgumentException("synthetic images need N ≥ 1 and C ≥ 2, got N=" + n + ", C=" + classes);
        }
        double[][] templates = new double[classes][];
        for (int c = 0; c < classes; c++) {
            templates[c] = template(new Random(mix(seed, 1_000_003L * (c + 1))));
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % classes;
        }
        Random order = new Random(mix(seed, 17));
        for (int i = n - 1; i > 0; i--) {
            int j = order.nextInt(i + 1);
            int t = labels[i];
            labels[i] = labels[j];
            labels[j] = t;
        }
        double[] x = new double[n * WIDTH];
        for (int i = 0; i < n; i++) {
            Random r = new Random(mix(seed, 7_919L * (i + 1) + 3));
            int dy = r.nextInt(9) - 4;
            int dx = r.nextInt(9) - 4;
            double contrast = 0.6 + 0.8 * r.nextDouble();
            double[] t = templates[labels[i]];
            for (int ch = 0; ch < CHANNELS; ch++) {
                for (int y = 0; y < SIDE; y++) {
                    for (int xx = 0; xx < SIDE; xx++) {
                        double v = t[index(ch, Math.floorMod(y - dy, SIDE), Math.floorMod(xx - dx, SIDE))];
                        v = 0.5 + contrast * (v - 0.5) + 0.08 * r.nextGaussian();
                        x[i * WIDTH + index(ch, y, xx)] = Math.min(1, Math.max(0, v));
                    }
                }
            }
        }
        return new LabeledData(n, WIDTH, x, labels);
    }

    private static double[] template(Random r) {
        double[] t = new double[WIDTH];
        for (int g = 0; g < 2; g++) { // oriented gratings
            double angle = Math.PI * r.nextDouble();
            double freq = 2 * Math.PI * (1 + 3 * r.nextDouble()) / SIDE;
            double phase = 2 * Math.PI * r.nextDouble();
            double[] colour = colour(r);
            for (int y = 0; y < SIDE; y++) {
                for (int x = 0; x < SIDE; x++) {
                    double s = Math.sin(freq * (x * Math.cos(angle) + y * Math.sin(angle)) + phase);
                    for (int ch = 0; ch < CHANNELS; ch++) {
                        t[index(ch, y, x)] += 0.18 * colour[ch] * s;
                    }
                }
            }
        }
        for (int b = 0; b < 3; b++) { // Gaussian blobs
            double cy = SIDE * r.nextDouble();
            double cx = SIDE * r.nextDouble();
            double width = 3 + 5 * r.nextDouble();
            double[] colour = colour(r);
            for (int y = 0; y < SIDE; y++) {
                for (int x = 0; x < SIDE; x++) {
                    double ddy = Math.min(Math.abs(y - cy), SIDE - Math.abs(y - cy));
                    double ddx = Math.min(Math.abs(x - cx), SIDE - Math.abs(x - cx));
                    double g = Math.exp(-(ddy * ddy + ddx * ddx) / (2 * width * width));
                    for (int ch = 0; ch < CHANNELS; ch++) {
                        t[index(ch, y, x)] += 0.35 * colour[ch] * g;
                    }
                }
            }
        }
        for (int i = 0; i < WIDTH; i++) {
            t[i] = Math.min(1, Math.max(0, 0.5 + t[i]));
        }
        return t;
    }

    private static double[] colour(Random r) {
        return new double[] {2 * r.nextDouble() - 1, 2 * r.nextDouble() - 1, 2 * r.nextDouble() - 1};
    }

    private static int index(int ch, int y, int x) {
        return (ch * SIDE + y) * SIDE + x;
    }

    private static long mix(long seed, long salt) {
        long z = seed * 0x9E3779B97F4A7C15L + salt;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
