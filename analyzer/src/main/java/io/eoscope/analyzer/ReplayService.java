package io.eoscope.analyzer;

import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.wire.Delivery;
import io.eoscope.wire.GroupWorker;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.wire.Records;
import io.eoscope.wire.ReplayRequest;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves replay requests ({@link ReplayRequest}, published by the gateway on the {@code replays} topic): a
 * member of the consumer group {@code GROUP-replays}, so each request is served by one analyzer. A request
 * runs {@link Replay} with this analyzer's options, its {@code top_k} and {@code tol}, under its
 * {@code analysis_id}; it is committed when done (a request re-delivered after a crash is replayed again, which
 * rewrites the same metrics keys). An invalid request, one under the live analysis id, or one for a run with no
 * snapshot in range, is dead-lettered with the reason; so is one whose snapshots have all expired (retention), naming
 * the steps and the topic's retention, and one served in part because some had (what was there is analysed). One request is served at a time per analyzer, on the
 * {@link GroupWorker}'s worker thread while the consumer keeps polling (paused), so a long replay holds up the
 * next requests for this analyzer, never the group.
 */
public final class ReplayService implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplayService.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private final KafkaSettings settings;
    private final AnalyzerConfig config;
    private final AnalyzerLimits limits;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final GroupWorker worker;
    private volatile long served;
    private volatile long partlyExpired;

    public ReplayService(KafkaSettings settings, AnalyzerConfig config, AnalyzerLimits limits, String clientId) {
        this.settings = settings;
        this.config = config;
        this.limits = limits;
        Properties p = settings.consumer(clientId + "-replays", config.group() + "-replays");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1"); // a replay takes long: one request per poll
        this.consumer = new KafkaConsumer<>(p);
        this.producer = new KafkaProducer<>(settings.acknowledgedProducer(clientId + "-replays"));
        GroupWorker.Handler requests = (r, out) -> out.submit(
                new GroupWorker.Work(new TopicPartition(r.topic(), r.partition()), r.offset(), null, () -> serve(r)));
        this.worker = new GroupWorker(consumer, settings.topics().replays(), requests, GroupWorker.Limits.defaults().withCapacity(1),
                clientId + "-replays");
    }

    @Override
    public void run() {
        worker.run();
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
                    o.seed(), o.batchSharpness()), config.dtype(), config.device(), config.group(), "all");
        } catch (IllegalArgumentException e) {
            deadLetter(r, "replay request " + request.analysisId() + ": " + e.getMessage());
            return;
        }
        LOG.info("serving replay '{}' of {} (steps {}..{}, top_k {}, tol {})", request.analysisId(), request.run(), request.from(),
                request.to(), request.topK(), request.tol());
        try {
            Replay.Result result = Replay.run(settings, replay, limits, request.run(), request.from(), request.to(), (d, t) -> { });
            LOG.info("replay '{}' of {}: {} snapshots analysed, {} dead-lettered", request.analysisId(), request.run(),
                    result.analysed(), result.failed());
            if (result.warning().isPresent()) {
                // served in part: the requester learns what had expired from the dead letter of the request
                deadLetter(r, "replay request " + request.analysisId() + ": served in part: " + result.warning().get());
                partlyExpired++;
            }
            served++;
        } catch (IllegalArgumentException e) { // the range, or no snapshot left (Replay.SnapshotsExpired says what expired)
            deadLetter(r, "replay request " + request.analysisId() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            // the replay could not go on (the broker too slow or gone): the live analysis is not stopped for it; the request
            // is dead-lettered with the reason (if the broker takes nothing, that fails too, and then the analyzer stops)
            LOG.error("replay '{}' of {} failed: {}", request.analysisId(), request.run(), e.toString(), e);
            deadLetter(r, "replay request " + request.analysisId() + ": the replay failed: " + e);
        }
    }

    /** Requests served. */
    public long served() {
        return served;
    }

    /** Requests served in part because some of their snapshots had expired (each also dead-lettered with what). */
    public long partlyExpired() {
        return partlyExpired;
    }

    private void deadLetter(ConsumerRecord<String, byte[]> r, String reason) throws InterruptedException {
        LOG.warn("dead letter {}/{}@{}: {}", r.topic(), r.partition(), r.offset(), io.eoscope.wire.DeadLetter.brief(reason));
        Delivery.send(producer, Records.deadLetter(settings.topics(), r, reason), settings.deliveryTimeout(),
                "a dead letter of " + r.topic() + "/" + r.partition() + "@" + r.offset());
    }

    /** Asks the service to end (thread-safe): the running replay is interrupted where it waits. */
    public void requestStop() {
        worker.requestStop();
    }

    @Override
    public void close() {
        consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        producer.close(CLOSE_TIMEOUT);
    }
}
