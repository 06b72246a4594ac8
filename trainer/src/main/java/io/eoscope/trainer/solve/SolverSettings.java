package io.eoscope.trainer.solve;

/**
 * How a run steps. Validated on construction; messages name the option.
 *
 * @param kind the solver
 * @param learningRate η of GD (ignored by the others)
 * @param etaMax η_max of adaptive GD and exponential Euler (default 0.01, docs/science.md#solvers)
 * @param warmupSteps steps that use the warm-up factor
 * @param warmupFactor s during the warm-up steps (1 afterwards)
 * @param tolerance relative tolerance of the per-step eigen-solves
 * @param sharpnessEvery GD only: compute the sharpness every this many steps (0: never)
 * @param seed seed of the eigen-solvers' start vectors
 */
public record SolverSettings(SolverKind kind, double learningRate, double etaMax, int warmupSteps, double warmupFactor,
        double tolerance, int sharpnessEvery, long seed) {

    /** Validates. */
    public SolverSettings {
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("--lr must be a positive number, got " + learningRate);
        }
        if (!(etaMax > 0) || !Double.isFinite(etaMax)) {
            throw new IllegalArgumentException("--eta-max must be a positive number, got " + etaMax);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("--warmup-steps must be ≥ 0, got " + warmupSteps);
        }
        if (!(warmupFactor > 0 && warmupFactor <= 1)) {
            throw new IllegalArgumentException("--warmup-factor must be in (0, 1], got " + warmupFactor);
        }
        if (!(tolerance > 0 && tolerance < 1)) {
            throw new IllegalArgumentException("--tol must be in (0, 1), got " + tolerance);
        }
        if (sharpnessEvery < 0) {
            throw new IllegalArgumentException("--sharpness-every must be ≥ 0, got " + sharpnessEvery);
        }
    }

    /** s at step u (0-based). */
    public double warmup(long step) {
        return step < warmupSteps ? warmupFactor : 1.0;
    }
}
