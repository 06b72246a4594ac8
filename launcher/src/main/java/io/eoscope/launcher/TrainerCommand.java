package io.eoscope.launcher;

import io.eoscope.curvature.io.InputException;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.run.TrainingRun;
import io.eoscope.trainer.stream.SnapshotPublisher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code eos trainer}: the trainer service. Runs the training job of a run.json (as {@code eos train}
 * writes it, or a Helm value renders it) and streams it to {@code --bootstrap-servers}.
 */
@Command(name = "trainer", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The trainer service: trains the run described by --config (a run.json, as eos train writes",
            "it) and streams its configuration, dataset, telemetry and snapshots to Kafka."})
final class TrainerCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "RUN.JSON", description = "the run's configuration")
    Path config;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "where the run's files go (a fresh directory)")
    Path out;

    @Mixin
    KafkaOptions kafka;

    @Override
    public Integer call() throws Exception {
        String text;
        try {
            text = Files.readString(config, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new InputException(config + ": no such file");
        }
        RunConfig run = RunConfig.fromJson(text, config.toString());
        KafkaSettings settings = kafka.required();
        try (Admin admin = Admin.create(settings.admin("eos-trainer-admin"))) {
            settings.topics().create(admin, kafka.partitions, (short) 1);
        }
        TrainingRun.Outcome outcome;
        try (SnapshotPublisher publisher = new SnapshotPublisher(settings, new TrainingListener() {
            private long last;

            @Override
            public void stepped(io.eoscope.trainer.solve.StepRecord r) {
                if (System.nanoTime() - last > 10_000_000_000L) {
                    last = System.nanoTime();
                    System.err.printf(Locale.ROOT, "eos trainer: %s step %d t=%.4g loss=%.5g%n", run.run(), r.step(), r.time(), r.loss());
                }
            }
        })) {
            outcome = publisher.publish(() -> TrainingRun.start(run, out, publisher));
        }
        System.err.printf(Locale.ROOT, "eos trainer: %s finished: %d steps, loss %.6g%n", run.run(), outcome.steps(), outcome.loss());
        return 0;
    }
}
