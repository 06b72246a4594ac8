package io.eoscope.curvature.net;

/**
 * A labelled dataset on the host: {@code x} row-major [n, d] in float64, {@code y} class labels.
 *
 * @param n number of samples
 * @param inputWidth d
 * @param x row-major [n, d]
 * @param y labels, 0 … C−1
 */
public record LabeledData(int n, int inputWidth, double[] x, int[] y) {

    /** Checks the sizes. */
    public LabeledData {
        if (n <= 0 || inputWidth <= 0) {
            throw new IllegalArgumentException("a dataset needs at least one sample and one feature");
        }
        if (x.length != (long) n * inputWidth || y.length != n) {
            throw new IllegalArgumentException("dataset arrays do not match n=" + n + ", d=" + inputWidth);
        }
    }

    /** The largest label plus one. */
    public int labelBound() {
        int max = -1;
        for (int v : y) {
            max = Math.max(max, v);
        }
        return max + 1;
    }

    /** The samples at the given indices, in that order. */
    public LabeledData select(int[] indices) {
        double[] xs = new double[indices.length * inputWidth];
        int[] ys = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(x, indices[i] * inputWidth, xs, i * inputWidth, inputWidth);
            ys[i] = y[indices[i]];
        }
        return new LabeledData(indices.length, inputWidth, xs, ys);
    }
}
