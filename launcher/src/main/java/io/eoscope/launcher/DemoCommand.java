package io.eoscope.launcher;

import io.eoscope.analyzer.AnalyzerVerticle;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.stream.TrainerVerticle;
import io.eoscope.wire.KafkaSettings;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code eos demo}: everything in one process. An in-JVM KRaft broker, a trainer streaming a default
 * experiment, analyzers in a consumer group, and a live progress line; stops cleanly on Ctrl-C.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The embedded default: starts a Kafka broker inside this process, a trainer that streams",
            "a GD run's snapshots (XOR-2D, 2-32-32-2 ELU, MSE, η = 0.04: sharpness rises to 2/η and hovers),",
            "and analyzers that compute the Hessian, Gauss-Newton and residual spectra and the layerwise",
            "alignment of every snapshot. Prints a live line of step, loss, sharpness and the run's stability threshold.",
            "--optimizer adam (or momentum, nesterov, rmsprop, adamw, with their hyper-parameters, and --batch-size)",
            "trains with that rule instead, judged against its own edge (docs/science.md#other-optimizers). Ctrl-C stops it."})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--data-dir", defaultValue = "eos-demo", description = "where the broker's log and the runs live (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--analyzers", defaultValue = "2", description = "analyzer verticles in the consumer group (default: ${DEFAULT-VALUE})")
    int analyzers;

    @Option(names = "--steps", defaultValue = "1500", description = "training steps (default: ${DEFAULT-VALUE})")
    long steps;

    @Option(names = "--snapshot-every", defaultValue = "50", description = "a snapshot every k steps (default: ${DEFAULT-VALUE})")
    long snapshotEvery;

    @Option(names = "--lr", defaultValue = "0.04", description = "step size η (default: ${DEFAULT-VALUE})")
    double lr;

    @picocli.CommandLine.Mixin
    OptimizerOptions optim = new OptimizerOptions();

    @Option(names = "--dataset", defaultValue = "xor", description = "synthetic, xor, fashion-mnist, … (default: ${DEFAULT-VALUE})")
    String dataset;

    @Option(names = "--arch", defaultValue = "2-32-32-2", description = "architecture (default: ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--n", defaultValue = "64", description = "training samples (default: ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--classes", defaultValue = "2", description = "classes (default: ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--init", defaultValue = "xavier", description = "xavier or pytorch, as eos train --init (default: ${DEFAULT-VALUE})")
    String init;

    @Option(names = "--preprocess", defaultValue = "none", description = "none, center or standardize, as eos train --preprocess"
            + " (default: ${DEFAULT-VALUE})")
    String preprocess;

    @Option(names = "--port", defaultValue = "8080", description = "the gateway's port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--exit-when-done", description = "exit once every snapshot is analysed (default: keep serving the page until Ctrl-C)")
    boolean exitWhenDone;

    @Mixin
    ServiceOptions analysis;

    @Override
    public Integer call() throws Exception {
        if (analyzers < 1) {
            throw new UsageException("--analyzers must be at least 1");
        }
        String run = "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        if (snapshotEvery < 1) {
            throw new UsageException("--snapshot-every must be at least 1, got " + snapshotEvery);
        }
        if (port < 0 || port > 65535) {
            throw new UsageException("--port must be in 0..65535, got " + port);
        }
        RunConfig config = UsageException.fromOptions(() -> new RunConfig(run, dataset, null, n, classes, 0, arch, "elu", "mse", 0,
                null, "gd", lr, 0.01, 0, 0.1, 1e-4, 1, steps, 0, 0, snapshotEvery, 0, "float32", "auto", 1000, false, init,
                preprocess, optim.optimizer, optim.momentum, optim.beta1, optim.beta2, optim.eps, optim.weightDecay, optim.batchSize,
                false));
        io.eoscope.analyzer.AnalyzerConfig analyzerConfig = analysis.config();
        // the user's directory is checked before any work: exit 2 with the path and the system's reason
        io.eoscope.trainer.run.WritableDirectory.require("--data-dir", dataDir);
        System.err.println("eos demo: starting a Kafka broker in this process (log in " + dataDir.resolve("kafka") + ") ...");
        try (StopSignal stop = StopSignal.install(); EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"))) {
            KafkaSettings settings = new KafkaSettings(kafka.bootstrapServers(), new io.eoscope.wire.Topics("eos."),
                    java.util.Map.of());
            // the broker's default replication factor: 1 on this single broker
            io.eoscope.wire.TopicSetup.createTopics(settings, "eos-demo", 4, java.util.Optional.empty(), java.time.Duration.ofSeconds(30));
            Path runDir = dataDir.resolve("runs").resolve(run);
            System.err.println("eos demo: broker at " + kafka.bootstrapServers() + "; topics " + settings.topics().snapshots()
                    + ", " + settings.topics().metrics() + ", " + settings.topics().telemetry() + ", …");
            System.err.println("eos demo: run " + run + " (files in " + runDir + "), " + analyzers + " analyzers; Ctrl-C stops");
            System.err.println("eos demo: read the metrics with: kcat -b " + kafka.bootstrapServers() + " -t "
                    + settings.topics().metrics() + " -C -e");
            Vertx vertx = Vertx.vertx();
            // one registry for the process: the gateway's /metrics shows the analyzers' meters too
            io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry =
                    new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
            LiveView view = new LiveView(settings, run, steps, System.err, analyzerConfig.analysisId(),
                    config.optimizerSettings().thresholdFormula());
            Thread viewThread = new Thread(view, "eos-demo-view");
            List<AnalyzerVerticle> deployed = new ArrayList<>();
            boolean failed = false;
            try {
                for (int i = 0; i < analyzers; i++) {
                    AnalyzerVerticle v = new AnalyzerVerticle(settings, analyzerConfig, registry);
                    vertx.deployVerticle(v).await();
                    deployed.add(v);
                }
                io.eoscope.gateway.GatewayVerticle gateway = new io.eoscope.gateway.GatewayVerticle(settings,
                        new io.eoscope.gateway.GatewayConfig("127.0.0.1", port, 3600, 50, null,
                                io.eoscope.gateway.GatewayConfig.DEFAULT_STALE_SECONDS, io.eoscope.gateway.GatewayConfig.DEFAULT_MAX_VIEW_RUNS,
                                analyzerConfig.analysisId()), registry);
                try {
                    vertx.deployVerticle(gateway).await();
                } catch (RuntimeException e) {
                    io.eoscope.gateway.GatewayVerticle.CannotListen cannot = io.eoscope.gateway.GatewayVerticle.CannotListen.in(e);
                    if (cannot != null) {
                        throw new UsageException("--port " + port + ": " + cannot.getMessage() + "; try --port 0", e);
                    }
                    throw e;
                }
                System.err.println("eos demo: open http://127.0.0.1:" + gateway.port() + "/#run=" + run
                        + "  (Prometheus metrics at /metrics, API at /api)");
                TrainerVerticle trainer = new TrainerVerticle(config, runDir, settings, TrainingListener.NONE);
                vertx.deployVerticle(trainer).await();
                viewThread.start();
                long expected = steps / snapshotEvery + 1 + (steps % snapshotEvery == 0 ? 0 : 1);
                boolean reported = false;
                while (!stop.await(500)) {
                    String dead = gateway.deathReason() != null ? "the gateway's view stopped: " + gateway.deathReason()
                            : AnalyzerCommand.failure(deployed).orElse(null);
                    if (dead != null) { // a part of the demo died: say so and end, rather than serve a frozen page
                        view.print(true);
                        System.err.println();
                        System.err.println("eos demo: " + dead);
                        failed = true;
                        break;
                    }
                    if (trainer.finished().failed()) { // published as failed with the reason; the demo ends loudly
                        view.print(true);
                        System.err.println();
                        System.err.println("eos demo: training failed: " + trainer.finished().cause().getMessage());
                        failed = true;
                        break;
                    }
                    if (!reported && trainer.finished().isComplete() && view.analysed() >= expected) {
                        reported = true;
                        view.print(true);
                        System.err.println();
                        System.err.println("eos demo: training finished and all " + view.analysed() + " snapshots analysed"
                                + (exitWhenDone ? "" : "; the page stays up at http://127.0.0.1:" + gateway.port()
                                        + "/ until Ctrl-C"));
                        if (exitWhenDone) {
                            break;
                        }
                    }
                }
                if (!reported && !failed) {
                    view.print(true);
                    System.err.println();
                }
                System.err.println("eos demo: " + (failed ? "failed" : stop.requested() ? "stopped" : "finished") + "; "
                        + view.analysed() + " snapshots analysed. Data kept in " + dataDir);
            } finally {
                view.close();
                viewThread.join(5000);
                view.release();
                vertx.close().await();
            }
            return failed ? 1 : 0;
        }
    }
}
