package io.eoscope.analyzer;

import com.google.gson.JsonObject;
import io.eoscope.curvature.eigen.EigenSolveException;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.wire.ChunkAssembler;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.streaming.Messages;
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
import java.util.OptionalLong;
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

/**
 * The analyzer's consumer loop, plain Java: a member of a consumer group on {@code snapshots};
 * reassembles chunked snapshots, analyses each (or, under the {@code latest} lag policy, only each
 * run's newest of a batch), publishes the metrics record and waits for its acknowledgement, and only
 * then commits the offsets it has finished (at-least-once; the metrics keys make re-delivery
 * idempotent). Records that cannot be decoded or analysed go to {@code deadletter} with the reason
 * and are counted; the loop keeps running. Besides the {@link AnalyzerMeters}, its consumer's and producer's own
 * Kafka client meters ({@code kafka.consumer.*}, {@code kafka.producer.*}, tag {@code component=analyzer}) go to the
 * same registry while the loop is open.
 */
public final class AnalyzerLoop implements Runnable, AutoCloseable {
    private final KafkaSettings settings;
    private final AnalyzerConfig config;
    private final Consumer<String, byte[]> consumer;
    private final Producer<String, byte[]> producer;
    private final DatasetStore datasets;
    private final SnapshotAnalysis analysis;
    private final ChunkAssembler assembler = new ChunkAssembler(64);
    private final AtomicLong analysed = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong datasetWaits = new AtomicLong();
    private final AtomicLong lag = new AtomicLong();
    private volatile double lastAnalysisSeconds;
    private volatile boolean running = true;

    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /** Extra looks for a snapshot's dataset before the snapshot is dead-lettered, {@link #DATASET_RETRY} apart. */
    public static final int DATASET_ATTEMPTS = 5;
    public static final Duration DATASET_RETRY = Duration.ofSeconds(1);
    private final AnalyzerMeters meters;
    private final KafkaClientMetrics consumerMetrics;
    private final KafkaClientMetrics producerMetrics;

    /** An analyzer whose meters go to the global Micrometer registry. */
    public AnalyzerLoop(KafkaSettings settings, AnalyzerConfig config) {
        this(settings, config, io.micrometer.core.instrument.Metrics.globalRegistry);
    }

    /** An analyzer whose meters go to {@code registry}. */
    public AnalyzerLoop(KafkaSettings settings, AnalyzerConfig config, io.micrometer.core.instrument.MeterRegistry registry) {
        this.settings = settings;
        this.config = config;
        this.meters = new AnalyzerMeters(registry, config.group());
        // a client id of its own per analyzer: the Kafka client meters are told apart by it (two analyzers share a registry in eos demo)
        String clientId = "eos-analyzer-" + INSTANCES.incrementAndGet();
        this.consumer = new KafkaConsumer<>(settings.consumer(clientId, config.group()));
        this.producer = new KafkaProducer<>(settings.producer(clientId + "-producer"));
        List<Tag> tags = List.of(Tag.of("component", "analyzer"));
        this.consumerMetrics = new KafkaClientMetrics(consumer, tags);
        consumerMetrics.bindTo(registry);
        this.producerMetrics = new KafkaClientMetrics(producer, tags);
        producerMetrics.bindTo(registry);
        this.datasets = new DatasetStore(settings);
        this.analysis = new SnapshotAnalysis(config, 8);
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(settings.topics().snapshots()), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                assembler.clear(); // the next owner starts from our last commit, which never passes a pending payload
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            }
        });
        while (running) {
            ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
            if (records.isEmpty()) {
                updateLag();
                continue;
            }
            process(records);
            updateLag();
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

    private record Complete(MlpModel model, ConsumerRecord<String, byte[]> last) {}

    private void analyseAndPublish(Complete c) {
        String run = c.model.metadata().get("run");
        long step = Long.parseLong(c.model.metadata().get("step"));
        try {
            Optional<LabeledData> data = datasets.get(c.model.metadata().get("dataset"));
            for (int attempt = 1; data.isEmpty() && attempt <= DATASET_ATTEMPTS && running; attempt++) {
                // a producer that does not wait for its dataset's acknowledgement may still be writing it
                datasetWaits.incrementAndGet();
                Thread.sleep(DATASET_RETRY.toMillis());
                data = datasets.get(c.model.metadata().get("dataset"));
            }
            if (data.isEmpty()) {
                deadLetter(c.last, "snapshot " + run + "@" + step + ": its dataset " + c.model.metadata().get("dataset")
                        + " is not in the datasets topic");
                return;
            }
            if (data.get().inputWidth() != c.model.inputWidth() || data.get().labelBound() > c.model.classes()) {
                deadLetter(c.last, "snapshot " + run + "@" + step + ": the model (" + c.model.architecture()
                        + ") does not fit its dataset (width " + data.get().inputWidth() + ")");
                return;
            }
            long started = System.nanoTime();
            JsonObject metrics = analysis.analyse(c.model, data.get());
            lastAnalysisSeconds = (System.nanoTime() - started) / 1e9;
            producer.send(io.eoscope.wire.Records.json(settings.topics().metrics(), io.eoscope.wire.Records.metricsKey(run, step, config.analysisId()),
                    metrics)).get(); // acknowledged before the offsets move on
            analysed.incrementAndGet();
            meters.analysed(lastAnalysisSeconds, productsOf(metrics));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish metrics: " + e.getCause().getMessage(), e.getCause());
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
        consumer.commitSync(offsets);
    }

    private void deadLetter(ConsumerRecord<String, byte[]> r, String reason) {
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

    private void updateLag() {
        long total = 0;
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong end = consumer.currentLag(tp);
            total += end.isPresent() ? end.getAsLong() : 0;
        }
        lag.set(total);
        meters.lag.set(total);
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
        consumerMetrics.close(); // removes its meters from the registry before the client goes
        producerMetrics.close();
        consumer.close();
        producer.close();
        datasets.close();
        analysis.close();
    }
}
