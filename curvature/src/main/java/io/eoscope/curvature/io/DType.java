package io.eoscope.curvature.io;

/** The safetensors element types this project reads and writes, with their sizes in bytes. */
public enum DType {
    F64(8), F32(4), I64(8), I32(4);

    private final int size;

    DType(int size) {
        this.size = size;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** True for F32 and F64. */
    public boolean isFloat() {
        return this == F32 || this == F64;
    }
}
