package io.eoscope.launcher;

import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** The Kafka options every service command shares. */
public final class KafkaOptions {
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

    /** The settings of a command that needs a cluster: --bootstrap-servers is required. */
    KafkaSettings required() {
        if (bootstrapServers == null) {
            throw new IllegalArgumentException("--bootstrap-servers is required (host:port of the Kafka cluster)");
        }
        return settings(null);
    }

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
        return new KafkaSettings(servers, new Topics(topicPrefix), clientProperties());
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
                throw new IllegalArgumentException("--kafka-config " + configFile + ": no such file");
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("--kafka-config " + configFile + ": cannot read it as a properties file ("
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
