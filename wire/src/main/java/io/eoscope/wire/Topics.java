package io.eoscope.wire;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
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

    /** The topics with their configurations: snapshots kept forever (replay), metadata compacted. */
    public List<NewTopic> definitions(int partitions, short replication) {
        Map<String, String> compact = Map.of("cleanup.policy", "compact");
        Map<String, String> forever = Map.of("retention.ms", "-1", "retention.bytes", "-1");
        return List.of(
                new NewTopic(runs(), 1, replication).configs(compact),
                new NewTopic(datasets(), 1, replication).configs(compact),
                new NewTopic(snapshots(), partitions, replication).configs(forever),
                new NewTopic(metrics(), partitions, replication).configs(compact),
                new NewTopic(telemetry(), partitions, replication).configs(Map.of("retention.ms", String.valueOf(7L * 24 * 3600 * 1000))),
                new NewTopic(replays(), partitions, replication).configs(Map.of("retention.ms", String.valueOf(7L * 24 * 3600 * 1000))),
                new NewTopic(deadletter(), 1, replication).configs(forever));
    }

    /** Creates the topics that do not exist yet (idempotent). */
    public void create(Admin admin, int partitions, short replication) throws InterruptedException {
        for (NewTopic t : definitions(partitions, replication)) {
            try {
                admin.createTopics(List.of(t)).all().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + t.name() + ": " + e.getCause().getMessage(), e.getCause());
                }
            }
        }
    }
}
