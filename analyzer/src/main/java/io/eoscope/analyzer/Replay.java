package io.eoscope.analyzer;

import io.eoscope.curvature.eigen.EigenSolveException;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.ModelState;
import io.eoscope.curvature.net.ScriptedParameters;
import io.eoscope.wire.ChunkAssembler;
import io.eoscope.wire.ChunkHeader;
import io.eoscope.wire.Delivery;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.wire.Records;
import io.eoscope.wire.TopicScan;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-analyses a stored run: reads its snapshots (steps in [from, to]) and its dataset back from Kafka,
 * in the order they were written, analyses each under a new analysis id and publishes the metrics.
 * With the same options on the CPU the numbers are bit-identical from one replay to the next. A
 * snapshot that cannot be read or analysed is dead-lettered with the reason and the replay goes on;
 * the {@link Result} counts them. Memory is bounded: snapshots are analysed as they are read.
 */
public final class Replay {
    private static final Logger LOG = LoggerFactory.getLogger(Replay.class);

    private Replay() {}

    /**
     * What a replay did.
     *
     * @param analysed snapshots analysed and published
     * @param failed snapshots (or records) that could not be read or analysed, each dead-lettered
     * @param failures their reasons (the first few)
     */
    public record Result(int analysed, int failed, List<String> failures) {}

