package io.eoscope.analyzer;

/**
 * A dataset (or TorchScript module) on the {@code datasets} topic is there but cannot be used: its chunks fail their
 * CRC, its bytes do not match its hash or do not decode (it is corrupt), or it is over the bound on bytes. The
 * {@link DatasetStore} dead-lettered its record with the reason; a snapshot that needs it is dead-lettered saying so
 * (never as "not in the topic").
 */
public final class UnusablePayloadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param what {@code dataset} or {@code TorchScript module}, with its hash and topic; @param reason why it cannot be used */
    UnusablePayloadException(String what, String reason) {
        super(what + " cannot be used: " + reason);
    }
}
