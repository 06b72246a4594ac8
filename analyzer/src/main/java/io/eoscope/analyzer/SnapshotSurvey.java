package io.eoscope.analyzer;

import io.eoscope.wire.ChunkHeader;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.wire.TopicScan;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.utils.Utils;

/**
 * What the snapshots topic still holds of one run, read before a replay from the records' chunk headers (nothing is
 * decoded): the steps whose snapshots are there, those whose first chunks retention has already removed, and where
 * the run's partition now starts. {@link #expired} adds the steps the run's metrics name, to tell what has expired.
 */
final class SnapshotSurvey {
    /** How long a call on the broker may take here: 30 s. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final String run;
    private final String topic;
    private final long fromStep;
    private final long toStep;
    private final SortedSet<Long> present = new TreeSet<>();
    private final SortedSet<Long> headless = new TreeSet<>();
    private int firstChunks;
    private final Map<TopicPartition, Long> logStart;
    private final int partition;

    private SnapshotSurvey(String run, String topic, long fromStep, long toStep, Map<TopicPartition, Long> logStart) {
        this.run = run;
        this.topic = topic;
        this.fromStep = fromStep;
        this.toStep = toStep;
        this.logStart = logStart;
        // the producer's default partitioner: murmur2 of the key, so a run's snapshots all go to one partition
        this.partition = Utils.toPositive(Utils.murmur2(run.getBytes(StandardCharsets.UTF_8))) % Math.max(1, logStart.size());
    }

    /** Reads the snapshots topic to its end now. */
    static SnapshotSurvey of(KafkaSettings settings, String run, long fromStep, long toStep) throws InterruptedException {
        String topic = settings.topics().snapshots();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.consumer("eos-replay-count", null))) {
            Map<TopicPartition, Long> end = TopicScan.fromStart(consumer, topic);
            SnapshotSurvey s = new SnapshotSurvey(run, topic, fromStep, toStep, consumer.beginningOffsets(end.keySet(), CALL_TIMEOUT));
            Heads heads = s.heads();
            TopicScan.readTo(consumer, end, TopicScan.STALL, r -> {
                if (!run.equals(r.key())) {
                    return;
                }
                try {
                    ChunkHeader h = ChunkHeader.of(r);
                    long step = step(h);
                    if (heads.expired(r, h)) {
                        if (step >= fromStep && step <= toStep) {
                            s.headless.add(step);
                        }
                    } else if (h.index() == 0 && step >= fromStep && step <= toStep) {
                        s.firstChunks++;
                        s.present.add(step);
                    }
                } catch (MalformedRecordException | RuntimeException e) {
                    // not counted here: the replay reads it again, dead-letters it and counts it as failed
                }
            });
            s.headless.removeAll(s.present); // sent again whole after its first copy expired
            return s;
        }
    }

    private static long step(ChunkHeader h) {
        return Long.parseLong(h.payloadId().substring(h.payloadId().lastIndexOf('@') + 1));
    }

    /** First chunks of the run's snapshots in range: the replay's progress total. */
    int firstChunks() {
        return firstChunks;
    }

    /** Steps in range whose snapshots are there (their first chunk at least). */
    SortedSet<Long> present() {
        return present;
    }

    /** The partition the run's snapshots go to. */
    int partition() {
        return partition;
    }

    /** Where the run's partition starts now: above 0 once retention (or a deletion) removed records. */
    long logStartOffset() {
        return logStart.getOrDefault(new TopicPartition(topic, partition), 0L);
    }

    /** A tracker of the chunks at the head of each partition whose payload's first chunks have expired. */
    Heads heads() {
        return new Heads(run, logStart);
    }

    /**
     * The run's chunks at the head of a partition whose payload began before the partition's first offset: retention
     * removed their first chunks. They cannot be assembled and are not malformed; they are skipped and counted as expired.
     */
    static final class Heads {
        private final String run;
        private final Map<TopicPartition, Long> logStart;
        private final Set<TopicPartition> started = new HashSet<>();

        Heads(String run, Map<TopicPartition, Long> logStart) {
            this.run = run;
            this.logStart = logStart;
        }

        /** Whether {@code r}, a chunk of the run, belongs to a payload whose first chunks have expired. */
        boolean expired(ConsumerRecord<String, byte[]> r, ChunkHeader h) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            if (!run.equals(r.key()) || started.contains(tp)) {
                return false;
            }
            if (h.index() == 0) {
                started.add(tp);
                return false;
            }
            return logStart.getOrDefault(tp, 0L) > 0;
        }
    }

    /**
     * The snapshots in range that are known to have existed and are not there: those whose first chunks have expired,
     * and, when the run's partition no longer starts at 0 or no snapshot is left, the steps that the {@code metrics}
     * topic names for the run (under any analysis id) without a snapshot. Reading the metrics topic is skipped when
     * nothing can have expired.
     */
    Optional<ExpiredSnapshots> expired(KafkaSettings settings) throws InterruptedException {
        SortedSet<Long> known = new TreeSet<>(present);
        known.addAll(headless);
        if (logStartOffset() > 0 || present.isEmpty()) {
            known.addAll(analysedSteps(settings));
        }
        SortedSet<Long> missing = new TreeSet<>(known);
        missing.removeAll(present);
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ExpiredSnapshots(topic, missing, known, partition, logStartOffset(), retention(settings)));
    }

    /** The steps in range that the metrics topic has a record of, for this run: keys {@code run/step/analysis_id}. */
    private Set<Long> analysedSteps(KafkaSettings settings) throws InterruptedException {
        Set<Long> steps = new HashSet<>();
        String prefix = run + "/";
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.consumer("eos-replay-metrics", null))) {
            Map<TopicPartition, Long> end = TopicScan.fromStart(consumer, settings.topics().metrics());
            TopicScan.readTo(consumer, end, TopicScan.STALL, r -> {
                if (r.key() == null || r.value() == null || !r.key().startsWith(prefix)) {
                    return; // another run's, or a tombstone
                }
                String[] parts = r.key().split("/", -1);
                if (parts.length != 3) {
                    return;
                }
                try {
                    long step = Long.parseLong(parts[1]);
                    if (step >= fromStep && step <= toStep) {
                        steps.add(step);
                    }
                } catch (NumberFormatException e) {
                    // not a metrics key: the gateway dead-letters such records
                }
            });
        }
        return steps;
    }

    /** The topic's {@code retention.ms} and {@code retention.bytes}, or why they could not be read (the replay goes on). */
    private String retention(KafkaSettings settings) throws InterruptedException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Admin admin = Admin.create(settings.admin("eos-replay-retention"));
        try {
            Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(resource)).all()
                    .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            Map<String, String> values = new HashMap<>();
            for (String key : List.of("retention.ms", "retention.bytes")) {
                ConfigEntry e = configs.get(resource).get(key);
                values.put(key, e == null ? "?" : e.value());
            }
            return "retention.ms=" + values.get("retention.ms") + ", retention.bytes=" + values.get("retention.bytes");
        } catch (ExecutionException e) {
            return "its retention could not be read: " + e.getCause().getMessage();
        } catch (java.util.concurrent.TimeoutException e) {
            return "its retention could not be read within " + CALL_TIMEOUT.toSeconds() + " s";
        } finally {
            admin.close(Duration.ofSeconds(5));
        }
    }
}
