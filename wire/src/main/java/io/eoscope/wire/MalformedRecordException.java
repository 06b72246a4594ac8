package io.eoscope.wire;

/** A record that cannot be decoded: it goes to the dead-letter topic with this message as the reason. */
public final class MalformedRecordException extends Exception {
    private static final long serialVersionUID = 1L;

    /** @param reason one line saying what is wrong */
    public MalformedRecordException(String reason) {
        super(reason);
    }
}
