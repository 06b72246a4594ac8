package io.eoscope.curvature.io;

import java.util.Optional;

/**
 * The element types of the safetensors format, with their sizes in bytes.
 *
 * <p>Every type of the format can be read and written by {@link Safetensors}; the model and dataset
 * layers accept only the ones eoscope computes with: {@link #F32} and {@link #F64} for real values,
 * {@link #I32} and {@link #I64} for labels.
 */
public enum DType {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private final int size;

    DType(int size) {
        this.size = size;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** True for {@link #F32} and {@link #F64}, the types {@link Tensor#toDoubles()} reads. */
    public boolean holdsDoubles() {
        return this == F32 || this == F64;
    }

    /** True for {@link #I32} and {@link #I64}, the types {@link Tensor#toLongs()} reads. */
    public boolean holdsLongs() {
        return this == I32 || this == I64;
    }

    /** The type with this exact name as it appears in a header ({@code "F32"}, …), if there is one. */
    public static Optional<DType> fromHeaderName(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
