package io.eoscope.curvature.net;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * The floating-point precision an analysis computes in. {@link #AUTO} is float64 for an MLP (exact numbers, and
 * cheap on the tangent route) and, for a TorchScript module, the precision of the snapshot's parameters (float32
 * for a model trained in float32, as most are: libtorch's float64 convolutions are several times slower).
 *
 * <p>A TorchScript module computes in the precision it was traced in, so a snapshot names one module per
 * precision: {@code module} (traced in float64) and, from clients that trace both, {@code module_float32}.
 */
public enum Precision {
    /** float64 for MLPs, the snapshot's own precision for TorchScript modules. */
    AUTO("auto"),
    /** float32. */
    FLOAT32("float32"),
    /** float64. */
    FLOAT64("float64");

    private final String id;

    Precision(String id) {
        this.id = id;
    }

    /** {@code auto}, {@code float32} or {@code float64}. */
    public String id() {
        return id;
    }

    /**
     * Parses an option's value.
     *
     * @param option names the option in the error, for example {@code --dtype}
     * @throws IllegalArgumentException naming the option and the values it takes
     */
    public static Precision parse(String text, String option) {
        for (Precision p : values()) {
            if (p.id.equals(String.valueOf(text).trim().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException(option + " must be auto, float32 or float64, got '" + text + "'");
    }

    /** The DJL type of an explicit precision; {@link #AUTO} has none. */
    public DataType dataType() {
        return switch (this) {
            case FLOAT32 -> DataType.FLOAT32;
            case FLOAT64 -> DataType.FLOAT64;
            case AUTO -> throw new IllegalStateException("auto is resolved per model");
        };
    }

    /**
     * The precision {@code state} is analysed in: an explicit one as it is; {@link #AUTO} float64 for an MLP and, for a
     * TorchScript snapshot, its parameters' precision when a module traced in it is named (else float64, the one
     * every snapshot names).
     */
    public DataType resolve(ModelState state) {
        if (this != AUTO) {
            return dataType();
        }
        if (state instanceof ScriptedParameters s) {
            return s.valueType() == DataType.FLOAT32 && s.moduleFloat32() != null ? DataType.FLOAT32 : DataType.FLOAT64;
        }
        return DataType.FLOAT64;
    }

    /**
     * The content hash of the module that analyses {@code state} in this precision.
     *
     * @throws IllegalArgumentException when the snapshot names no module traced in the precision asked for
     */
    public String module(ScriptedParameters state) {
        DataType type = resolve(state);
        if (type == DataType.FLOAT64) {
            return state.module();
        }
        if (state.moduleFloat32() == null) {
            throw new IllegalArgumentException("the analysis precision is float32 but the snapshot names no module traced "
                    + "in float32 (metadata 'module_float32'; eoscope's Python client publishes one since it traces both): "
                    + "analyse it in float64 or auto");
        }
        return state.moduleFloat32();
    }
}
