package io.eoscope.curvature.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor of a safetensors file: element type, shape and little-endian raw data.
 *
 * @param dtype element type
 * @param shape dimensions (empty for a scalar)
 * @param data little-endian values, row-major
 */
public record Tensor(DType dtype, long[] shape, byte[] data) {

    /** Checks that the data holds exactly the elements of the shape. */
    public Tensor {
        shape = shape.clone();
        if (data.length != elements(shape) * dtype.size()) {
            throw new IllegalArgumentException("tensor data has " + data.length + " bytes, shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + elements(shape) * dtype.size());
        }
    }

    /** The number of elements of a shape. */
    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Float values (F32 or F64) as float64. */
    public double[] toDoubles() {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        double[] out = new double[Math.toIntExact(elements(shape))];
        for (int i = 0; i < out.length; i++) {
            switch (dtype) {
                case F64: out[i] = b.getDouble(); break;
                case F32: out[i] = b.getFloat(); break;
                default: throw new IllegalStateException(dtype + " is not a float type");
            }
        }
        return out;
    }

    /** Integer values (I32 or I64). */
    public long[] toLongs() {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[Math.toIntExact(elements(shape))];
        for (int i = 0; i < out.length; i++) {
            switch (dtype) {
                case I64: out[i] = b.getLong(); break;
                case I32: out[i] = b.getInt(); break;
                default: throw new IllegalStateException(dtype + " is not an integer type");
            }
        }
        return out;
    }

    /** A float tensor (F32 or F64) from float64 values. */
    public static Tensor ofDoubles(DType dtype, long[] shape, double[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            switch (dtype) {
                case F64: b.putDouble(v); break;
                case F32: b.putFloat((float) v); break;
                default: throw new IllegalArgumentException(dtype + " is not a float type");
            }
        }
        return new Tensor(dtype, shape, b.array());
    }

    /** An integer tensor (I32 or I64). */
    public static Tensor ofLongs(DType dtype, long[] shape, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (dtype) {
                case I64: b.putLong(v); break;
                case I32: b.putInt(Math.toIntExact(v)); break;
                default: throw new IllegalArgumentException(dtype + " is not an integer type");
            }
        }
        return new Tensor(dtype, shape, b.array());
    }
}
