package io.eoscope.trainer.stream;

import io.eoscope.trainer.solve.TrainingStopped;

/**
 * Records of a streamed run failed for good (the broker did not acknowledge them within the delivery
 * timeout, or refused them): the run stops, since its stream can no longer be trusted to be complete.
 */
public final class DeliveryFailedException extends TrainingStopped {
    private static final long serialVersionUID = 1L;
    private final long lost;

    DeliveryFailedException(long lost, String message, Throwable cause) {
        super(message);
        this.lost = lost;
        if (cause != null) {
            initCause(cause);
        }
    }

    /** How many records were lost. */
    public long lost() {
        return lost;
    }
}
