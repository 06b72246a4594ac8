package io.eoscope.wire;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The names of eoscope's topics, all behind one configurable prefix, and their configurations.
 *
 * @param prefix prepended to every name (for example {@code eos.}); may be empty
 */
public record Topics(String prefix) {
    /** Each run's full configuration, keyed by run (compacted). */
    public static final String RUNS = "runs";
    /** Training datasets, keyed by content hash (compacted), chunked like snapshots. */
    public static final String DATASETS = "datasets";
    /** Parameter snapshots, keyed by run: safetensors in chunks, lz4-compressed by the producer. */
    public static final String SNAPSHOTS = "snapshots";
    /** Analysis results, keyed by run/step/analysis id (compacted: re-delivery is idempotent). */
    public static final String METRICS = "metrics";
    /** Per-step training loss, accuracy, step size and t, keyed by run. */
    public static final String TELEMETRY = "telemetry";
    /** Requests to re-analyse a stored run ({@link ReplayRequest}), keyed by run; kept 7 days. */
    public static final String REPLAYS = "replays";
    /** Records that could not be decoded or analysed, with the reason. */
    public static final String DEADLETTER = "deadletter";

    /** Validates the prefix. */
    public Topics {
        if (prefix == null || !prefix.matches("[A-Za-z0-9._-]{0,100}")) {
            throw new IllegalArgumentException("--topic-prefix may hold only letters, digits, '.', '_' and '-', got '" + prefix + "'");
        }
    }

    public String runs() {
        return prefix + RUNS;
    }

    public String datasets() {
        return prefix + DATASETS;
    }

    public String snapshots() {
        return prefix + SNAPSHOTS;
    }

    public String metrics() {
        return prefix + METRICS;
    }

    public String telemetry() {
        return prefix + TELEMETRY;
    }

    public String replays() {
        return prefix + REPLAYS;
    }

    public String deadletter() {
        return prefix + DEADLETTER;
    }

    /**
     * The topics with their configurations: snapshots kept forever (replay), telemetry 7 days, metadata compacted.
     *
     * @param replication the replication factor; empty: the broker's {@code default.replication.factor}
     */
    public List<NewTopic> definitions(int partitions, Optional<Short> replication) {
        return definitions(partitions, replication, Retention.defaults());
    }

    /**
     * The topics with their configurations: snapshots and telemetry kept as {@code retention} says, replays 7 days,
     * dead letters forever, the metadata ({@code runs}, {@code datasets}, {@code metrics}) compacted.
     *
     * @param replication the replication factor; empty: the broker's {@code default.replication.factor}
     */
    public List<NewTopic> definitions(int partitions, Optional<Short> replication, Retention retention) {
        if (partitions < 1) {
            throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        }
        Optional<Integer> many = Optional.of(partitions);
        Optional<Integer> one = Optional.of(1);
        Map<String, String> compact = Map.of("cleanup.policy", "compact");
        Map<String, String> forever = Map.of("retention.ms", "-1", "retention.bytes", "-1");
        return List.of(
                new NewTopic(runs(), one, replication).configs(compact),
                new NewTopic(datasets(), one, replication).configs(compact),
                new NewTopic(snapshots(), many, replication).configs(retention.snapshotsConfigs()),
                new NewTopic(metrics(), many, replication).configs(compact),
                new NewTopic(telemetry(), many, replication).configs(retention.telemetryConfigs()),
                new NewTopic(replays(), many, replication).configs(Map.of("retention.ms", String.valueOf(REPLAYS_RETENTION_MS))),
                new NewTopic(deadletter(), one, replication).configs(forever));
    }

    /** How long replay requests are kept: 7 days. */
    static final long REPLAYS_RETENTION_MS = 7L * 24 * 3600 * 1000;

    /** {@link #definitions(int, Optional)} with an explicit replication factor (tests on one broker). */
    public List<NewTopic> definitions(int partitions, short replication) {
        return definitions(partitions, Optional.of(replication));
    }

    /** {@link #create(Admin, int, Optional)} with an explicit replication factor (tests on one broker). */
    public void create(Admin admin, int partitions, short replication) throws InterruptedException {
        create(admin, partitions, Optional.of(replication));
    }

    /**
     * Creates the topics that do not exist yet (idempotent), with the default retention; the services go through
     * {@link TopicSetup}.
     *
     * @param replication the replication factor; empty: the broker's {@code default.replication.factor}
     */
    public void create(Admin admin, int partitions, Optional<Short> replication) throws InterruptedException {
        create(admin, partitions, replication, Retention.defaults(), CREATE_TIMEOUT);
    }

    /** How long {@link #create(Admin, int, Optional)} waits for each topic: 60 s. */
    static final Duration CREATE_TIMEOUT = Duration.ofSeconds(60);

    /**
     * Creates the topics that do not exist yet (idempotent), waiting at most {@code timeout} for each.
     *
     * @param replication the replication factor; empty: the broker's {@code default.replication.factor}
     * @return the names of the topics that already existed (left as they are)
     * @throws IllegalStateException when a topic cannot be created, or the broker does not answer within the timeout
     */
    public Set<String> create(Admin admin, int partitions, Optional<Short> replication, Retention retention, Duration timeout)
            throws InterruptedException {
        Set<String> existing = new LinkedHashSet<>();
        for (NewTopic t : definitions(partitions, replication, retention)) {
            try {
                admin.createTopics(List.of(t)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + t.name() + ": " + e.getCause().getMessage(), e.getCause());
                }
                existing.add(t.name());
            } catch (TimeoutException e) {
                throw new IllegalStateException("cannot create topic " + t.name() + ": the cluster did not answer within "
                        + timeout.toSeconds() + " s", e);
            }
        }
        return existing;
    }
}
