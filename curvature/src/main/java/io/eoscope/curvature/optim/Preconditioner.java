package io.eoscope.curvature.optim;

import io.eoscope.curvature.net.DifferentiableModel.ParameterGroup;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The diagonal preconditioner P of an adaptive rule at the step just taken (docs/science.md#other-optimizers), one
 * entry per parameter in the order of θ: RMSprop P = diag(√v + ε) with v its {@code square_avg}; Adam and AdamW
 * P = (1−β1ᵗ)·diag(√(v/(1−β2ᵗ)) + ε) with v their {@code exp_avg_sq} and t the steps taken. λmax(P⁻¹𝓗) is the
 * largest eigenvalue of the symmetric P^-½ 𝓗 P^-½, whose products scale by {@link #inverseSqrt()} on both sides.
 */
public final class Preconditioner {
    private final double[] diagonal;

    private Preconditioner(double[] diagonal) {
        this.diagonal = diagonal;
    }

    /**
     * P of {@code settings} from a snapshot's state.
     *
     * @param step t, the number of optimizer steps taken (metadata {@value OptimizerSettings#KEY_STEP})
     * @param state the snapshot's state tensors by their names ({@link OptimizerState#tensorName}), values row-major
     * @param parameters each parameter's name and range of θ, in the order of θ, covering it
     * @throws IllegalArgumentException naming what is wrong: a rule without a preconditioner, t = 0 for Adam (P is
     *     undefined before the first step), a state tensor missing or of the wrong size, an entry of v that is
     *     negative or not finite
     */
    public static Preconditioner of(OptimizerSettings settings, long step, Map<String, double[]> state,
            List<ParameterGroup> parameters) {
        OptimizerKind kind = settings.kind();
        if (!kind.adaptive()) {
            throw new IllegalArgumentException("--optimizer " + kind.id() + " has no preconditioner (only rmsprop, adam and adamw)");
        }
        boolean adam = kind != OptimizerKind.RMSPROP;
        if (step < 0 || adam && step == 0) {
            throw new IllegalArgumentException("field '" + OptimizerSettings.KEY_STEP + "' must be " + (adam ? "≥ 1" : "≥ 0")
                    + " for " + kind.id() + (adam ? " (its bias correction 1−β1ᵗ is 0 before the first step: P is undefined)" : "")
                    + ", got " + step);
        }
        String buffer = adam ? OptimizerState.EXP_AVG_SQ : OptimizerState.SQUARE_AVG;
        // (1−β1ᵗ) and (1−β2ᵗ) as PyTorch computes them: 1 − β^t by pow
        double first = adam ? 1 - Math.pow(settings.beta1(), step) : 1;
        double second = adam ? 1 - Math.pow(settings.beta2(), step) : 1;
        long total = parameters.isEmpty() ? 0 : parameters.get(parameters.size() - 1).to();
        double[] p = new double[Math.toIntExact(total)];
        for (ParameterGroup parameter : parameters) {
            String name = OptimizerState.tensorName(buffer, parameter.name());
            double[] v = state.get(name);
            if (v == null) {
                throw new IllegalArgumentException("no state tensor '" + name + "': " + kind.id() + " needs " + buffer
                        + " of every parameter for its preconditioner");
            }
            if (v.length != parameter.size()) {
                throw new IllegalArgumentException("state tensor '" + name + "' has " + v.length + " values, but parameter '"
                        + parameter.name() + "' has " + parameter.size());
            }
            for (int i = 0; i < v.length; i++) {
                if (!(v[i] >= 0) || !Double.isFinite(v[i])) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT,
                            "state tensor '%s' holds %s at flat index %d: a running mean of squared gradients is finite and ≥ 0",
                            name, v[i], i));
                }
                p[Math.toIntExact(parameter.from() + i)] = first * (Math.sqrt(v[i] / second) + settings.eps());
            }
        }
        return new Preconditioner(p);
    }

    /** P's diagonal in the order of θ (a copy). */
    public double[] diagonal() {
        return diagonal.clone();
    }

    /** P^-½'s diagonal in the order of θ. */
    public double[] inverseSqrt() {
        double[] d = new double[diagonal.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = 1 / Math.sqrt(diagonal[i]);
        }
        return d;
    }

    /** The dimension P. */
    public int dimension() {
        return diagonal.length;
    }
}
