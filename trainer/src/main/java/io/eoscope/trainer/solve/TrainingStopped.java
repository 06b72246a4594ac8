package io.eoscope.trainer.solve;

/**
 * A run stopped for a reason that is not a bug in the trainer: by its own numbers (the loss became
 * non-finite, or with --strict exponential Euler increased it) or by its surroundings (its files could
 * not be written, its stream could not be delivered). The command line prints the message and exits
 * with status 1; a streamed run is published as {@code failed} with the message.
 */
public class TrainingStopped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what happened, at which step, and what to try */
    public TrainingStopped(String message) {
        super(message);
    }
}
