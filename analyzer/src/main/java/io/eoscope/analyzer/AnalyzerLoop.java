package io.eoscope.analyzer;

import com.google.gson.JsonObject;
import io.eoscope.curvature.eigen.EigenSolveException;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.ModelState;
import io.eoscope.curvature.net.ScriptedParameters;
import io.eoscope.wire.ChunkAssembler;
import io.eoscope.wire.Delivery;
import io.eoscope.wire.GroupWorker;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The analyzer, plain Java: a member of a consumer group on {@code snapshots} that never blocks its poll
 * thread on an analysis ({@link GroupWorker}). The poll thread reassembles chunked snapshots; one worker
 * thread decodes and analyses each (under the {@code latest} lag policy a run's queued snapshot is replaced
 * by its newer one before it starts), publishes the metrics record and waits for its acknowledgement; only
 * then may the committed offset move past it (at-least-once; the metrics keys make re-delivery idempotent).
 * However long an analysis takes, the member keeps polling with its partitions paused, so it stays in the
 * group and a rebalance completes at once. Records that cannot be decoded or analysed go to {@code deadletter}
 * with the reason and are counted; the loop keeps running. Besides the {@link AnalyzerMeters}, its consumer's
 * and producer's own Kafka client meters ({@code kafka.consumer.*}, {@code kafka.producer.*}, tag
 * {@code component=analyzer}) go to the same registry while the loop is open. Chunk assembly is bounded
 * ({@link AnalyzerLimits}): a payload over the bytes bound, or one whose next chunk never comes, is
 * dead-lettered with the reason and the committed offset moves past it; a rebalance forgets only the payloads
 * of the partitions it took away. An error the loop cannot survive (the broker refusing, or not acknowledging
 * within the delivery timeout, a dead letter or a metrics record) ends {@link #run} with that exception;
 * {@link #failure()} keeps it for health checks.
 */
public final class AnalyzerLoop implements Runnable, AutoCloseable {
    private final KafkaSettings settings;
    private final AnalyzerConfig config;
    private final Consumer<String, byte[]> consumer;
    private final Producer<String, byte[]> producer;
    private final DatasetStore datasets;
    private final SnapshotAnalysis analysis;
    private static final Logger LOG = LoggerFactory.getLogger(AnalyzerLoop.class);
    private final AnalyzerLimits limits;
    private final ChunkAssembler assembler;
    private final String clientId;
    private final GroupWorker worker;
    private final Duration deliveryTimeout;
    private final Map<String, Long> missingDatasets = new LinkedHashMap<>(16, 0.75f, true);
    private volatile Throwable failure;
    private final AtomicLong analysed = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong datasetWaits = new AtomicLong();
    private volatile double lastAnalysisSeconds;
    private volatile boolean running = true;

    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /** How often a waiting snapshot looks for its dataset again. */
    public static final Duration DATASET_RETRY = Duration.ofMillis(250);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private final AnalyzerMeters meters;
    private final KafkaClientMetrics consumerMetrics;
    private final KafkaClientMetrics producerMetrics;

    /** An analyzer with the default limits whose meters go to the global Micrometer registry. */
    public AnalyzerLoop(KafkaSettings settings, AnalyzerConfig config) {
        this(settings, config, AnalyzerLimits.defaults(), io.micrometer.core.instrument.Metrics.globalRegistry);
    }

    /** An analyzer whose meters go to {@code registry}. */
    public AnalyzerLoop(KafkaSettings settings, AnalyzerConfig config, AnalyzerLimits limits,
            io.micrometer.core.instrument.MeterRegistry registry) {
        this(settings, config, limits, registry, null, null);
    }

    /** With given Kafka clients (null: real ones from {@code settings}); tests use MockConsumer and MockProducer. */
    AnalyzerLoop(KafkaSettings settings, AnalyzerConfig config, AnalyzerLimits limits, io.micrometer.core.instrument.MeterRegistry registry,
            Consumer<String, byte[]> consumer, Producer<String, byte[]> producer) {
        this.settings = settings;
        this.config = config;
        this.limits = limits;
        this.deliveryTimeout = settings.deliveryTimeout();
        this.assembler = new ChunkAssembler(64, limits.maxPendingBytes(), limits.maxPayloadAge().toMillis());
        // a client id of its own per analyzer: the Kafka client meters are told apart by it (two analyzers share a registry in eos demo)
        this.clientId = "eos-analyzer-" + ProcessHandle.current().pid() + "-" + INSTANCES.incrementAndGet();
        this.consumer = consumer != null ? consumer : new KafkaConsumer<>(settings.consumer(clientId, config.group()));
        this.producer = producer != null ? producer : new KafkaProducer<>(settings.acknowledgedProducer(clientId + "-producer"));
        this.worker = new GroupWorker(this.consumer, settings.topics().snapshots(), new Snapshots(),
                GroupWorker.Limits.defaults().withCapacity(limits.queuedSnapshots()), clientId);
        this.meters = new AnalyzerMeters(registry, config.group(), clientId, worker);
        List<Tag> tags = List.of(Tag.of("component", "analyzer"));
        this.consumerMetrics = this.consumer instanceof KafkaConsumer<String, byte[]> kc ? new KafkaClientMetrics(kc, tags) : null;
        this.producerMetrics = this.producer instanceof KafkaProducer<String, byte[]> kp ? new KafkaClientMetrics(kp, tags) : null;
        if (consumerMetrics != null) {
            consumerMetrics.bindTo(registry);
        }
        if (producerMetrics != null) {
            producerMetrics.bindTo(registry);
        }
        this.datasets = new DatasetStore(settings, limits.maxPendingBytes(), (record, reason) -> {
            try {
                deadLetter(record, reason);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new org.apache.kafka.common.errors.InterruptException(e);
            }
        });
        this.analysis = new SnapshotAnalysis(config, 8);
    }

    @Override
    public void run() {
        LOG.info("analyzer {} joining group {} on {} (analysis id {})", clientId, config.group(), settings.bootstrapServers(),
                config.analysisId());
        try {
            worker.run();
        } catch (RuntimeException | Error e) {
            if (running) {
                failure = e;
                LOG.error("analyzer {} in group {} stopped: {}", clientId, config.group(), e.toString(), e);
                throw e;
            }
        }
    }

    /** What the poll thread does with snapshot records: assembles payloads and queues their analysis. */
    private final class Snapshots implements GroupWorker.Handler {
        @Override
        public void accept(ConsumerRecord<String, byte[]> r, GroupWorker.Sink out) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            try {
                Optional<ChunkAssembler.Payload> payload = assembler.accept(r);
                if (payload.isPresent()) {
                    ChunkAssembler.Payload p = payload.get();
                    String coalesce = config.lagPolicy().equals("latest") ? p.key() : null;
                    out.submit(new GroupWorker.Work(tp, p.firstOffset(), coalesce, () -> analyseAndPublish(p, r)));
                }
            } catch (MalformedRecordException e) {
                out.submit(deadLetterWork(r, e.getMessage()));
            }
            assembler.expire(r.partition(), r.timestamp());
            submitAbandoned(out);
        }

        @Override
        public void tick(Set<TopicPartition> caughtUp, GroupWorker.Sink out) {
            for (TopicPartition tp : caughtUp) {
                assembler.expire(tp.partition(), System.currentTimeMillis());
            }
            submitAbandoned(out);
        }

        @Override
        public long heldFrom(TopicPartition partition) {
            return assembler.oldestPendingOffset(partition.partition());
        }

        @Override
        public void released(Collection<TopicPartition> partitions) {
            partitions.forEach(tp -> assembler.release(tp.partition()));
            meters.pendingBytes.set(assembler.pendingBytes());
        }

        /** Dead-letters what the assembler gave up (the committed offset then moves past it). */
        private void submitAbandoned(GroupWorker.Sink out) {
            for (ChunkAssembler.Abandoned a : assembler.drainAbandoned()) {
                meters.abandoned.increment();
                out.submit(deadLetterWork(a.first(), a.reason()));
            }
            meters.pendingBytes.set(assembler.pendingBytes());
        }
    }

    private GroupWorker.Work deadLetterWork(ConsumerRecord<String, byte[]> r, String reason) {
        return new GroupWorker.Work(new TopicPartition(r.topic(), r.partition()), r.offset(), null, () -> deadLetter(r, reason));
    }

    /** A dataset, waiting for it once if it is not there yet: a producer that does not wait for its acknowledgement may still be writing it. */
    private Optional<LabeledData> dataset(String hash) throws InterruptedException {
        return waitFor(hash, datasets::get);
    }

    /** A TorchScript module from the datasets topic, waited for like a dataset. */
    private Optional<byte[]> module(String hash) throws InterruptedException {
        return waitFor(hash, datasets::module);
    }

    private <T> Optional<T> waitFor(String hash, java.util.function.Function<String, Optional<T>> lookup) throws InterruptedException {
        Optional<T> data = lookup.apply(hash);
        Long missingAt = missingDatasets.get(hash);
        if (data.isPresent() || (missingAt != null && missingAt == datasets.indexed())) {
            return data; // found, or known missing with nothing new written since
        }
        long deadline = System.nanoTime() + limits.datasetWait().toNanos();
        while (data.isEmpty() && System.nanoTime() < deadline) {
            if (!running) {
                throw new InterruptedException("stopped while waiting for " + hash); // a stop, not a missing dataset
            }
            datasetWaits.incrementAndGet();
            Thread.sleep(DATASET_RETRY.toMillis());
            data = lookup.apply(hash);
        }
        if (data.isEmpty()) {
            missingDatasets.put(hash, datasets.indexed());
            if (missingDatasets.size() > 1000) {
                missingDatasets.remove(missingDatasets.keySet().iterator().next());
            }
        }
        return data;
    }

    /** On the worker thread: decodes, analyses and publishes one snapshot, or dead-letters it with the reason. */
    private void analyseAndPublish(ChunkAssembler.Payload payload, ConsumerRecord<String, byte[]> last) throws InterruptedException {
        ModelState model;
        try {
            model = PayloadDecoder.snapshot(payload);
        } catch (MalformedRecordException e) {
            deadLetter(last, e.getMessage());
            return;
        }
        String run = model.metadata().get("run");
        long step = Long.parseLong(model.metadata().get("step"));
        try {
            Optional<LabeledData> data = dataset(model.metadata().get("dataset"));
            if (data.isEmpty()) {
                deadLetter(last, "snapshot " + run + "@" + step + ": its dataset " + model.metadata().get("dataset")
                        + " is not in the datasets topic (waited " + limits.datasetWait().toSeconds() + " s)");
                return;
            }
            if (data.get().inputWidth() != model.inputWidth() || data.get().labelBound() > model.classes()) {
                deadLetter(last, "snapshot " + run + "@" + step + ": the model (" + model.architecture()
                        + ") does not fit its dataset (width " + data.get().inputWidth() + ")");
                return;
            }
            byte[] module = null;
            if (model instanceof ScriptedParameters scripted) {
                String hash;
                try {
                    hash = analysis.moduleOf(scripted);
                } catch (IllegalArgumentException e) {
                    deadLetter(last, "snapshot " + run + "@" + step + ": " + e.getMessage());
                    return;
                }
                Optional<byte[]> found = module(hash);
                if (found.isEmpty()) {
                    deadLetter(last, "snapshot " + run + "@" + step + ": its TorchScript module " + hash
                            + " is not in the datasets topic (waited " + limits.datasetWait().toSeconds() + " s)");
                    return;
                }
                module = found.get();
            }
            long started = System.nanoTime();
            io.eoscope.wire.MetricsRecord metrics = analysis.analyse(model, data.get(), module);
            lastAnalysisSeconds = (System.nanoTime() - started) / 1e9;
            Delivery.send(producer, io.eoscope.wire.Records.metrics(settings.topics(), metrics), deliveryTimeout,
                    "the metrics of " + run + "@" + step); // acknowledged before the offsets move on
            analysed.incrementAndGet();
            meters.analysed(lastAnalysisSeconds, productsOf(metrics.json()), stagesOf(metrics.json()));
            LOG.debug("analysed {}@{} in {} s", run, step, lastAnalysisSeconds);
        } catch (UnusablePayloadException e) { // its dataset record was dead-lettered with the reason
            deadLetter(last, "snapshot " + run + "@" + step + ": its " + e.getMessage());
        } catch (EigenSolveException e) { // a number that could not be computed is an error, never a value
            deadLetter(last, "snapshot " + run + "@" + step + ": eigen-solve failed: " + e.getMessage());
        } catch (IllegalStateException e) {
            throw e; // the broker did not take a record: not survivable here
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            throw new InterruptedException("stopped while reading the datasets topic"); // a stop, not the snapshot's fault
        } catch (org.apache.kafka.common.KafkaException e) { // the broker (a timeout, an ACL), not the snapshot: stop, loudly
            throw new IllegalStateException("the datasets topic could not be read for " + run + "@" + step + ": " + e, e);
        } catch (RuntimeException e) {
            deadLetter(last, "snapshot " + run + "@" + step + ": analysis failed: " + e);
        }
    }

    private void deadLetter(ConsumerRecord<String, byte[]> r, String reason) throws InterruptedException {
        LOG.warn("dead letter {}/{}@{}: {}", r.topic(), r.partition(), r.offset(), io.eoscope.wire.DeadLetter.brief(reason));
        Delivery.send(producer, io.eoscope.wire.Records.deadLetter(settings.topics(), r, reason), deliveryTimeout,
                "a dead letter of " + r.topic() + "/" + r.partition() + "@" + r.offset());
        deadLetters.incrementAndGet();
        meters.deadLetters.increment();
    }

    /** When this analyzer last heard from the broker (epoch ms; 0: never). */
    public long brokerContactMillis() {
        return worker.brokerContactMillis();
    }

    /** Why the loop stopped on its own, or null while it runs (or after a requested stop). */
    public Throwable failure() {
        return failure;
    }

    /** This analyzer's Kafka client id (its {@code member} tag). */
    public String clientId() {
        return clientId;
    }

    /** The analysis's own stage times ({@code stage_seconds}), empty when it has none. */
    private static Map<String, Double> stagesOf(JsonObject metrics) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (metrics.has("stage_seconds") && metrics.get("stage_seconds").isJsonObject()) {
            metrics.getAsJsonObject("stage_seconds").entrySet().forEach(e -> {
                if (e.getValue().isJsonPrimitive() && e.getValue().getAsJsonPrimitive().isNumber()) {
                    out.put(e.getKey(), e.getValue().getAsDouble());
                }
            });
        }
        return out;
    }

    private static long productsOf(JsonObject metrics) {
        long n = 0;
        for (String key : new String[] {"hessian", "gauss_newton", "residual", "stability"}) {
            if (metrics.has(key) && !(key.equals("stability") && metrics.getAsJsonObject(key).getAsJsonPrimitive("quantity")
                    .getAsString().equals("sharpness"))) { // a GD run's stability reuses the Hessian's solve
                n += metrics.getAsJsonObject(key).get("products").getAsLong();
            }
        }
        return n;
    }

    /** Snapshots analysed and published. */
    public long analysed() {
        return analysed.get();
    }

    /** Times a snapshot's dataset was not in the datasets topic yet and the analyzer waited to look again. */
    public long datasetWaits() {
        return datasetWaits.get();
    }

    /** Records sent to the dead-letter topic. */
    public long deadLetters() {
        return deadLetters.get();
    }

    /** Snapshots skipped by the {@code latest} lag policy. */
    public long skipped() {
        return worker.skipped();
    }

    /** Records behind the end of the assigned partitions, at the last broker check. */
    public long lag() {
        return worker.lag();
    }

    /** Commits the group refused during a rebalance: their snapshots are delivered again (at-least-once). */
    public long redelivered() {
        return worker.commitsLost();
    }

    /** Seconds the last analysis took. */
    public double lastAnalysisSeconds() {
        return lastAnalysisSeconds;
    }

    /**
     * Asks the loop to end (thread-safe): the running analysis is interrupted where it waits (for a dataset, for
     * an acknowledgement) and waited for at most {@link GroupWorker.Limits#stopWait()}; what it had not published
     * is delivered again to the next owner.
     */
    public void requestStop() {
        running = false;
        worker.requestStop();
    }

    @Override
    public void close() {
        meters.close();
        if (consumerMetrics != null) {
            consumerMetrics.close(); // removes its meters from the registry before the client goes
        }
        if (producerMetrics != null) {
            producerMetrics.close();
        }
        consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        producer.close(CLOSE_TIMEOUT);
        if (worker.working()) { // an analysis that ignored its interrupt still holds the engine: the process ends it
            LOG.warn("analyzer {}: an analysis is still running at close; its native memory is left to the process's end", clientId);
            return;
        }
        datasets.close();
        analysis.close();
    }
}
