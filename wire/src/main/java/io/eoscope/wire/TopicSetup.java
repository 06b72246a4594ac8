package io.eoscope.wire;

import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * What a command does with the cluster before it starts its work: reach it, and create eoscope's topics that
 * do not exist yet. The one place outside tests where topics are created, so every service creates them alike:
 * the partitions asked for, the replication factor asked for or else the broker's own
 * {@code default.replication.factor} (on a real cluster the first service to start must not create
 * unreplicated topics), and the configurations of {@link Topics#definitions}. Every call ends within the timeout.
 */
public final class TopicSetup {
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
     * Reaches the cluster, then creates the topics that do not exist yet (idempotent).
     *
     * @param partitions partitions of the per-run topics (snapshots, metrics, telemetry, replays)
     * @param replication the replication factor; empty: the broker's {@code default.replication.factor}
     * @throws BrokerUnreachableException when the cluster does not answer within {@code timeout}
     * @throws IllegalStateException when a topic cannot be created (the broker's reason in the message)
     */
    public static void createTopics(KafkaSettings settings, String clientId, int partitions, Optional<Short> replication,
            Duration timeout) throws InterruptedException {
        try (Admin admin = Admin.create(admin(settings, clientId, timeout))) {
            reach(admin, settings, timeout);
            settings.topics().create(admin, partitions, replication);
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
