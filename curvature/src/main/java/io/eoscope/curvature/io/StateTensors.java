package io.eoscope.curvature.io;

import io.eoscope.curvature.net.DifferentiableModel.ParameterGroup;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.OptimizerSnapshot;
import io.eoscope.curvature.optim.OptimizerState;
import io.eoscope.curvature.optim.Preconditioner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The optimizer state of a model or snapshot file (docs/contracts.md#model-files), validated against its parameters and
 * metadata: every state tensor is {@code optimizer.<buffer>.<parameter>} with a buffer of the file's optimizer and
 * the shape and dtype of that parameter; a buffer given for one parameter is given for all; the metadata describe the
 * optimizer ({@link OptimizerSnapshot#fromMetadata}); and an adaptive rule past its first step carries the running
 * mean of squared gradients that its preconditioner is built from.
 */
final class StateTensors {
    private static final List<String> BUFFERS = List.of(OptimizerState.MOMENTUM_BUFFER, OptimizerState.SQUARE_AVG,
            OptimizerState.EXP_AVG, OptimizerState.EXP_AVG_SQ);

    private StateTensors() {}

    /**
     * The state tensors of a file, by name, values in float64.
     *
     * @param tensors every tensor of the file (those not named {@code optimizer.*} are ignored here)
     * @param parameters the model's parameters by name, in the file's order
     * @throws InputException naming the file and the tensor or metadata field that is wrong
     */
    static Map<String, double[]> read(Map<String, Tensor> tensors, Map<String, Tensor> parameters, Map<String, String> metadata,
            String source) throws InputException {
        Map<String, double[]> state = new LinkedHashMap<>();
        Map<String, Integer> perBuffer = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (!OptimizerState.isState(name)) {
                continue;
            }
            String rest = name.substring(OptimizerState.PREFIX.length());
            String buffer = BUFFERS.stream().filter(b -> rest.startsWith(b + ".")).findFirst().orElse(null);
            Tensor parameter = buffer == null ? null : parameters.get(rest.substring(buffer.length() + 1));
            if (parameter == null) {
                throw new InputException(source + ": unexpected tensor " + Messages.quote(name) + " (optimizer state is named "
                        + "optimizer.<buffer>.<parameter>, the buffer one of " + String.join(", ", BUFFERS)
                        + " and the parameter one of the model's: " + brief(parameters.keySet()) + ")");
            }
            Tensor t = e.getValue();
            if (t.dtype() != parameter.dtype() || !Arrays.equals(t.shape(), parameter.shape())) {
                throw new InputException(source + ": tensor " + Messages.quote(name) + " is " + t.dtype() + " "
                        + Arrays.toString(t.shape()) + ", but its parameter " + Messages.quote(rest.substring(buffer.length() + 1))
                        + " is " + parameter.dtype() + " " + Arrays.toString(parameter.shape())
                        + " (a state tensor has its parameter's shape and dtype)");
            }
            state.put(name, ModelFile.finite(t, name, source));
            perBuffer.merge(buffer, 1, Integer::sum);
        }
        OptimizerSnapshot optimizer;
        try {
            optimizer = OptimizerSnapshot.fromMetadata(metadata, state);
        } catch (IllegalArgumentException e) {
            throw new InputException(source + ": metadata: " + e.getMessage().replaceFirst("^metadata: ", ""));
        }
        if (optimizer == null || !metadata.containsKey(OptimizerSettings.KEY_OPTIMIZER)) {
            if (!state.isEmpty()) {
                throw new InputException(source + ": tensor " + Messages.quote(state.keySet().iterator().next())
                        + " is optimizer state, but the metadata name no '" + OptimizerSettings.KEY_OPTIMIZER + "'");
            }
            return state;
        }
        OptimizerKind kind = optimizer.settings().kind();
        List<String> own = OptimizerState.buffers(kind);
        for (Map.Entry<String, Integer> b : perBuffer.entrySet()) {
            if (!own.contains(b.getKey())) {
                throw new InputException(source + ": tensors optimizer." + b.getKey() + ".* are not state of optimizer "
                        + kind.id() + (own.isEmpty() ? " (it keeps none)" : " (it keeps " + String.join(", ", own) + ")"));
            }
            if (b.getValue() != parameters.size()) {
                String missing = parameters.keySet().stream()
                        .map(p -> OptimizerState.tensorName(b.getKey(), p)).filter(n -> !state.containsKey(n)).findFirst().orElseThrow();
                throw new InputException(source + ": tensor " + Messages.quote(missing) + " is missing (" + b.getKey()
                        + " is given for some parameters, so it must be for all)");
            }
        }
        if (kind.adaptive()) {
            boolean adam = kind != OptimizerKind.RMSPROP;
            if (adam && optimizer.step() < 0) {
                throw new InputException(source + ": metadata has no '" + OptimizerSettings.KEY_STEP + "' (" + kind.id()
                        + "'s bias correction needs the number of steps taken)");
            }
            String needed = adam ? OptimizerState.EXP_AVG_SQ : OptimizerState.SQUARE_AVG;
            if (optimizer.step() != 0) { // before the first step PyTorch keeps no state
                if (!perBuffer.containsKey(needed)) {
                    throw new InputException(source + ": no tensors optimizer." + needed + ".<parameter>: " + kind.id()
                            + " at step " + (optimizer.step() < 0 ? "(not stated)" : optimizer.step()) + " needs " + needed
                            + " of every parameter for its preconditioner (docs/science.md#other-optimizers)");
                }
                try {
                    Preconditioner.of(optimizer.settings(), Math.max(optimizer.step(), 0), state, ranges(parameters));
                } catch (IllegalArgumentException e) {
                    throw new InputException(source + ": " + e.getMessage());
                }
            }
        }
        return state;
    }

    /** Each parameter's name and range in the file's order (a range of the file's order, enough to validate P). */
    private static List<ParameterGroup> ranges(Map<String, Tensor> parameters) {
        List<ParameterGroup> out = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Tensor> p : parameters.entrySet()) {
            long size = Arrays.stream(p.getValue().shape()).reduce(1, Math::multiplyExact);
            out.add(new ParameterGroup(p.getKey(), offset, offset + size));
            offset += size;
        }
        return out;
    }

    private static String brief(java.util.Collection<String> names) {
        List<String> some = names.stream().limit(6).toList();
        return String.join(", ", some) + (names.size() > some.size() ? ", …" : "");
    }
}
