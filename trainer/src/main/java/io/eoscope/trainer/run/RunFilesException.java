package io.eoscope.trainer.run;

import io.eoscope.trainer.solve.TrainingStopped;

/**
 * A file of a running run could not be written (a full disk, a directory that went away or became
 * read-only): the run stops with the path and the system's reason. Unlike a bad {@code --out} found
 * before training starts (bad input, exit 2), this is a failure of the run (exit 1, published as failed).
 */
public final class RunFilesException extends TrainingStopped {
    private static final long serialVersionUID = 1L;

    RunFilesException(String message, Throwable cause) {
        super(message);
        if (cause != null) {
            initCause(cause);
        }
    }
}
