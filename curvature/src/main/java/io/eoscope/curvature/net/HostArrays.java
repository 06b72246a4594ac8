package io.eoscope.curvature.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The one place where values cross between Java arrays and native arrays, so that every native array
 * owns its memory and nothing converted is left behind.
 *
 * <p>Why: DJL's {@code manager.create(double[])} makes a tensor over a direct buffer that only the
 * returned Java object keeps alive ({@code from_blob}); any view of it (a slice, a reshape, or
 * {@code toType(sameType, true)}, which ends in libtorch's {@code to(copy=false)}) reads freed memory
 * once that object is closed and the buffer collected. And {@code toType(FLOAT64, false)} on a float32
 * array makes a new array in the source's manager that lives as long as that manager, a leak when the
 * manager is long-lived.
 */
public final class HostArrays {
    private HostArrays() {}

    /**
     * A new array of {@code type} with the given values that owns its native memory (never a view of a
     * Java buffer), attached to {@code manager} and registered with the caller's {@link NDScope} like any
     * other new array.
     */
    public static NDArray upload(NDManager manager, double[] values, Shape shape, DataType type) {
        NDArray blob = manager.create(values, shape);
        NDScope.unregister(blob);
        try {
            // toType to another type copies; to the same type it returns blob itself, so copy explicitly
            return type == DataType.FLOAT64 ? blob.duplicate() : blob.toType(type, false);
        } finally {
            blob.close();
        }
    }

    /**
     * A float64 scalar that owns its memory, for arithmetic inside a differentiated graph.
     *
     * <p>Why: DJL's {@code mul(Number)} (and add, sub, div) wraps the number in a temporary array over a
     * direct buffer and closes it as soon as the operation returns; autograd keeps that array in the
     * graph (the backward of x·c needs c) and reads it at backward time, by then possibly freed by the
     * garbage collector and reused: a gradient scaled by whatever the memory holds (0 after a new direct
     * buffer is zero-filled there). So a number never enters a graph except through this method; the
     * result is registered with the caller's {@link NDScope}, which must outlive the backward pass.
     */
    public static NDArray constant(NDManager manager, double value) {
        return upload(manager, new double[] {value}, new Shape(), DataType.FLOAT64);
    }

    /**
     * The values of {@code a} as doubles, row-major. The bytes are copied into the Java heap in one
     * native call (no direct buffer over native memory escapes, and nothing is left in {@code a}'s
     * manager); a float64 copy made on the way for another precision is freed at once.
     */
    public static double[] download(NDArray a) {
        if (a.getDataType() == DataType.FLOAT64) {
            return doubles(a);
        }
        try (NDArray converted = a.toType(DataType.FLOAT64, false)) {
            NDScope.unregister(converted);
            return doubles(converted);
        }
    }

    private static double[] doubles(NDArray float64) {
        java.nio.DoubleBuffer buffer = float64.toByteBuffer(false).asDoubleBuffer();
        double[] out = new double[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    /** The value of a one-element array as a double. */
    public static double scalar(NDArray a) {
        double[] v = download(a);
        if (v.length != 1) {
            throw new IllegalArgumentException("expected one element, got " + v.length);
        }
        return v[0];
    }
}
