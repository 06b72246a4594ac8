package io.eoscope.trainer.solve;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Which samples each step of mini-batch SGD uses, as PyTorch's {@code DataLoader(shuffle=True, drop_last=False)}
 * draws them: every epoch is a fresh permutation of the N samples cut into ⌈N/B⌉ batches of B, the last one smaller
 * when B does not divide N. The permutation of epoch e depends only on the seed and e, and step u falls in epoch
 * ⌊u / ⌈N/B⌉⌋ at position u mod ⌈N/B⌉: a resumed run draws the same batches from its step count alone.
 */
public final class BatchOrder {
    private final int n;
    private final int batchSize;
    private final long seed;
    private long cachedEpoch = -1;
    private int[] permutation;

    /**
     * @param n the number of samples N
     * @param batchSize B, 1 ≤ B ≤ N
     * @param seed the seed of the shuffles
     */
    public BatchOrder(int n, int batchSize, long seed) {
        if (batchSize < 1 || batchSize > n) {
            throw new IllegalArgumentException("--batch-size must be in [1, N = " + n + "], got " + batchSize);
        }
        this.n = n;
        this.batchSize = batchSize;
        this.seed = seed;
    }

    /** B. */
    public int batchSize() {
        return batchSize;
    }

    /** Steps per epoch, ⌈N/B⌉. */
    public int batchesPerEpoch() {
        return (n + batchSize - 1) / batchSize;
    }

    /** The epoch (0-based) step {@code step} (0-based) belongs to. */
    public long epoch(long step) {
        return step / batchesPerEpoch();
    }

    /** The sample indices of step {@code step}'s batch, in the order drawn. */
    public int[] batch(long step) {
        long epoch = epoch(step);
        if (epoch != cachedEpoch) {
            permutation = permutation(epoch);
            cachedEpoch = epoch;
        }
        int from = (int) (step % batchesPerEpoch()) * batchSize;
        return Arrays.copyOfRange(permutation, from, Math.min(n, from + batchSize));
    }

    /** A Fisher–Yates shuffle of 0 … N−1 from a generator seeded by the seed and the epoch alone. */
    private int[] permutation(long epoch) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
