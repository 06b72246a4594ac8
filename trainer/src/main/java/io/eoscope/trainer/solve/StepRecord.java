package io.eoscope.trainer.solve;

/**
 * One row of the trajectory: the state before step {@code step} and the step taken from it.
 *
 * @param step u, 0-based
 * @param time continuous time t before the step
 * @param loss L̃(θ_u)
 * @param accuracy fraction of training samples classified correctly at θ_u
 * @param stepSize η_u (GD, adaptive GD) or Δt (exponential Euler)
 * @param sharpness λ_max(𝓗) at θ_u where the solver computed it, NaN otherwise
 * @param products Hessian-vector products spent on the step
 */
public record StepRecord(long step, double time, double loss, double accuracy, double stepSize, double sharpness,
        long products) {}
