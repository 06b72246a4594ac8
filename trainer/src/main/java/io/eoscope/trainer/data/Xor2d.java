package io.eoscope.trainer.data;

import io.eoscope.curvature.net.LabeledData;
import java.util.Random;

/**
 * XOR-2D (docs/science.md#datasets): points uniform in [0, 1]², label 1 when exactly one coordinate
 * exceeds ½. Deterministic in (seed, N). The solver's smallest example.
 */
public final class Xor2d {
    private Xor2d() {}

    /** N points from {@code seed}. */
    public static LabeledData generate(long seed, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("XOR-2D needs N ≥ 1, got " + n);
        }
        Random r = new Random(seed);
        double[] x = new double[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = r.nextDouble();
            x[2 * i + 1] = r.nextDouble();
            y[i] = (x[2 * i] > 0.5) != (x[2 * i + 1] > 0.5) ? 1 : 0;
        }
        return new LabeledData(n, 2, x, y);
    }
}
