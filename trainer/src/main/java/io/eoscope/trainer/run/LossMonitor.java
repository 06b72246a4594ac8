package io.eoscope.trainer.run;

import java.util.Locale;
import java.util.Optional;

/**
 * Watches the loss of an exponential-Euler run, which follows the gradient flow and so must never
 * increase it (docs/science.md#solvers): an increase is a warning, or with {@code strict} stops the run.
 */
final class LossMonitor {
    private final boolean strict;
    private double previous = Double.NaN;

    LossMonitor(boolean strict) {
        this.strict = strict;
    }

    /**
     * Records the loss at {@code step}; returns the warning when it rose since the previous step.
     *
     * @throws TrainingRun.LossIncreased when it rose and the monitor is strict
     */
    Optional<String> observe(long step, double loss) {
        double before = previous;
        previous = loss;
        if (!(loss > before)) {
            return Optional.empty();
        }
        String message = String.format(Locale.ROOT, "the loss increased under exponential Euler at step %d (%.6g -> %.6g)",
                step, before, loss);
        if (strict) {
            throw new TrainingRun.LossIncreased(message + "; stopped by --strict");
        }
        return Optional.of(message);
    }
}
