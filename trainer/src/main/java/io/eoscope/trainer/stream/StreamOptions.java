package io.eoscope.trainer.stream;

import io.eoscope.wire.KafkaSettings;
import java.time.Duration;

/**
 * How the trainer streams: how long one record may take to reach the broker before the run stops
 * ({@code --delivery-timeout-seconds}), and how often it says it is alive between steps
 * ({@code --heartbeat-seconds}; the gateway marks a running run silent for more than 60 s as stale).
 *
 * @param deliveryTimeout a record not acknowledged within this is lost, and a lost record stops the run
 * @param heartbeat the interval of the heartbeat records on the telemetry topic
 */
public record StreamOptions(Duration deliveryTimeout, Duration heartbeat) {
    /** --delivery-timeout-seconds default. */
    public static final int DEFAULT_DELIVERY_TIMEOUT_SECONDS = 120;
    /** --heartbeat-seconds default. */
    public static final int DEFAULT_HEARTBEAT_SECONDS = 10;
    /** The longest heartbeat interval: it must stay well under the gateway's 60 s staleness bound. */
    public static final int MAX_HEARTBEAT_SECONDS = 30;
    /** The defaults. */
    public static final StreamOptions DEFAULTS = ofSeconds(DEFAULT_DELIVERY_TIMEOUT_SECONDS, DEFAULT_HEARTBEAT_SECONDS);

    /** Validates; messages name the option. */
    public StreamOptions {
        if (deliveryTimeout == null || deliveryTimeout.compareTo(KafkaSettings.MIN_DELIVERY_TIMEOUT) < 0
                || deliveryTimeout.toSeconds() > 86_400) {
            throw new IllegalArgumentException("--delivery-timeout-seconds must be between "
                    + KafkaSettings.MIN_DELIVERY_TIMEOUT.toSeconds() + " and 86400, got "
                    + (deliveryTimeout == null ? null : deliveryTimeout.toSeconds()));
        }
        if (heartbeat == null || heartbeat.isNegative() || heartbeat.isZero() || heartbeat.toSeconds() > MAX_HEARTBEAT_SECONDS) {
            throw new IllegalArgumentException("--heartbeat-seconds must be between 1 and " + MAX_HEARTBEAT_SECONDS
                    + " (the gateway marks a run silent for 60 s as stale), got " + (heartbeat == null ? null : heartbeat.toSeconds()));
        }
    }

    /** From the command line's whole seconds. */
    public static StreamOptions ofSeconds(long deliveryTimeoutSeconds, long heartbeatSeconds) {
        return new StreamOptions(Duration.ofSeconds(deliveryTimeoutSeconds), Duration.ofSeconds(heartbeatSeconds));
    }
}
