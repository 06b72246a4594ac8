package io.eoscope.analyzer;

import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.wire.Records;
import io.eoscope.wire.ReplayRequest;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves replay requests ({@link ReplayRequest}, published by the gateway on the {@code replays} topic): a
 * member of the consumer group {@code GROUP-replays}, so each request is served by one analyzer. A request
 * runs {@link Replay} with this analyzer's options, its {@code top_k} and {@code tol}, under its
 * {@code analysis_id}; it is committed when done (a request re-delivered after a crash is replayed again, which
 * rewrites the same metrics keys). An invalid request, one under the live analysis id, or one for a run with no
 * snapshot in range, is dead-lettered with the reason. One request is served at a time per analyzer, on a
 * thread of its own while the consumer keeps polling (paused), so a long replay holds up the next requests
 * for this analyzer, never the group.
 */
public final class ReplayService implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplayService.class);
    private final KafkaSettings settings;
    private final AnalyzerConfig config;
    private final AnalyzerLimits limits;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private volatile boolean running = true;
    private final ExecutorService worker;
    private volatile Future<Void> busy;
    private volatile long served;

    public ReplayService(KafkaSettings settings, AnalyzerConfig config, AnalyzerLimits limits, String clientId) {
        this.settings = settings;
        this.config = config;
        this.limits = limits;
        Properties p = settings.consumer(clientId + "-replays", config.group() + "-replays");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1"); // a replay takes long: one request per poll
        this.consumer = new KafkaConsumer<>(p);
        this.producer = new KafkaProducer<>(settings.producer(clientId + "-replays"));
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, clientId + "-replay");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(settings.topics().replays()), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                if (busy != null) {
                    consumer.pause(partitions); // one replay at a time: the rest wait in the topic
                }
            }
        });
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    serveWhilePolling(r);
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            worker.shutdownNow();
        }
    }

    /**
     * Serves one request on a worker thread while this thread keeps polling with its partitions paused: the
     * group stays alive (a rebalance completes, an analyzer that joins gets partitions at once) however long the
     * replay takes. The offset is committed when it is done; if the partition moved to another analyzer meanwhile,
     * that one serves the request again (at-least-once: the same metrics keys are rewritten).
     */
    private void serveWhilePolling(ConsumerRecord<String, byte[]> r) throws InterruptedException {
        consumer.pause(consumer.assignment());
        busy = worker.submit(() -> {
            serve(r);
            return null;
        });
        try {
            while (!busy.isDone()) {
                consumer.poll(Duration.ofMillis(500)); // paused: returns nothing, keeps the membership
                if (!running) {
                    busy.cancel(true);
                    return;
                }
            }
            try {
                busy.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            }
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            if (consumer.assignment().contains(tp)) {
                try {
                    consumer.commitSync(Map.of(tp, new OffsetAndMetadata(r.offset() + 1)));
                } catch (org.apache.kafka.common.errors.RetriableException | org.apache.kafka.clients.consumer.CommitFailedException e) {
                    LOG.warn("replay request {}/{}@{} served but not committed ({}): it may be served again", r.topic(),
                            r.partition(), r.offset(), e.toString());
                }
            }
        } finally {
            busy = null;
            consumer.resume(consumer.assignment());
        }
    }

    private void serve(ConsumerRecord<String, byte[]> r) throws InterruptedException {
        ReplayRequest request;
        try {
            request = ReplayRequest.parse(r.value());
        } catch (MalformedRecordException e) {
            deadLetter(r, "replay request: " + e.getMessage());
            return;
        }
        if (request.analysisId().equals(config.analysisId())) {
            deadLetter(r, "replay request: analysis_id '" + request.analysisId() + "' is the live analysis; a replay needs an id of its own");
            return;
        }
        AnalysisOptions o = config.options();
        AnalyzerConfig replay;
        try {
            replay = new AnalyzerConfig(request.analysisId(), new AnalysisOptions(request.topK(), request.tol(), o.solver(),
                    o.spectra(), o.layerwise(), o.chunkSize(), o.subsample(), o.layerSpectra(), o.dualGramLimit(), o.maxProducts(),
                    o.seed()), config.dtype(), config.device(), config.group(), "all");
        } catch (IllegalArgumentException e) {
            deadLetter(r, "replay request " + request.analysisId() + ": " + e.getMessage());
            return;
        }
        LOG.info("serving replay '{}' of {} (steps {}..{}, top_k {}, tol {})", request.analysisId(), request.run(), request.from(),
                request.to(), request.topK(), request.tol());
        try {
            Replay.Result result = Replay.run(settings, replay, limits, request.run(), request.from(), request.to(), (d, t) -> { });
            served++;
            LOG.info("replay '{}' of {}: {} snapshots analysed, {} dead-lettered", request.analysisId(), request.run(),
                    result.analysed(), result.failed());
        } catch (IllegalArgumentException e) {
            deadLetter(r, "replay request " + request.analysisId() + ": " + e.getMessage());
        }
    }

    /** Requests served. */
    public long served() {
        return served;
    }

    private void deadLetter(ConsumerRecord<String, byte[]> r, String reason) throws InterruptedException {
        LOG.warn("dead letter {}/{}@{}: {}", r.topic(), r.partition(), r.offset(), io.eoscope.wire.DeadLetter.brief(reason));
        try {
            producer.send(Records.deadLetter(settings.topics(), r, reason)).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish a dead letter: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Asks the service to end after the current request (thread-safe). */
    public void requestStop() {
        running = false;
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close();
        producer.close();
    }
}
