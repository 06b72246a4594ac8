package io.eoscope.launcher;

import io.eoscope.reproduce.KafkaAccess;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Retention;
import io.eoscope.wire.TopicSetup;
import io.eoscope.wire.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import picocli.CommandLine.Option;

/** The Kafka options every service command shares. */
public final class KafkaOptions implements KafkaAccess {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "the Kafka cluster (host:port[,host:port…])")
    String bootstrapServers;

    @Option(names = "--topic-prefix", defaultValue = "eos.", description = "prefix of every topic name (default: ${DEFAULT-VALUE})")
    String topicPrefix;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "a Java properties file of Kafka client properties (TLS, SASL, …: a mounted Secret); --kafka-property entries win")
    Path configFile;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE", description = "a Kafka client property passed through (TLS, SASL, …); repeatable")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--partitions", defaultValue = "4", description = "partitions of new snapshot and metrics topics (default: ${DEFAULT-VALUE})")
    int partitions;

    @Option(names = "--replication-factor", paramLabel = "R",
            description = "replication factor of the topics a command creates when they are missing (default: the broker's"
                    + " default.replication.factor)")
    Integer replicationFactor;

    // no defaultValue: an option left out is null, and only an option given is applied to a topic that already exists
    @Option(names = "--snapshot-retention", paramLabel = "DURATION",
            description = "how long the snapshots topic keeps a run's snapshots (replay needs them): forever, or minutes,"
                    + " hours or days such as 90m, 12h, 30d (default: forever). Given, it is also applied to an existing topic"
                    + " (docs/contracts.md#retention)")
    String snapshotRetention;

    @Option(names = "--snapshot-retention-bytes", paramLabel = "SIZE",
            description = "the most bytes each snapshots partition keeps, the oldest deleted first: unlimited, or such as"
                    + " 512MiB, 20GiB (default: unlimited). Given, it is also applied to an existing topic")
    String snapshotRetentionBytes;

    @Option(names = "--telemetry-retention", paramLabel = "DURATION",
            description = "how long the telemetry topic keeps the per-step records: forever, or such as 90m, 12h, 30d"
                    + " (default: 7d). Given, it is also applied to an existing topic")
    String telemetryRetention;

    @Option(names = "--broker-timeout-seconds", defaultValue = "30", paramLabel = "S",
            description = "how long train, trainer, analyzer, replay and reproduce wait at start for the Kafka cluster to answer"
                    + " (to create the topics, or read a run), 1 to 3600 (default: ${DEFAULT-VALUE})")
    long brokerTimeoutSeconds;

    /** The settings of a command that needs a cluster: --bootstrap-servers is required. */
    KafkaSettings required() {
        if (bootstrapServers == null) {
            throw new UsageException("--bootstrap-servers is required (host:port of the Kafka cluster)");
        }
        return settings(null);
    }

    /** --bootstrap-servers, or null when not given. */
    @Override
    public String bootstrapServersGiven() {
        return bootstrapServers;
    }

    /** --partitions, validated. */
    public int partitions() {
        if (partitions < 1 || partitions > 10_000) {
            throw new UsageException("--partitions must be in 1..10000, got " + partitions);
        }
        return partitions;
    }

    /** --replication-factor, validated; empty when not given (the broker's default.replication.factor). */
    public Optional<Short> replication() {
        if (replicationFactor == null) {
            return Optional.empty();
        }
        if (replicationFactor < 1 || replicationFactor > Short.MAX_VALUE) {
            throw new UsageException("--replication-factor must be in 1.." + Short.MAX_VALUE + ", got " + replicationFactor);
        }
        return Optional.of(replicationFactor.shortValue());
    }

    /** --snapshot-retention, --snapshot-retention-bytes and --telemetry-retention, validated; which of them were given. */
    public Retention retention() {
        return UsageException.fromOptions(() -> Retention.parse(snapshotRetention, snapshotRetentionBytes, telemetryRetention));
    }

    /** --broker-timeout-seconds, validated. */
    public Duration brokerTimeout() {
        if (brokerTimeoutSeconds < 1 || brokerTimeoutSeconds > 3600) {
            throw new UsageException("--broker-timeout-seconds must be in 1..3600, got " + brokerTimeoutSeconds);
        }
        return Duration.ofSeconds(brokerTimeoutSeconds);
    }

    /**
     * The settings, with {@code bootstrap} used when --bootstrap-servers was not given. Every option of this group
     * is validated here, so that a command that calls this first refuses a bad one before it starts anything.
     */
    @Override
    public KafkaSettings settings(String bootstrap) {
        String servers = bootstrapServers != null ? bootstrapServers : bootstrap;
        Map<String, String> properties = validate();
        return UsageException.fromOptions(() -> new KafkaSettings(servers, new Topics(topicPrefix), properties));
    }

    /** Validates every option of this group but --bootstrap-servers (a command may start its own broker); the client properties. */
    public Map<String, String> validate() {
        partitions();
        replication();
        retention();
        brokerTimeout();
        UsageException.fromOptions(() -> new Topics(topicPrefix));
        return clientProperties();
    }

    /**
     * Reaches the cluster within --broker-timeout-seconds and creates the topics that are missing, with --partitions,
     * --replication-factor and the retention options; the retention options given are also applied to existing topics.
     *
     * @throws io.eoscope.wire.BrokerUnreachableException when the cluster does not answer in time
     */
    @Override
    public void createTopics(KafkaSettings settings, String clientId) throws InterruptedException {
        TopicSetup.createTopics(settings, clientId, partitions(), replication(), retention(), brokerTimeout());
    }

    /**
     * Waits at most --broker-timeout-seconds for the cluster to answer.
     *
     * @throws io.eoscope.wire.BrokerUnreachableException when it does not
     */
    public void reach(KafkaSettings settings, String clientId) throws InterruptedException {
        TopicSetup.reach(settings, clientId, brokerTimeout());
    }

    /** The client properties: those of --kafka-config, then the --kafka-property entries over them. */
    Map<String, String> clientProperties() {
        Map<String, String> merged = new LinkedHashMap<>();
        if (configFile != null) {
            Properties file = new Properties();
            // properties files are ISO-8859-1 by specification; UTF-8 is what people write (passwords with accents)
            try (Reader in = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
                file.load(in);
            } catch (NoSuchFileException e) {
                throw new UsageException("--kafka-config " + configFile + ": no such file");
            } catch (IOException | IllegalArgumentException e) {
                // IllegalArgumentException: what Properties.load throws on a malformed unicode escape
                throw new UsageException("--kafka-config " + configFile + ": cannot read it as a properties file ("
                        + e.getMessage() + ")");
            }
            for (String key : file.stringPropertyNames()) {
                merged.put(key, file.getProperty(key));
            }
        }
        merged.putAll(properties);
        return merged;
    }
}
