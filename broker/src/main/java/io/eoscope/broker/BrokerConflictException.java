package io.eoscope.broker;

/**
 * The broker cannot start where it was asked to: its data directory is in use by another running broker, or one of
 * its ports is taken. The message is one line naming the option ({@code --data-dir}, {@code --port},
 * {@code --controller-port}) and the conflict; the command line prints it and exits with status 2.
 */
public final class BrokerConflictException extends Exception {
    private static final long serialVersionUID = 1L;

    /** @param message one line naming the option and what holds it */
    public BrokerConflictException(String message) {
        super(message);
    }
}
