package io.eoscope.trainer.data;

import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.net.LabeledData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Balanced subsets (docs/science.md#datasets): N samples of the first C classes, chosen by seed. */
public final class Subsets {
    private Subsets() {}

    /**
     * N samples from classes 0..C−1, ⌊N/C⌋ or ⌈N/C⌉ of each (the first N mod C classes get one more),
     * drawn without replacement by {@code seed}, in a seeded shuffled order.
     */
    public static LabeledData balanced(LabeledData source, int classes, int n, long seed, String sourceName)
            throws InputException {
        if (classes < 2 || n < classes) {
            throw new IllegalArgumentException("a balanced subset needs C ≥ 2 and N ≥ C, got N=" + n + ", C=" + classes);
        }
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < source.n(); i++) {
            if (source.y()[i] < classes) {
                byClass.get(source.y()[i]).add(i);
            }
        }
        Random r = new Random(seed);
        int[] chosen = new int[n];
        int k = 0;
        for (int c = 0; c < classes; c++) {
            int want = n / classes + (c < n % classes ? 1 : 0);
            List<Integer> pool = byClass.get(c);
            if (pool.size() < want) {
                throw new InputException(sourceName + ": class " + c + " has " + pool.size() + " samples, "
                        + want + " needed for a balanced subset of N=" + n + " over C=" + classes);
            }
            for (int j = 0; j < want; j++) { // partial Fisher-Yates
                int pick = j + r.nextInt(pool.size() - j);
                int t = pool.get(j);
                pool.set(j, pool.get(pick));
                pool.set(pick, t);
                chosen[k++] = pool.get(j);
            }
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = chosen[i];
            chosen[i] = chosen[j];
            chosen[j] = t;
        }
        return source.select(chosen);
    }

    /** The first N mod C classes get one more: the per-class counts of {@link #balanced}. */
    public static int[] counts(LabeledData data, int classes) {
        int[] counts = new int[classes];
        Arrays.stream(data.y()).forEach(y -> counts[y]++);
        return counts;
    }
}
