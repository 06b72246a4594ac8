package io.eoscope.launcher;

import io.eoscope.streaming.KafkaSettings;
import io.eoscope.streaming.Topics;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The Kafka options every service command shares. */
public final class KafkaOptions {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "the Kafka cluster (host:port[,host:port…])")
    String bootstrapServers;

    @Option(names = "--topic-prefix", defaultValue = "eos.", description = "prefix of every topic name (default: ${DEFAULT-VALUE})")
    String topicPrefix;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE", description = "a Kafka client property passed through (TLS, SASL, …); repeatable")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--partitions", defaultValue = "4", description = "partitions of new snapshot and metrics topics (default: ${DEFAULT-VALUE})")
    int partitions;

    /** --bootstrap-servers, or null when not given. */
    public String bootstrapServersGiven() {
        return bootstrapServers;
    }

    /** --partitions. */
    public int partitions() {
        return partitions;
    }

    /** The settings, with {@code bootstrap} used when --bootstrap-servers was not given. */
    public KafkaSettings settings(String bootstrap) {
        String servers = bootstrapServers != null ? bootstrapServers : bootstrap;
        return new KafkaSettings(servers, new Topics(topicPrefix), properties);
    }
}
