package io.eoscope.trainer.solve;

/**
 * A run stopped by its own numbers, not by a bug: the loss became non-finite, or (with --strict)
 * exponential Euler increased it. The command line prints the message and exits with status 1.
 */
public class TrainingStopped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what happened, at which step, and what to try */
    public TrainingStopped(String message) {
        super(message);
    }
}
