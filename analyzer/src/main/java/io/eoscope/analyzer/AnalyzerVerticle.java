package io.eoscope.analyzer;

import io.eoscope.wire.KafkaSettings;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One analyzer: a consumer-group member that analyses snapshots, and serves replay requests
 * ({@link ReplayService}). Thin wiring: the {@link AnalyzerLoop} and the replay service run on workers of
 * their own, never on the event loop; {@link #stop} wakes it and closes its clients.
 * Deploy several (in one process or many) to share the partitions.
 */
public final class AnalyzerVerticle extends AbstractVerticle {
    private final KafkaSettings kafka;
    private final AnalyzerConfig config;
    private final AnalyzerLimits limits;
    private static final Logger LOG = LoggerFactory.getLogger(AnalyzerVerticle.class);
    private AnalyzerLoop loop;
    private volatile ReplayService replays;
    private Future<Void> replaysFinished;
    private volatile Throwable replayFailure;
    private WorkerExecutor worker;
    private Future<Void> finished;

    private final io.micrometer.core.instrument.MeterRegistry registry;

    /** An analyzer with the default limits whose meters go to the global Micrometer registry. */
    public AnalyzerVerticle(KafkaSettings kafka, AnalyzerConfig config) {
        this(kafka, config, AnalyzerLimits.defaults(), io.micrometer.core.instrument.Metrics.globalRegistry);
    }

    /** An analyzer with the default limits whose meters go to {@code registry} (the gateway's, or a test's). */
    public AnalyzerVerticle(KafkaSettings kafka, AnalyzerConfig config, io.micrometer.core.instrument.MeterRegistry registry) {
        this(kafka, config, AnalyzerLimits.defaults(), registry);
    }

    /** An analyzer whose meters go to {@code registry}. */
    public AnalyzerVerticle(KafkaSettings kafka, AnalyzerConfig config, AnalyzerLimits limits,
            io.micrometer.core.instrument.MeterRegistry registry) {
        this.kafka = kafka;
        this.config = config;
        this.limits = limits;
        this.registry = registry;
    }

    @Override
    public void start(Promise<Void> started) {
        worker = vertx.createSharedWorkerExecutor("eos-analyzer-" + deploymentID(), 2, 365, TimeUnit.DAYS);
        // every Kafka client is built on the worker: a client's construction does blocking work (DNS, files, class loading)
        worker.executeBlocking(() -> {
            AnalyzerLoop l = new AnalyzerLoop(kafka, config, limits, registry);
            try {
                replays = new ReplayService(kafka, config, limits, l.clientId());
            } catch (RuntimeException | Error e) {
                l.close();
                throw e;
            }
            return l;
        }, false).onSuccess(l -> {
            loop = l;
            finished = worker.executeBlocking(() -> {
                try {
                    loop.run(); // logs and rethrows what it cannot survive: finished() then fails with it
                } finally {
                    loop.close();
                }
                return null;
            }, false);
            replaysFinished = worker.executeBlocking(() -> {
                try {
                    replays.run();
                } catch (RuntimeException | Error e) {
                    replayFailure = e;
                    LOG.error("the replay service of {} stopped: {}", loop.clientId(), e.toString(), e);
                    throw e;
                } finally {
                    replays.close();
                }
                return null;
            }, false);
            started.complete();
        }).onFailure(started::fail);
    }

    /** Why this analyzer (its loop or its replay service) stopped on its own, or null while it runs. */
    public Throwable failure() {
        return loop == null ? null : loop.failure() != null ? loop.failure() : replayFailure;
    }

    /** The replay service (its counters), or null before start. */
    public ReplayService replays() {
        return replays;
    }

    /** The running loop (its counters), or null before start. */
    public AnalyzerLoop loop() {
        return loop;
    }

    /** Completes when the loop has ended after stop; fails with the error when it ended on its own. */
    public Future<Void> finished() {
        return finished;
    }

    @Override
    public void stop(Promise<Void> stopped) {
        if (loop == null) {
            stopped.complete();
            return;
        }
        loop.requestStop();
        replays.requestStop();
        finished.eventually(() -> replaysFinished).onComplete(ar -> {
            worker.close();
            stopped.complete();
        });
    }
}
