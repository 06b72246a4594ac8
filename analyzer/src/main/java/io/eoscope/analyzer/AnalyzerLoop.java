package io.eoscope.analyzer;

import com.google.gson.JsonObject;
import io.eoscope.curvature.eigen.EigenSolveException;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.ModelState;
import io.eoscope.curvature.net.ScriptedParameters;
import io.eoscope.streaming.Messages;
import io.eoscope.wire.ChunkAssembler;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The analyzer's consumer loop, plain Java: a member of a consumer group on {@code snapshots};
 * reassembles chunked snapshots, analyses each (or, under the {@code latest} lag policy, only each
 * run's newest of a batch), publishes the metrics record and waits for its acknowledgement, and only
 * then commits the offsets it has finished (at-least-once; the metrics keys make re-delivery
 * idempotent). Records that cannot be decoded or analysed go to {@code deadletter} with the reason
 * and are counted; the loop keeps running. Besides the {@link AnalyzerMeters}, its consumer's and producer's own
 * Kafka client meters ({@code kafka.consumer.*}, {@code kafka.producer.*}, tag {@code component=analyzer}) go to the
 * same registry while the loop is open. Chunk assembly is bounded ({@link AnalyzerLimits}): a payload over the
 * bytes bound, or one whose next chunk never comes, is dead-lettered with the reason and the committed offset moves
 * past it. An error the loop cannot survive (the broker refusing a dead letter or a metrics record for good)
 * ends {@link #run} with that exception; {@link #failure()} keeps it for health checks.
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
    private final Map<String, Long> missingDatasets = new LinkedHashMap<>(16, 0.75f, true);
    private volatile long brokerContactMillis;
    private volatile Throwable failure;
    private long lastCheckMillis;
    private final AtomicLong analysed = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong datasetWaits = new AtomicLong();
    private final AtomicLong lag = new AtomicLong();
    private volatile double lastAnalysisSeconds;
    private volatile boolean running = true;

    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /** How often a waiting snapshot looks for its dataset again. */
    public static final Duration DATASET_RETRY = Duration.ofMillis(250);
    /** How often a busy loop asks the broker for the end offsets (an idle one: every second), and how long it waits for the answer. */
    private static final Duration BROKER_CHECK = Duration.ofSeconds(5);
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
        this.settings = settings;
        this.config = config;
        this.limits = limits;
        this.assembler = new ChunkAssembler(64, limits.maxPendingBytes(), limits.maxPayloadAge().toMillis());
        // a client id of its own per analyzer: the Kafka client meters are told apart by it (two analyzers share a registry in eos demo)
        this.clientId = "eos-analyzer-" + ProcessHandle.current().pid() + "-" + INSTANCES.incrementAndGet();
        this.meters = new AnalyzerMeters(registry, config.group(), clientId);
        this.consumer = new KafkaConsumer<>(settings.consumer(clientId, config.group()));
        this.producer = new KafkaProducer<>(settings.producer(clientId + "-producer"));
        List<Tag> tags = List.of(Tag.of("component", "analyzer"));
        this.consumerMetrics = new KafkaClientMetrics(consumer, tags);
        consumerMetrics.bindTo(registry);
        this.producerMetrics = new KafkaClientMetrics(producer, tags);
        producerMetrics.bindTo(registry);
        this.datasets = new DatasetStore(settings, limits.maxPendingBytes(), this::deadLetter);
        this.analysis = new SnapshotAnalysis(config, 8);
    }

    @Override
    public void run() {
        try {
            loop();
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            if (running) {
                failure = e;
                throw e;
            }
        } catch (RuntimeException | Error e) {
            failure = e;
            LOG.error("analyzer {} in group {} stopped: {}", clientId, config.group(), e.toString(), e);
            throw e;
        }
    }

    private void loop() {
        consumer.subscribe(List.of(settings.topics().snapshots()), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                assembler.clear(); // the next owner starts from our last commit, which never passes a pending payload
                LOG.info("analyzer {} in group {} gave up partitions {}", clientId, config.group(), partitions);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                brokerContactMillis = System.currentTimeMillis();
                LOG.info("analyzer {} in group {} was assigned partitions {}", clientId, config.group(), partitions);
            }
        });
        LOG.info("analyzer {} joined group {} on {} (analysis id {})", clientId, config.group(), settings.bootstrapServers(),
                config.analysisId());
        while (running) {
            ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
            if (!records.isEmpty()) {
                brokerContactMillis = System.currentTimeMillis();
                process(records);
            }
            if (System.currentTimeMillis() - lastCheckMillis > (records.isEmpty() ? 1000 : BROKER_CHECK.toMillis())) {
                checkBroker();
            }
        }
    }

    private void process(ConsumerRecords<String, byte[]> records) {
        Map<TopicPartition, Long> done = new HashMap<>();
        List<Complete> complete = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            try {
                Optional<ChunkAssembler.Payload> payload = assembler.accept(r);
                if (payload.isPresent()) {
                    complete.add(new Complete(Messages.snapshot(payload.get()), r));
                }
            } catch (MalformedRecordException e) {
                deadLetter(r, e.getMessage());
            }
            assembler.expire(r.partition(), r.timestamp());
            deadLetterAbandoned();
            done.put(tp, r.offset() + 1);
        }
        if (config.lagPolicy().equals("latest")) {
            Map<String, Complete> newest = new LinkedHashMap<>();
            for (Complete c : complete) {
                newest.put(c.model.metadata().get("run"), c);
            }
            skipped.addAndGet(complete.size() - newest.size());
            meters.skipped.increment(complete.size() - newest.size());
            complete = new ArrayList<>(newest.values());
        }
        for (Complete c : complete) {
            analyseAndPublish(c);
        }
        if (running) { // stopped during an analysis: its snapshot may not be published, so do not move past it
            commit(done);
        }
    }

    private record Complete(ModelState model, ConsumerRecord<String, byte[]> last) {}

    /** Dead-letters what the assembler gave up (the committed offset may then move past it); whether there was any. */
    private boolean deadLetterAbandoned() {
        List<ChunkAssembler.Abandoned> gone = assembler.drainAbandoned();
        for (ChunkAssembler.Abandoned a : gone) {
            meters.abandoned.increment();
            deadLetter(a.first(), a.reason());
        }
        meters.pendingBytes.set(assembler.pendingBytes());
        return !gone.isEmpty();
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
        while (data.isEmpty() && running && System.nanoTime() < deadline) {
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

    private void analyseAndPublish(Complete c) {
        String run = c.model.metadata().get("run");
        long step = Long.parseLong(c.model.metadata().get("step"));
        try {
            Optional<LabeledData> data = dataset(c.model.metadata().get("dataset"));
            if (data.isEmpty()) {
                deadLetter(c.last, "snapshot " + run + "@" + step + ": its dataset " + c.model.metadata().get("dataset")
                        + " is not in the datasets topic (waited " + limits.datasetWait().toSeconds() + " s)");
                return;
            }
            if (data.get().inputWidth() != c.model.inputWidth() || data.get().labelBound() > c.model.classes()) {
                deadLetter(c.last, "snapshot " + run + "@" + step + ": the model (" + c.model.architecture()
                        + ") does not fit its dataset (width " + data.get().inputWidth() + ")");
                return;
            }
            byte[] module = null;
            if (c.model instanceof ScriptedParameters scripted) {
                Optional<byte[]> found = module(scripted.module());
                if (found.isEmpty()) {
                    deadLetter(c.last, "snapshot " + run + "@" + step + ": its TorchScript module " + scripted.module()
                            + " is not in the datasets topic (waited " + limits.datasetWait().toSeconds() + " s)");
                    return;
                }
                module = found.get();
            }
            long started = System.nanoTime();
            io.eoscope.wire.MetricsRecord metrics = analysis.analyse(c.model, data.get(), module);
            lastAnalysisSeconds = (System.nanoTime() - started) / 1e9;
            producer.send(io.eoscope.wire.Records.metrics(settings.topics(), metrics)).get(); // acknowledged before the offsets move on
            analysed.incrementAndGet();
            meters.analysed(lastAnalysisSeconds, productsOf(metrics.json()), stagesOf(metrics.json()));
            LOG.debug("analysed {}@{} in {} s", run, step, lastAnalysisSeconds);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish metrics: " + e.getCause().getMessage(), e.getCause());
        } catch (UnusablePayloadException e) { // its dataset record was dead-lettered with the reason
            deadLetter(c.last, "snapshot " + run + "@" + step + ": its " + e.getMessage());
        } catch (EigenSolveException e) { // a number that could not be computed is an error, never a value
            deadLetter(c.last, "snapshot " + run + "@" + step + ": eigen-solve failed: " + e.getMessage());
        } catch (RuntimeException e) {
            deadLetter(c.last, "snapshot " + run + "@" + step + ": analysis failed: " + e);
        }
    }

    private void commit(Map<TopicPartition, Long> done) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (Map.Entry<TopicPartition, Long> e : done.entrySet()) {
            long pending = assembler.oldestPendingOffset(e.getKey().partition());
            offsets.put(e.getKey(), new OffsetAndMetadata(pending >= 0 ? pending : e.getValue()));
        }
        try {
            consumer.commitSync(offsets);
        } catch (org.apache.kafka.common.errors.TimeoutException | org.apache.kafka.clients.consumer.RetriableCommitFailedException e) {
            // nothing is lost: the next commit carries these offsets too, and until then a successor re-analyses (at-least-once)
            LOG.warn("analyzer {}: offsets not committed ({}); they will be with the next batch", clientId, e.toString());
        }
    }

    private void deadLetter(ConsumerRecord<String, byte[]> r, String reason) {
        LOG.warn("dead letter {}/{}@{}: {}", r.topic(), r.partition(), r.offset(), io.eoscope.wire.DeadLetter.brief(reason));
        try {
            producer.send(io.eoscope.wire.Records.deadLetter(settings.topics(), r, reason)).get();
            deadLetters.incrementAndGet();
            meters.deadLetters.increment();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish a dead letter: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * Asks the broker for the end offsets of the assigned partitions (or, with none, for the topics): a round
     * trip that proves the broker reachable ({@link #brokerContactMillis}) and gives the lag. A partition read
     * to its end is also where a payload waiting for a chunk is judged by the wall clock.
     */
    private void checkBroker() {
        lastCheckMillis = System.currentTimeMillis();
        try {
            Set<TopicPartition> assigned = consumer.assignment();
            long total = 0;
            if (assigned.isEmpty()) {
                consumer.listTopics(BROKER_CHECK);
            } else {
                Map<TopicPartition, Long> end = consumer.endOffsets(assigned, BROKER_CHECK);
                Map<TopicPartition, Long> caughtUp = new HashMap<>();
                for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                    long position = consumer.position(e.getKey(), BROKER_CHECK);
                    long behind = Math.max(0, e.getValue() - position);
                    total += behind;
                    if (behind == 0) {
                        caughtUp.put(e.getKey(), position);
                        assembler.expire(e.getKey().partition(), System.currentTimeMillis());
                    }
                }
                lag.set(total);
                meters.lag.set(total);
                if (deadLetterAbandoned()) {
                    commit(caughtUp); // the offset moves past what was given up
                }
            }
            brokerContactMillis = System.currentTimeMillis();
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            LOG.warn("analyzer {}: the broker did not answer in {} s", clientId, BROKER_CHECK.toSeconds());
        }
    }

    /** When this analyzer last heard from the broker (epoch ms; 0: never). */
    public long brokerContactMillis() {
        return brokerContactMillis;
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
        for (String key : new String[] {"hessian", "gauss_newton", "residual"}) {
            if (metrics.has(key)) {
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
        return skipped.get();
    }

    /** Records behind the end of the assigned partitions, at the last poll. */
    public long lag() {
        return lag.get();
    }

    /** Seconds the last analysis took. */
    public double lastAnalysisSeconds() {
        return lastAnalysisSeconds;
    }

    /** Asks the loop to end after the current batch (thread-safe). */
    public void requestStop() {
        running = false;
        consumer.wakeup();
    }

    @Override
    public void close() {
        meters.close();
        consumerMetrics.close(); // removes its meters from the registry before the client goes
        producerMetrics.close();
        consumer.close();
        producer.close();
        datasets.close();
        analysis.close();
    }
}
