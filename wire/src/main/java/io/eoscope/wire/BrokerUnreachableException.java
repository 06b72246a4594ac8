package io.eoscope.wire;

/**
 * The Kafka cluster did not answer within the time a command gives it at start (or refused the client): the
 * message names the bootstrap servers and the time waited. Not an internal failure and not bad input: the
 * cluster may be down, or {@code --bootstrap-servers} may name the wrong one.
 */
public final class BrokerUnreachableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message one line naming the bootstrap servers and what failed */
    public BrokerUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
