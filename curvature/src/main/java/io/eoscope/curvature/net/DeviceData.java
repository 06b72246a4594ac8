package io.eoscope.curvature.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A labelled dataset on a device: inputs [N, d] and one-hot targets [N, C] in the network's
 * precision, cut into chunks of at most {@code chunkSize} samples for every whole-dataset sum.
 */
public final class DeviceData implements AutoCloseable {
    private final NDManager manager;
    private final NDArray x;
    private final NDArray oneHot;
    private final int n;
    private final int chunkSize;

    private DeviceData(NDManager manager, NDArray x, NDArray oneHot, int chunkSize) {
        this.manager = manager;
        this.x = x;
        this.oneHot = oneHot;
        this.n = (int) x.getShape().get(0);
        this.chunkSize = chunkSize;
    }

    /** Uploads {@code data} with {@code classes} one-hot columns into a child manager of {@code parent}. */
    public static DeviceData upload(LabeledData data, int classes, NDManager parent, DataType dataType, int chunkSize) {
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunk size must be positive");
        }
        NDManager manager = parent.newSubManager();
        NDArray x = HostArrays.upload(manager, data.x(), new Shape(data.n(), data.inputWidth()), dataType);
        double[] hot = new double[data.n() * classes];
        for (int i = 0; i < data.n(); i++) {
            hot[i * classes + data.y()[i]] = 1;
        }
        NDArray oneHot = HostArrays.upload(manager, hot, new Shape(data.n(), classes), dataType);
        NDScope.unregister(x);
        NDScope.unregister(oneHot); // owned by this object, not by the caller's scope
        return new DeviceData(manager, x, oneHot, chunkSize);
    }

    /**
     * The samples at {@code indices} (a mini-batch), copied on the device into a new dataset with this one's chunk
     * size, owned by a child of this dataset's manager: close it when done.
     *
     * @throws IllegalArgumentException when there is no index or one is outside 0..N−1
     */
    public DeviceData select(int[] indices) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("a selection needs at least one sample");
        }
        long[] idx = new long[indices.length];
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= n) {
                throw new IllegalArgumentException("sample index " + indices[i] + " is outside 0.." + (n - 1));
            }
            idx[i] = indices[i];
        }
        NDManager sub = manager.newSubManager();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray rows = sub.create(idx);
            NDArray xs = x.get(new NDIndex("{}", rows));
            NDArray hot = oneHot.get(new NDIndex("{}", rows));
            NDScope.unregister(xs);
            NDScope.unregister(hot); // owned by the new dataset
            xs.attach(sub);
            hot.attach(sub);
            return new DeviceData(sub, xs, hot, chunkSize);
        }
    }

    /** N. */
    public int size() {
        return n;
    }

    /** Number of chunks. */
    public int chunks() {
        return (n + chunkSize - 1) / chunkSize;
    }

    /** Inputs of chunk {@code c} (a new array owned by the caller's scope). */
    public NDArray inputs(int c) {
        return x.get(range(c));
    }

    /** One-hot targets of chunk {@code c}. */
    public NDArray targets(int c) {
        return oneHot.get(range(c));
    }

    /**
     * The samples at {@code indices}, in that order (a mini-batch), gathered on the device into a new dataset with
     * this one's chunk size, in a new child manager of this one's parent; the caller closes it.
     */
    public DeviceData rows(int[] indices) {
        NDManager sub = manager.getParentManager().newSubManager();
        long[] at = new long[indices.length];
        for (int i = 0; i < at.length; i++) {
            if (indices[i] < 0 || indices[i] >= n) {
                sub.close();
                throw new IndexOutOfBoundsException("sample " + indices[i] + " of " + n);
            }
            at[i] = indices[i];
        }
        try (NDScope scope = new NDScope(); NDArray index = manager.create(at)) {
            scope.suppressNotUsedWarning();
            NDArray xs = x.get(index); // advanced indexing copies: nothing refers to index afterwards
            NDArray ys = oneHot.get(index);
            for (NDArray a : new NDArray[] {xs, ys}) {
                NDScope.unregister(a);
                a.attach(sub);
            }
            return new DeviceData(sub, xs, ys, chunkSize);
        }
    }

    /** All inputs (owned by this object). */
    public NDArray inputs() {
        return x;
    }

    /** All one-hot targets (owned by this object). */
    public NDArray targets() {
        return oneHot;
    }

    private String range(int c) {
        int from = c * chunkSize;
        return from + ":" + Math.min(n, from + chunkSize);
    }

    @Override
    public void close() {
        manager.close();
    }
}
