package io.eoscope.wire;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * How a service reaches Kafka: bootstrap servers, topic prefix and client properties passed through
 * untouched (TLS, SASL, …: {@code --kafka-property security.protocol=SASL_SSL}). Producers are
 * idempotent with {@code acks=all}; their send buffer is bounded ({@code buffer.memory}), so a slow or
 * absent broker blocks the sender ({@code max.block.ms}) instead of growing memory. Every producer gives up
 * on a record after a bounded delivery time: {@link #producer(String)} after {@link #DEFAULT_DELIVERY_TIMEOUT}
 * (or the client property {@code delivery.timeout.ms}), {@link #producer(String, Duration)} after the caller's
 * (the trainer's {@code --delivery-timeout-seconds}), so that a long broker outage is reported, never waited
 * for without end.
 *
 * @param bootstrapServers host:port list
 * @param topics topic names
 * @param clientProperties extra Kafka client properties, applied last
 */
public record KafkaSettings(String bootstrapServers, Topics topics, Map<String, String> clientProperties) {
    /** Bounded producer buffer: 64 MB. */
    public static final long BUFFER_BYTES = 64L << 20;

    /** Validates; messages name the option. */
    public KafkaSettings {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("--bootstrap-servers is required (host:port[,host:port…])");
        }
        clientProperties = Map.copyOf(clientProperties);
        deliveryTimeoutOf(clientProperties); // a bad delivery.timeout.ms is the user's option, named at start
    }

    /** The shortest delivery timeout {@link #producer(String, Duration)} accepts. */
    public static final Duration MIN_DELIVERY_TIMEOUT = Duration.ofSeconds(1);
    private static final long LINGER_MS = 20;
    private static final long REQUEST_TIMEOUT_MS = 30_000;

    /**
     * Properties of an idempotent producer whose records fail for good (their callback gets a
     * {@code TimeoutException}) when not acknowledged within {@code deliveryTimeout} of being sent, and
     * whose {@code send()} blocks at most as long for metadata or buffer space (then throws). The request
     * timeout is Kafka's default 30 s, shortened to fit inside the delivery timeout (Kafka requires
     * delivery.timeout.ms ≥ linger.ms + request.timeout.ms). Client properties still win.
     *
     * @throws IllegalArgumentException when the timeout is shorter than {@link #MIN_DELIVERY_TIMEOUT}
     */
    public Properties producer(String clientId, Duration deliveryTimeout) {
        if (deliveryTimeout == null || deliveryTimeout.compareTo(MIN_DELIVERY_TIMEOUT) < 0) {
            throw new IllegalArgumentException("--delivery-timeout-seconds must be at least "
                    + MIN_DELIVERY_TIMEOUT.toSeconds() + ", got " + (deliveryTimeout == null ? null : deliveryTimeout.toSeconds()));
        }
        long ms = deliveryTimeout.toMillis();
        Properties p = producerDefaults(clientId);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(Math.min(ms, Integer.MAX_VALUE)));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(ms));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.min(REQUEST_TIMEOUT_MS, ms - LINGER_MS)));
        p.putAll(clientProperties);
        return p;
    }

    /** How long a producer of {@link #producer(String)} retries a record: Kafka's own default, 120 s. */
    public static final Duration DEFAULT_DELIVERY_TIMEOUT = Duration.ofSeconds(120);

    /**
     * Properties of an idempotent producer of string keys and byte values that gives up on a record after
     * {@link #deliveryTimeout()} (a broker gone for longer is an error, never an endless wait).
     */
    public Properties producer(String clientId) {
        Properties p = producerDefaults(clientId);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(DEFAULT_DELIVERY_TIMEOUT.toMillis()));
        p.putAll(clientProperties);
        return p;
    }

    /**
     * {@link #producer(String)} for a sender that waits for each record's acknowledgement before it goes on
     * ({@link Delivery#send}: the analyzer's metrics, a replay's): it sends at once ({@code linger.ms} 0), since lingering
     * to batch would only add to every wait (20 ms a snapshot). Client properties still win.
     */
    public Properties acknowledgedProducer(String clientId) {
        Properties p = producer(clientId);
        if (!clientProperties.containsKey(ProducerConfig.LINGER_MS_CONFIG)) {
            p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        }
        return p;
    }

    /** The delivery timeout of {@link #producer(String)}: {@code delivery.timeout.ms} when given, else the default. */
    public Duration deliveryTimeout() {
        return deliveryTimeoutOf(clientProperties);
    }

    private static Duration deliveryTimeoutOf(Map<String, String> clientProperties) {
        String given = clientProperties.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
        if (given == null) {
            return DEFAULT_DELIVERY_TIMEOUT;
        }
        try {
            long ms = Long.parseLong(given.trim());
            if (ms < 1) {
                throw new NumberFormatException("not positive");
            }
            return Duration.ofMillis(ms);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--kafka-property delivery.timeout.ms must be a positive whole number of milliseconds, got '"
                    + given + "'");
        }
    }

    private Properties producerDefaults(String clientId) {
        Properties p = common(clientId);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(BUFFER_BYTES));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"); // snapshots and datasets travel compressed
        p.put(ProducerConfig.LINGER_MS_CONFIG, Long.toString(LINGER_MS)); // batch per-step telemetry: fewer requests, less CPU beside training
        return p;
    }

    /**
     * Properties of a consumer in {@code group} (null: no group) with manual commits. The isolation level is
     * Kafka's default, {@code read_uncommitted}: eoscope's producers are idempotent but not transactional, so
     * {@code read_committed} would only add the wait for the last stable offset.
     */
    public Properties consumer(String clientId, String group) {
        Properties p = common(clientId);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "50");
        // Kafka's default max.poll.interval.ms (5 min) holds: members poll on their own thread while work runs on another (GroupWorker)
        if (group != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        p.putAll(clientProperties);
        return p;
    }

    /** Properties of an admin client. */
    public Properties admin(String clientId) {
        return common(clientId);
    }

    private Properties common(String clientId) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        p.put("client.id", clientId);
        Map<String, String> extra = new HashMap<>(clientProperties);
        extra.keySet().removeIf(k -> !k.startsWith("security.") && !k.startsWith("sasl.") && !k.startsWith("ssl."));
        p.putAll(extra);
        return p;
    }
}
