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
 * the {@link Result} counts them. Memory is bounded: snapshots are analysed as they are read. Snapshots that retention
 * has removed are not failures: the {@link Result} names them ({@link Result#warning}), and a replay that finds none
 * left says so ({@link SnapshotsExpired}) instead of a bare "no snapshot".
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
     * @param run the run replayed
     * @param expired the run's snapshots in range that were not there to replay, when some were not (retention)
     */
    public record Result(int analysed, int failed, List<String> failures, String run, Optional<ExpiredSnapshots> expired) {
        /**
         * One line when part of the run had expired, empty otherwise: {@code replay of run R: 12 of 40 snapshots
         * analysed; 28 have expired from eos.snapshots: steps 0..270 (retention.ms=…, …)}.
         */
        public Optional<String> warning() {
            return expired.map(e -> "replay of run " + run + ": " + analysed + " of " + e.known().size() + " snapshots analysed; "
                    + e.describe());
        }
    }

    /** The range is empty, or the run has no snapshot in it: the request's mistake, named in the message. */
    public static class NothingToReplay extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        NothingToReplay(String message) {
            super(message);
        }
    }

    /**
     * No snapshot of the run is left in range, and some are known to have existed: they have expired (retention), or
     * gone otherwise; the message says which steps and the topic's retention. Not the request's mistake: the data is gone.
     */
    public static final class SnapshotsExpired extends NothingToReplay {
        private static final long serialVersionUID = 1L;
        private final transient ExpiredSnapshots expired;

        SnapshotsExpired(String message, ExpiredSnapshots expired) {
            super(message);
            this.expired = expired;
        }

        /** What is gone. */
        public ExpiredSnapshots expired() {
            return expired;
        }
    }

    /**
     * @param progress told (done, total) after each snapshot
     * @throws SnapshotsExpired when no snapshot of the run is left in range and some are known to have existed
     * @throws NothingToReplay when the range is empty or the run has no snapshot in it
     */
    public static Result run(KafkaSettings settings, AnalyzerConfig config, AnalyzerLimits limits, String run, long fromStep,
            long toStep, BiConsumer<Integer, Integer> progress) throws InterruptedException {
        if (fromStep < 0 || fromStep > toStep) {
            throw new NothingToReplay("need 0 ≤ --from-step ≤ --to-step, got " + fromStep + " and " + toStep);
        }
        SnapshotSurvey survey = SnapshotSurvey.of(settings, run, fromStep, toStep);
        Optional<ExpiredSnapshots> expired = survey.expired(settings);
        int total = survey.firstChunks();
        if (total == 0) {
            if (expired.isPresent()) {
                ExpiredSnapshots e = expired.get();
                String message = "replay of run " + run + ": none of its " + e.known().size() + " snapshots with step in ["
                        + fromStep + ", " + toStep + "] is left; " + e.describe();
                LOG.warn("{}", message);
                throw new SnapshotsExpired(message, e);
            }
            throw new NothingToReplay("--run " + run + ": no snapshot with step in [" + fromStep + ", " + toStep
                    + "] in " + settings.topics().snapshots() + (survey.logStartOffset() > 0 ? " (partition " + survey.partition()
                    + ", where its snapshots would be, starts at offset " + survey.logStartOffset()
                    + ": if the run is older than that, its snapshots have expired)" : ""));
        }
        LOG.info("replay of {} (steps {}..{}, {} snapshots) as analysis '{}'", run, fromStep, toStep, total, config.analysisId());
        expired.ifPresent(e -> LOG.warn("replay of {}: {}", run, e.describe()));
        SnapshotSurvey.Heads heads = survey.heads();
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
                    if (heads.expired(r, ChunkHeader.of(r))) {
                        return; // the rest of a snapshot whose first chunks retention removed: counted as expired, not failed
                    }
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
        return new Result(tally.done, tally.failed, tally.failures, run, expired);
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
