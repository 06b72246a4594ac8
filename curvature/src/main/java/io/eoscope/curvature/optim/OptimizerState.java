package io.eoscope.curvature.optim;

/**
 * The names under which a snapshot carries an optimizer's per-parameter state: {@code optimizer.<buffer>.<parameter>}
 * with PyTorch's own buffer names, each tensor the shape and dtype of its parameter, and the number of steps taken in
 * the metadata field {@link OptimizerSettings#KEY_STEP}. Which buffers a kind has: momentum and Nesterov
 * {@link #MOMENTUM_BUFFER}; RMSprop {@link #SQUARE_AVG}; Adam and AdamW {@link #EXP_AVG} and {@link #EXP_AVG_SQ}.
 */
public final class OptimizerState {
    private OptimizerState() {}

    /** The prefix of every state tensor's name; no parameter's name starts with it. */
    public static final String PREFIX = "optimizer.";
    /** SGD's momentum buffer b. */
    public static final String MOMENTUM_BUFFER = "momentum_buffer";
    /** RMSprop's running mean of g². */
    public static final String SQUARE_AVG = "square_avg";
    /** Adam's first moment m. */
    public static final String EXP_AVG = "exp_avg";
    /** Adam's second moment v. */
    public static final String EXP_AVG_SQ = "exp_avg_sq";

    /** The tensor name of {@code buffer} for {@code parameter}. */
    public static String tensorName(String buffer, String parameter) {
        return PREFIX + buffer + "." + parameter;
    }

    /** True when a tensor name is a state tensor's. */
    public static boolean isState(String tensorName) {
        return tensorName.startsWith(PREFIX);
    }

    /** The buffers {@code kind} keeps, in a fixed order. */
    public static java.util.List<String> buffers(OptimizerKind kind) {
        switch (kind) {
            case MOMENTUM:
            case NESTEROV:
                return java.util.List.of(MOMENTUM_BUFFER);
            case RMSPROP:
                return java.util.List.of(SQUARE_AVG);
            case ADAM:
            case ADAMW:
                return java.util.List.of(EXP_AVG, EXP_AVG_SQ);
            default:
                return java.util.List.of();
        }
    }
}
