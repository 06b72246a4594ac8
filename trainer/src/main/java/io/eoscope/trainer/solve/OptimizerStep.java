package io.eoscope.trainer.solve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.OptimizerState;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The update rules of {@code torch.optim} (docs/science.md#other-optimizers) on the flat parameter vector θ, in the
 * order of operations of PyTorch's single-tensor implementations, so that a run equals PyTorch's to rounding:
 * <ul>
 * <li>gd: θ ← θ − η g;</li>
 * <li>momentum (SGD, dampening 0): b ← g on the first step, b ← βb + g after; θ ← θ − η b;</li>
 * <li>nesterov: b as momentum; θ ← θ − η (g + βb);</li>
 * <li>rmsprop (alpha β2, not centred, no momentum): v ← β2 v + (1−β2) g²; θ ← θ − η g/(√v + ε);</li>
 * <li>adam (no amsgrad): t ← t + 1; m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
 *     θ ← θ − (η/(1−β1ᵗ)) m/(√v/√(1−β2ᵗ) + ε);</li>
 * <li>adamw: θ ← θ(1 − ηλ), then Adam's step.</li>
 * </ul>
 * Holds the state buffers ({@link OptimizerState#buffers}) as flat vectors of θ's length and dtype on θ's device, and
 * the number of steps taken t. Plain DJL: no I/O.
 */
public final class OptimizerStep implements AutoCloseable {
    private final OptimizerSettings settings;
    private final NDManager manager;
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();
    private long steps;

    /**
     * @param parent the manager (device) the buffers live on
     * @param steps the steps already taken (0 for a new run)
     * @param state the buffers of a resumed run by {@link OptimizerState} buffer name, flat, in θ's dtype (copied), or
     *     an empty map to start from zeros
     * @throws IllegalArgumentException when {@code state} is not empty and lacks a buffer the kind keeps
     */
    public OptimizerStep(OptimizerSettings settings, NDManager parent, long steps, Map<String, NDArray> state) {
        this.settings = settings;
        this.manager = parent.newSubManager();
        this.steps = steps;
        if (!state.isEmpty()) {
            for (String name : OptimizerState.buffers(settings.kind())) {
                NDArray b = state.get(name);
                if (b == null) {
                    throw new IllegalArgumentException("the optimizer state has no " + name + " for " + settings.kind().id());
                }
                keep(name, b.duplicate());
            }
        }
    }

    /**
     * Takes one step from θ with gradient g: updates the buffers and t, and returns the new θ (in the caller's
     * {@link NDScope}; θ and g are not changed).
     */
    public NDArray apply(NDArray theta, NDArray gradient) {
        double lr = settings.lr();
        NDArray next;
        switch (settings.kind()) {
            case GD:
                next = theta.sub(gradient.mul(lr));
                break;
            case MOMENTUM:
            case NESTEROV: {
                NDArray b = momentumBuffer(gradient);
                NDArray direction = settings.kind() == io.eoscope.curvature.optim.OptimizerKind.NESTEROV
                        ? gradient.add(b.mul(settings.momentum())) : b;
                next = theta.sub(direction.mul(lr));
                break;
            }
            case RMSPROP: {
                NDArray v = buffer(OptimizerState.SQUARE_AVG, gradient).mul(settings.beta2())
                        .add(gradient.mul(gradient).mul(1 - settings.beta2()));
                keep(OptimizerState.SQUARE_AVG, v);
                NDArray avg = v.sqrt().add(settings.eps());
                next = theta.sub(gradient.div(avg).mul(lr));
                break;
            }
            default: { // Adam, AdamW
                long t = steps + 1;
                NDArray start = settings.kind() == io.eoscope.curvature.optim.OptimizerKind.ADAMW
                        ? theta.mul(1 - lr * settings.weightDecay()) : theta;
                NDArray m = buffer(OptimizerState.EXP_AVG, gradient).mul(settings.beta1())
                        .add(gradient.mul(1 - settings.beta1()));
                NDArray v = buffer(OptimizerState.EXP_AVG_SQ, gradient).mul(settings.beta2())
                        .add(gradient.mul(gradient).mul(1 - settings.beta2()));
                keep(OptimizerState.EXP_AVG, m);
                keep(OptimizerState.EXP_AVG_SQ, v);
                double stepSize = lr / (1 - Math.pow(settings.beta1(), t));
                double correction2Sqrt = Math.sqrt(1 - Math.pow(settings.beta2(), t));
                NDArray denominator = v.sqrt().div(correction2Sqrt).add(settings.eps());
                next = start.sub(m.div(denominator).mul(stepSize));
            }
        }
        steps++;
        return next;
    }

    /** PyTorch's SGD: the buffer is a copy of g on the first step, βb + g after (dampening 0). */
    private NDArray momentumBuffer(NDArray gradient) {
        NDArray old = buffers.get(OptimizerState.MOMENTUM_BUFFER);
        NDArray b = steps == 0 || old == null ? gradient.duplicate() : old.mul(settings.momentum()).add(gradient);
        keep(OptimizerState.MOMENTUM_BUFFER, b);
        return b;
    }

    /** A buffer, zeros like g when it does not exist yet (as PyTorch starts RMSprop's and Adam's). */
    private NDArray buffer(String name, NDArray like) {
        NDArray b = buffers.get(name);
        return b != null ? b : like.zerosLike();
    }

    /** Makes {@code value} the buffer {@code name}, owned by this object (out of any scope), closing the old one. */
    private void keep(String name, NDArray value) {
        NDScope.unregister(value);
        value.attach(manager);
        NDArray old = buffers.put(name, value);
        if (old != null && old != value) {
            old.close();
        }
    }

    /** The steps taken t (PyTorch's {@code state['step']}), a resumed run's included. */
    public long steps() {
        return steps;
    }

    /**
     * The state buffers written so far by {@link OptimizerState} buffer name, flat, in θ's dtype (before the first step
     * a buffer that PyTorch starts at zeros, or creates on the first step, is absent: read it as zeros). Owned by this
     * object: read them, do not close them.
     */
    public Map<String, NDArray> buffers() {
        return java.util.Collections.unmodifiableMap(buffers);
    }

    /** The settings. */
    public OptimizerSettings settings() {
        return settings;
    }

    @Override
    public void close() {
        manager.close();
    }
}
