package io.eoscope.trainer.solve;

/**
 * One row of the trajectory: the state before step {@code step} and the step taken from it.
 *
 * @param step u, 0-based
 * @param time continuous time t before the step
 * @param loss L̃(θ_u), over the whole training set (mini-batch runs included)
 * @param accuracy fraction of training samples classified correctly at θ_u
 * @param stepSize η_u (GD, adaptive GD) or Δt (exponential Euler)
 * @param sharpness λ_max(𝓗) at θ_u where the solver computed it, NaN otherwise
 * @param products Hessian-vector products spent on the step
 * @param stability the run's stability quantity at θ_u (docs/science.md#other-optimizers: λ_max(𝓗) for full-batch
 *     gd, momentum and Nesterov and for the other solvers), NaN where it was not computed
 * @param stabilityThreshold the quantity's threshold at the step (the optimizer's; 2/η_u for adaptive GD and
 *     exponential Euler), NaN where no step was taken
 * @param epoch the epoch (0-based) of a mini-batch step, −1 for a full-batch run
 */
public record StepRecord(long step, double time, double loss, double accuracy, double stepSize, double sharpness,
        long products, double stability, double stabilityThreshold, long epoch) {

    /** A full-batch row without a stability value. */
    public StepRecord(long step, double time, double loss, double accuracy, double stepSize, double sharpness,
            long products) {
        this(step, time, loss, accuracy, stepSize, sharpness, products, Double.NaN, Double.NaN, -1);
    }

    /** stability ÷ threshold, 1 at the edge; NaN where either is unknown. */
    public double stabilityRatio() {
        return stability / stabilityThreshold;
    }
}
