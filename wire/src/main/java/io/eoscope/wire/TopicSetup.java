package io.eoscope.wire;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a command does with the cluster before it starts its work: reach it, and create eoscope's topics that
 * do not exist yet. The one place outside tests where topics are created, so every service creates them alike:
 * the partitions asked for, the replication factor asked for or else the broker's own
 * {@code default.replication.factor} (on a real cluster the first service to start must not create
 * unreplicated topics), and the configurations of {@link Topics#definitions} with the {@link Retention} asked for;
 * the retention options given explicitly are also applied to topics that already exist. Every call ends within the
 * timeout.
 */
public final class TopicSetup {
    private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

    private TopicSetup() {}

    /**
     * Waits until the cluster answers.
     *
     * @throws BrokerUnreachableException when it does not answer within {@code timeout} (or refuses the client)
     */
    public static void reach(KafkaSettings settings, String clientId, Duration timeout) throws InterruptedException {
        try (Admin admin = Admin.create(admin(settings, clientId, timeout))) {
            reach(admin, settings, timeout);
        }
    }

    /**
     * Reaches the cluster, then creates the topics that do not exist yet (idempotent), with the default retention.
     *
     * @param partitions partitions of the per-run topics (snapshots, metrics, telemetry, replays)
     * @param replication the replication factor; empty: the broker's {@code default.replication.factor}
     * @throws BrokerUnreachableException when the cluster does not answer within {@code timeout}
     * @throws IllegalStateException when a topic cannot be created (the broker's reason in the message)
     */
    public static void createTopics(KafkaSettings settings, String clientId, int partitions, Optional<Short> replication,
            Duration timeout) throws InterruptedException {
        createTopics(settings, clientId, partitions, replication, Retention.defaults(), timeout);
    }

    /**
     * Reaches the cluster, creates the topics that do not exist yet (idempotent) with {@code retention}'s
     * configurations, and applies the retention options that were given ({@link Retention#given}) to the topics
     * that already existed, where they differ: one log line per configuration changed,
     * {@code eos.snapshots retention.ms: -1 -> 2592000000 (--snapshot-retention)}. An option not given never touches
     * an existing topic, so an operator's own change is not reverted by the next service to start.
     *
     * @param partitions partitions of the per-run topics (snapshots, metrics, telemetry, replays)
     * @param replication the replication factor; empty: the broker's {@code default.replication.factor}
     * @throws BrokerUnreachableException when the cluster does not answer within {@code timeout}
     * @throws IllegalStateException when a topic cannot be created or reconfigured (the broker's reason in the message)
     */
    public static void createTopics(KafkaSettings settings, String clientId, int partitions, Optional<Short> replication,
            Retention retention, Duration timeout) throws InterruptedException {
        try (Admin admin = Admin.create(admin(settings, clientId, timeout))) {
            reach(admin, settings, timeout);
            Set<String> existing = settings.topics().create(admin, partitions, replication, retention, timeout.plusSeconds(1));
            List<Retention.Setting> given = retention.givenSettings(settings.topics()).stream()
                    .filter(g -> existing.contains(g.topic())).toList();
            if (!given.isEmpty()) {
                apply(admin, given, timeout.plusSeconds(1));
            }
        }
    }

    /** Sets each of {@code settings} whose topic has another value; logs each change. */
    private static void apply(Admin admin, List<Retention.Setting> settings, Duration timeout) throws InterruptedException {
        Map<ConfigResource, List<Retention.Setting>> byTopic = new LinkedHashMap<>();
        for (Retention.Setting s : settings) {
            byTopic.computeIfAbsent(new ConfigResource(ConfigResource.Type.TOPIC, s.topic()), t -> new ArrayList<>()).add(s);
        }
        Map<ConfigResource, Config> now = call("read the configuration of " + names(byTopic.keySet()),
                admin.describeConfigs(byTopic.keySet()).all(), timeout);
        Map<ConfigResource, Collection<AlterConfigOp>> changes = new LinkedHashMap<>();
        List<String> lines = new ArrayList<>();
        for (Map.Entry<ConfigResource, List<Retention.Setting>> e : byTopic.entrySet()) {
            for (Retention.Setting s : e.getValue()) {
                ConfigEntry current = now.get(e.getKey()).get(s.key());
                String was = current == null ? null : current.value();
                if (!s.value().equals(was)) {
                    changes.computeIfAbsent(e.getKey(), t -> new ArrayList<>())
                            .add(new AlterConfigOp(new ConfigEntry(s.key(), s.value()), AlterConfigOp.OpType.SET));
                    lines.add(s.topic() + " " + s.key() + ": " + was + " -> " + s.value() + " (" + s.option().flag() + ")");
                }
            }
        }
        if (changes.isEmpty()) {
            return;
        }
        call("change the configuration of " + names(changes.keySet()), admin.incrementalAlterConfigs(changes).all(), timeout);
        lines.forEach(l -> LOG.info("{}", l));
    }

    private static String names(Collection<ConfigResource> topics) {
        return String.join(", ", topics.stream().map(ConfigResource::name).toList());
    }

    /** Waits at most {@code timeout} for an admin call; its failure as an {@link IllegalStateException} saying what it did. */
    private static <T> T call(String what, KafkaFuture<T> future, Duration timeout) throws InterruptedException {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot " + what + ": the cluster did not answer within " + timeout.toSeconds() + " s", e);
        }
    }

    private static void reach(Admin admin, KafkaSettings settings, Duration timeout) throws InterruptedException {
        try {
            admin.describeCluster().nodes().get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            boolean timedOut = cause instanceof org.apache.kafka.common.errors.TimeoutException
                    || cause instanceof java.util.concurrent.TimeoutException;
            throw new BrokerUnreachableException("the Kafka cluster at " + settings.bootstrapServers() + " (--bootstrap-servers) "
                    + (timedOut ? "could not be reached within " + timeout.toSeconds() + " s"
                            : "refused the client: " + cause.getMessage()), cause);
        }
    }

    /** An admin client whose every call (and the client's own retries) ends within {@code timeout}. */
    private static Properties admin(KafkaSettings settings, String clientId, Duration timeout) {
        Properties p = settings.admin(clientId);
        int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(ms));
        p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(Math.min(ms, 30_000)));
        return p;
    }
}
