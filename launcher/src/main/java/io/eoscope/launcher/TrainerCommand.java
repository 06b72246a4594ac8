package io.eoscope.launcher;

import io.eoscope.curvature.io.InputException;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.RunDirectory;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.run.TrainingRun;
import io.eoscope.trainer.stream.SnapshotPublisher;
import io.eoscope.trainer.stream.StreamOptions;
import io.eoscope.wire.KafkaSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code eos trainer}: the trainer service. Runs the training job of a run.json (as {@code eos train}
 * writes it, or a Helm value renders it) and streams it to {@code --bootstrap-servers}; or, with
 * {@code --resume DIR}, continues a run that stopped (a crash, a restarted pod) and its stream.
 */
@Command(name = "trainer", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The trainer service: trains the run described by --config (a run.json, as eos train writes",
            "it) into --out and streams its configuration, dataset, telemetry and snapshots to Kafka.",
            "--resume DIR instead continues the run in DIR from its newest snapshot, and its stream from",
            "where the stream got. Exit status 1 when the run fails (published as failed, with the reason)."})
final class TrainerCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "RUN.JSON", description = "the run's configuration (a new run; with --out)")
    Path config;

    @Option(names = "--out", paramLabel = "DIR", description = "where the new run's files go (a fresh directory)")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR", description = "continue the run in DIR (instead of --config and --out)")
    Path resume;

    @Option(names = "--delivery-timeout-seconds", defaultValue = "120", paramLabel = "S",
            description = "a record not acknowledged by the broker within S seconds is lost, and stops the run (default: ${DEFAULT-VALUE})")
    long deliveryTimeoutSeconds;

    @Option(names = "--heartbeat-seconds", defaultValue = "10", paramLabel = "S",
            description = "a heartbeat on the telemetry topic every S seconds, 1 to 30 (default: ${DEFAULT-VALUE})")
    long heartbeatSeconds;

    @Mixin
    KafkaOptions kafka;

    @Override
    public Integer call() throws Exception {
        StreamOptions stream = UsageException.fromOptions(() -> StreamOptions.ofSeconds(deliveryTimeoutSeconds, heartbeatSeconds));
        if (resume != null && (config != null || out != null)) {
            throw new UsageException("--resume DIR takes the run's configuration and files from DIR:"
                    + " give it without --config and --out");
        }
        if (resume == null && (config == null || out == null)) {
            throw new UsageException("give --config RUN.JSON and --out DIR for a new run, or --resume DIR");
        }
        KafkaSettings settings = kafka.required();
        RunConfig run;
        if (resume != null) {
            run = RunDirectory.config(resume);
        } else {
            String text;
            try {
                text = Files.readString(config, StandardCharsets.UTF_8);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new InputException(config + ": no such file");
            }
            run = RunConfig.fromJson(text, config.toString());
        }
        kafka.createTopics(settings, "eos-trainer");
        TrainingRun.Outcome outcome;
        try (SnapshotPublisher publisher = new SnapshotPublisher(settings, stream, new TrainingListener() {
            private long last;

            @Override
            public void stepped(io.eoscope.trainer.solve.StepRecord r) {
                if (System.nanoTime() - last > 10_000_000_000L) {
                    last = System.nanoTime();
                    System.err.printf(Locale.ROOT, "eos trainer: %s step %d t=%.4g loss=%.5g%n", run.run(), r.step(), r.time(), r.loss());
                }
            }
        })) {
            outcome = publisher.publish(() -> resume != null ? TrainingRun.resume(resume, publisher)
                    : TrainingRun.start(run, out, publisher));
        }
        System.err.printf(Locale.ROOT, "eos trainer: %s finished: %d steps, loss %.6g%n", run.run(), outcome.steps(), outcome.loss());
        return 0;
    }
}
