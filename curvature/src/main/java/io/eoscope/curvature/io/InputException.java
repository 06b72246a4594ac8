package io.eoscope.curvature.io;

/**
 * Bad user input: a file that cannot be read or does not hold what it should. The message is one
 * line that names the file and the problem; the command line prints it and exits with status 2.
 */
public class InputException extends Exception {
    private static final long serialVersionUID = 1L;

    /** @param message one line naming the file (or option) and the problem */
    public InputException(String message) {
        super(message);
    }

    /**
     * @param message one line naming the file and the problem
     * @param cause the underlying failure
     */
    public InputException(String message, Throwable cause) {
        super(message, cause);
    }
}