    /** The range is empty, or the run has no snapshot in it: the request's mistake, named in the message. */
    public static final class NothingToReplay extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        NothingToReplay(String message) {
            super(message);
        }
    }

    /**
     * @param progress told (done, total) after each snapshot
     * @throws NothingToReplay when the range is empty or the run has no snapshot in it
     */
    public static Result run(KafkaSettings settings, AnalyzerConfig config, AnalyzerLimits limits, String run, long fromStep,
            long toStep, BiConsumer<Integer, Integer> progress) throws InterruptedException {
        if (fromStep < 0 || fromStep > toStep) {
            throw new NothingToReplay("need 0 ≤ --from-step ≤ --to-step, got " + fromStep + " and " + toStep);
        }
        int total = count(settings, run, fromStep, toStep);
        if (total == 0) {
            throw new NothingToReplay("--run " + run + ": no snapshot with step in [" + fromStep + ", " + toStep
                    + "] in " + settings.topics().snapshots());
        }
        LOG.info("replay of {} (steps {}..{}, {} snapshots) as analysis '{}'", run, fromStep, toStep, total, config.analysisId());
        Tally tally = new Tally();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.consumer("eos-replay", null));
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.acknowledgedProducer("eos-replay"));
                DatasetStore datasets = new DatasetStore(settings, limits.maxPendingBytes(), (r, reason) -> {
                    try {
                        deadLetter(settings, producer, r, reason);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while dead-lettering " + r.topic() + "/" + r.partition() + "@"
                                + r.offset(), e);
                    }
                });
                SnapshotAnalysis analysis = new SnapshotAnalysis(config, 1)) {
            Map<TopicPartition, Long> end = TopicScan.fromStart(consumer, settings.topics().snapshots());
            ChunkAssembler assembler = new ChunkAssembler(8, limits.maxPendingBytes(), limits.maxPayloadAge().toMillis());
            TopicScan.readTo(consumer, end, TopicScan.STALL, r -> {
                if (!run.equals(r.key()) || r.offset() >= end.getOrDefault(new TopicPartition(r.topic(), r.partition()), 0L)) {
                    return;
                }
                String reason = null;
                try {
                    Optional<ChunkAssembler.Payload> payload = assembler.accept(r);
                    if (payload.isPresent()) {
                        ModelState m = PayloadDecoder.snapshot(payload.get());
                        long step = Long.parseLong(m.metadata().get("step"));
                        if (step >= fromStep && step <= toStep) {
                            reason = analyse(settings, config, datasets, analysis, producer, m);
                            if (reason == null) {
                                tally.done++;
                            }
                            progress.accept(tally.done + tally.failed + (reason == null ? 0 : 1), total);
                        }
                    }
                } catch (MalformedRecordException e) {
                    reason = e.getMessage();
                }
                for (ChunkAssembler.Abandoned a : assembler.drainAbandoned()) {
                    tally.fail(a.reason());
                    deadLetter(settings, producer, a.first(), "replay " + config.analysisId() + ": " + a.reason());
                }
                if (reason != null) {
                    tally.fail(reason);
                    deadLetter(settings, producer, r, "replay " + config.analysisId() + ": " + reason);
                }
            });
        }
        LOG.info("replay of {} as '{}': {} analysed, {} failed", run, config.analysisId(), tally.done, tally.failed);
        return new Result(tally.done, tally.failed, tally.failures);
    }

    /** Analyses one snapshot and publishes its metrics; the reason it could not, or null. */
    private static String analyse(KafkaSettings settings, AnalyzerConfig config, DatasetStore datasets, SnapshotAnalysis analysis,
            KafkaProducer<String, byte[]> producer, ModelState m) throws InterruptedException {
        String run = m.metadata().get("run");
        long step = Long.parseLong(m.metadata().get("step"));
        String hash = m.metadata().get("dataset");
        try {
            Optional<LabeledData> data = datasets.get(hash);
            if (data.isEmpty()) {
                return "snapshot " + run + "@" + step + ": its dataset " + hash + " is not in " + settings.topics().datasets();
            }
            if (data.get().inputWidth() != m.inputWidth() || data.get().labelBound() > m.classes()) {
                return "snapshot " + run + "@" + step + ": the model (" + m.architecture() + ") does not fit its dataset (width "
                        + data.get().inputWidth() + ")";
            }
            byte[] module = null;
            if (m instanceof ScriptedParameters scripted) {
                String moduleHash;
                try {
                    moduleHash = analysis.moduleOf(scripted);
                } catch (IllegalArgumentException e) {
                    return "snapshot " + run + "@" + step + ": " + e.getMessage();
                }
                Optional<byte[]> found = datasets.module(moduleHash);
                if (found.isEmpty()) {
                    return "snapshot " + run + "@" + step + ": its TorchScript module " + moduleHash + " is not in "
                            + settings.topics().datasets();
                }
                module = found.get();
            }
            Delivery.send(producer, Records.metrics(settings.topics(), analysis.analyse(m, data.get(), module)),
                    settings.deliveryTimeout(), "the metrics of " + run + "@" + step);
            return null;
        } catch (UnusablePayloadException e) { // its dataset record was dead-lettered with the reason
            return "snapshot " + run + "@" + step + ": its " + e.getMessage();
        } catch (EigenSolveException e) {
            return "snapshot " + run + "@" + step + ": eigen-solve failed: " + e.getMessage();
        } catch (IllegalStateException e) {
            throw e; // the broker did not take the metrics: the replay cannot go on
        } catch (RuntimeException e) {
            return "snapshot " + run + "@" + step + ": analysis failed: " + e;
        }
    }

    /** Snapshots of {@code run} with a step in range, counted from their first chunks' headers (nothing is decoded). */
    private static int count(KafkaSettings settings, String run, long fromStep, long toStep) throws InterruptedException {
        int[] n = {0};
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.consumer("eos-replay-count", null))) {
            Map<TopicPartition, Long> end = TopicScan.fromStart(consumer, settings.topics().snapshots());
            TopicScan.readTo(consumer, end, TopicScan.STALL, r -> {
                if (!run.equals(r.key())) {
                    return;
                }
                try {
                    ChunkHeader h = ChunkHeader.of(r);
                    int at = h.payloadId().lastIndexOf('@');
                    long step = Long.parseLong(h.payloadId().substring(at + 1));
                    if (h.index() == 0 && step >= fromStep && step <= toStep) {
                        n[0]++;
                    }
                } catch (MalformedRecordException | RuntimeException e) {
                    // not counted here: the replay reads it again, dead-letters it and counts it as failed
                }
            });
        }
        return n[0];
    }

    /** Counts of a replay, and the first few reasons of its failures. */
    private static final class Tally {
        int done;
        int failed;
        final List<String> failures = new ArrayList<>();

        void fail(String reason) {
            failed++;
            LOG.warn("replay: {}", io.eoscope.wire.DeadLetter.brief(reason));
            if (failures.size() < 10) {
                failures.add(reason);
            }
        }
    }

    private static void deadLetter(KafkaSettings settings, KafkaProducer<String, byte[]> producer, ConsumerRecord<String, byte[]> r,
            String reason) throws InterruptedException {
        Delivery.send(producer, Records.deadLetter(settings.topics(), r, reason), settings.deliveryTimeout(),
                "a dead letter of " + r.topic() + "/" + r.partition() + "@" + r.offset());
    }
}
