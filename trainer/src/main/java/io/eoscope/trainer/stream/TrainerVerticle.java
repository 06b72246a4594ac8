package io.eoscope.trainer.stream;

import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.run.TrainingRun;
import io.eoscope.wire.KafkaSettings;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs one training job and streams it to Kafka. Thin wiring: the training loop ({@link TrainingRun})
 * runs on a worker of its own, never on the event loop; {@link #stop} asks it to end after the current
 * step, waits for its final snapshot to be sent, and closes the producer. {@link #finished()} fails
 * when the run did not end normally (and the runs topic then says failed, with the reason).
 */
public final class TrainerVerticle extends AbstractVerticle {
    private final RunConfig config;
    private final Path directory;
    private final boolean resume;
    private final KafkaSettings kafka;
    private final StreamOptions options;
    private final TrainingListener progress;
    private SnapshotPublisher publisher;
    private WorkerExecutor worker;
    private Future<TrainingRun.Outcome> done;

    /**
     * @param directory where the run's files go (as {@code eos train --out})
     * @param progress also told every step (a progress line), or {@link TrainingListener#NONE}
     */
    public TrainerVerticle(RunConfig config, Path directory, KafkaSettings kafka, TrainingListener progress) {
        this(config, directory, false, kafka, StreamOptions.DEFAULTS, progress);
    }

    /** A new run with the given stream options. */
    public TrainerVerticle(RunConfig config, Path directory, KafkaSettings kafka, StreamOptions options,
            TrainingListener progress) {
        this(config, directory, false, kafka, options, progress);
    }

    private TrainerVerticle(RunConfig config, Path directory, boolean resume, KafkaSettings kafka, StreamOptions options,
            TrainingListener progress) {
        this.config = config;
        this.directory = directory;
        this.resume = resume;
        this.kafka = kafka;
        this.options = options;
        this.progress = progress;
    }

    /**
     * Continues the run in {@code directory} from its newest snapshot, and its stream from where the
     * stream got (see {@link SnapshotPublisher#started}).
     *
     * @throws io.eoscope.curvature.io.InputException when the directory holds no run
     */
    public static TrainerVerticle resuming(Path directory, KafkaSettings kafka, StreamOptions options,
            TrainingListener progress) throws io.eoscope.curvature.io.InputException {
        return new TrainerVerticle(io.eoscope.trainer.run.RunDirectory.config(directory), directory, true, kafka, options,
                progress);
    }

    @Override
    public void start(Promise<Void> started) {
        worker = vertx.createSharedWorkerExecutor("eos-trainer-" + config.run(), 1, 365, TimeUnit.DAYS);
        // the Kafka producer is built on the worker too: its construction does blocking work (DNS, files, class loading)
        worker.executeBlocking(() -> new SnapshotPublisher(kafka, options, progress), false).onSuccess(p -> {
            publisher = p;
            // the run is over when this returns: marked finished, or failed with the reason, and flushed
            done = worker.executeBlocking(() -> publisher.publish(() -> resume ? TrainingRun.resume(directory, publisher)
                    : TrainingRun.start(config, directory, publisher)), false);
            started.complete();
        }).onFailure(started::fail);
    }

    /** Completes when the run has finished (its stopping rule, or a stop). */
    public Future<TrainingRun.Outcome> finished() {
        return done;
    }

    @Override
    public void stop(Promise<Void> stopped) {
        publisher.requestStop();
        done.onComplete(ar -> {
            worker.close();
            stopped.complete();
        });
    }
}
