package io.eoscope.analyzer;

import io.eoscope.wire.KafkaSettings;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.WakeupException;

/**
 * One analyzer: a consumer-group member that analyses snapshots. Thin wiring: the {@link AnalyzerLoop}
 * runs on a worker of its own, never on the event loop; {@link #stop} wakes it and closes its clients.
 * Deploy several (in one process or many) to share the partitions.
 */
public final class AnalyzerVerticle extends AbstractVerticle {
    private final KafkaSettings kafka;
    private final AnalyzerConfig config;
    private AnalyzerLoop loop;
    private WorkerExecutor worker;
    private Future<Void> finished;

    private final io.micrometer.core.instrument.MeterRegistry registry;

    /** An analyzer whose meters go to the global Micrometer registry. */
    public AnalyzerVerticle(KafkaSettings kafka, AnalyzerConfig config) {
        this(kafka, config, io.micrometer.core.instrument.Metrics.globalRegistry);
    }

    /** An analyzer whose meters go to {@code registry} (the gateway's, or a test's). */
    public AnalyzerVerticle(KafkaSettings kafka, AnalyzerConfig config, io.micrometer.core.instrument.MeterRegistry registry) {
        this.kafka = kafka;
        this.config = config;
        this.registry = registry;
    }

    @Override
    public void start(Promise<Void> started) {
        worker = vertx.createSharedWorkerExecutor("eos-analyzer-" + deploymentID(), 1, 365, TimeUnit.DAYS);
        worker.executeBlocking(() -> new AnalyzerLoop(kafka, config, registry), false).onSuccess(l -> {
            loop = l;
            finished = worker.executeBlocking(() -> {
                try {
                    loop.run();
                } catch (WakeupException e) {
                    // stop() woke the consumer
                } finally {
                    loop.close();
                }
                return null;
            }, false);
            started.complete();
        }).onFailure(started::fail);
    }

    /** The running loop (its counters), or null before start. */
    public AnalyzerLoop loop() {
        return loop;
    }

    /** Completes when the loop has ended (after stop, or on a fatal error). */
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
        finished.onComplete(ar -> {
            worker.close();
            stopped.complete();
        });
    }
}
