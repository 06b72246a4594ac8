package io.eoscope.curvature.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor of a safetensors file: element type, shape and raw little-endian row-major data.
 * Immutable: the arrays are copied on the way in and on the way out, and {@link #equals} compares
 * contents.
 *
 * @param dtype element type
 * @param shape dimensions, each non-negative (empty for a scalar)
 * @param data exactly {@code elements(shape) * dtype.size()} bytes, little-endian, row-major
 */
public record Tensor(DType dtype, long[] shape, byte[] data) {

    /**
     * Copies the arrays and checks that the data holds exactly the elements of the shape.
     *
     * @throws IllegalArgumentException if a dimension is negative or the sizes disagree
     */
    public Tensor {
        if (dtype == null || shape == null || data == null) {
            throw new NullPointerException("dtype, shape and data must not be null");
        }
        shape = shape.clone();
        long bytes = bytes(dtype, shape);
        if (data.length != bytes) {
            throw new IllegalArgumentException("tensor data has " + data.length + " bytes, but shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + bytes);
        }
        data = data.clone();
    }

    /** The dimensions (a copy). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The raw little-endian data (a copy; see {@link #buffer()} for a view without copying). */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /** A read-only little-endian view of the data. */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    /** The number of elements (the product of the shape; 1 for a scalar). */
    public long elements() {
        return elements(shape);
    }

    /**
     * The number of elements of a shape.
     *
     * @throws IllegalArgumentException if a dimension is negative
     * @throws ArithmeticException if the product overflows a long
     */
    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * The number of data bytes of a shape.
     *
     * @throws ArithmeticException if it overflows a long
     */
    static long bytes(DType dtype, long[] shape) {
        return Math.multiplyExact(elements(shape), (long) dtype.size());
    }

    /**
     * The values as float64, exactly (F32 widens without rounding).
     *
     * @throws IllegalStateException if the type is not F32 or F64
     */
    public double[] toDoubles() {
        if (!dtype.holdsDoubles()) {
            throw new IllegalStateException(dtype + " tensor cannot be read as F32/F64 values");
        }
        ByteBuffer b = buffer();
        double[] out = new double[data.length / dtype.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = dtype == DType.F64 ? b.getDouble() : b.getFloat();
        }
        return out;
    }

    /**
     * The values as longs.
     *
     * @throws IllegalStateException if the type is not I32 or I64
     */
    public long[] toLongs() {
        if (!dtype.holdsLongs()) {
            throw new IllegalStateException(dtype + " tensor cannot be read as I32/I64 values");
        }
        ByteBuffer b = buffer();
        long[] out = new long[data.length / dtype.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = dtype == DType.I64 ? b.getLong() : b.getInt();
        }
        return out;
    }

    /**
     * An F32 or F64 tensor. F32 rounds each value to the nearest float.
     *
     * @throws IllegalArgumentException if the type is not F32/F64 or the count does not match the shape
     */
    public static Tensor ofDoubles(DType dtype, long[] shape, double[] values) {
        if (!dtype.holdsDoubles()) {
            throw new IllegalArgumentException(dtype + " is not F32 or F64");
        }
        checkCount(shape, values.length);
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            if (dtype == DType.F64) {
                b.putDouble(v);
            } else {
                b.putFloat((float) v);
            }
        }
        return new Tensor(dtype, shape, b.array());
    }

    /**
     * An I32 or I64 tensor.
     *
     * @throws IllegalArgumentException if the type is not I32/I64, the count does not match the
     *     shape, or a value does not fit I32
     */
    public static Tensor ofLongs(DType dtype, long[] shape, long[] values) {
        if (!dtype.holdsLongs()) {
            throw new IllegalArgumentException(dtype + " is not I32 or I64");
        }
        checkCount(shape, values.length);
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            if (dtype == DType.I64) {
                b.putLong(values[i]);
            } else if (values[i] == (int) values[i]) {
                b.putInt((int) values[i]);
            } else {
                throw new IllegalArgumentException("value " + values[i] + " at index " + i + " does not fit I32");
            }
        }
        return new Tensor(dtype, shape, b.array());
    }

    private static void checkCount(long[] shape, int count) {
        if (elements(shape) != count) {
            throw new IllegalArgumentException(count + " values do not fill shape " + Arrays.toString(shape));
        }
    }

    /** Same type, shape and bytes. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && dtype == t.dtype && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
    }

    /** Type and shape, for example {@code F32[6, 4]}. */
    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
