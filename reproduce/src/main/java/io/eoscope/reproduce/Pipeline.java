package io.eoscope.reproduce;

import com.google.gson.JsonObject;
import io.eoscope.analyzer.AnalyzerConfig;
import io.eoscope.analyzer.AnalyzerVerticle;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.analysis.BeyondTopOptions;
import io.eoscope.curvature.io.AtomicFiles;
import io.eoscope.curvature.spectrum.DensityOptions;
import io.eoscope.curvature.spectrum.TraceOptions;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.run.TrainingRun;
import io.eoscope.trainer.stream.TrainerVerticle;
import io.eoscope.wire.KafkaSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.DoubleConsumer;
import java.util.stream.Stream;

/**
 * The real streaming pipeline the reproduction runs through: a Kafka broker (in this process, or a
 * cluster), analyzer verticles in a consumer group, and one trainer verticle per run. Each run's
 * telemetry and metrics are read back from Kafka by a {@link RunCollector} and stored in the run's
 * directory as {@code telemetry.csv} and {@code metrics.csv} (with {@code density.csv} and {@code trace.csv}
 * for the runs analysed with the spectral density), then marked complete by {@code done.json} (written last,
 * atomically): a complete run is never trained again.
 */
final class Pipeline implements AutoCloseable {
    /** The analysis id of the reproduction's metrics. */
    static final String ANALYSIS_ID = "reproduce";
    /**
     * The GD runs of experiment 1 get the spectral density and the traces on every this many snapshots (the first
     * analysed, then every this-many-th: {@link BeyondTopOptions#due}); chosen so that the quick preset takes at most
     * about 10% longer (measured: docs/contracts.md#reproduction-directory).
     */
    static final int DENSITY_EVERY = 10;
    /** A run whose records stop arriving for this long has failed. */
    private static final Duration STALL = Duration.ofMinutes(20);
    private final EmbeddedKafka kafka;
    private final KafkaSettings settings;
    private final Vertx vertx;

    private final int analyzers;
    private final List<String> deployments = new ArrayList<>();
    private boolean density;

    private Pipeline(EmbeddedKafka kafka, KafkaSettings settings, Vertx vertx, int analyzers) {
        this.kafka = kafka;
        this.settings = settings;
        this.vertx = vertx;
        this.analyzers = analyzers;
    }

    /**
     * Starts the broker (when {@code embedded}: in this process, its log under {@code kafkaDir}, else the one of
     * {@code cluster}) and creates the topics; {@link #run} deploys {@code analyzers} analyzer verticles, with the
     * density and traces or without as the run needs.
     */
    static Pipeline open(KafkaAccess cluster, boolean embedded, Path kafkaDir, int analyzers) throws Exception {
        EmbeddedKafka broker = embedded ? EmbeddedKafka.start(kafkaDir) : null;
        Vertx vertx = null;
        try {
            KafkaSettings settings = cluster.settings(broker == null ? null : broker.bootstrapServers());
            cluster.createTopics(settings, "eos-reproduce"); // --partitions, --replication-factor (else the broker's default)
            vertx = Vertx.vertx();
            return new Pipeline(broker, settings, vertx, analyzers);
        } catch (Exception | Error e) {
            if (vertx != null) {
                vertx.close().await();
            }
            if (broker != null) {
                broker.close();
            }
            throw e;
        }
    }

    /** The analysis options of the reproduction: the defaults, plus the density and traces when {@code density}. */
    static AnalysisOptions options(boolean density) {
        AnalysisOptions d = AnalysisOptions.defaults();
        return density ? d.with(new BeyondTopOptions(DensityOptions.defaults(), TraceOptions.defaults(), DENSITY_EVERY)) : d;
    }

    /**
     * Makes the analyzers compute the density (or not): when that differs from what the deployed ones do, they are
     * undeployed and {@link #analyzers} new ones deployed in the same consumer group. Called between runs only, when
     * every snapshot of the previous run has been analysed, so that no snapshot is analysed with the wrong options.
     */
    private void analysis(boolean density) {
        if (!deployments.isEmpty() && density == this.density) {
            return;
        }
        for (String id : deployments) {
            vertx.undeploy(id).await();
        }
        deployments.clear();
        AnalyzerConfig config = new AnalyzerConfig(ANALYSIS_ID, options(density), "float64", "auto", "eos-reproduce", "all");
        for (int i = 0; i < analyzers; i++) {
            // a registry each: their meters share names and tags, and nothing here exports them
            deployments.add(vertx.deployVerticle(new AnalyzerVerticle(settings, config, new SimpleMeterRegistry())).await());
        }
        this.density = density;
    }

    /** Whether a run's snapshots get the density and traces: the GD runs of experiment 1. */
    static boolean wantsDensity(RunSpec spec) {
        return spec.experiment() == 1 && "gd".equals(spec.config().solver()) && !spec.config().miniBatch();
    }

    String bootstrapServers() {
        return settings.bootstrapServers();
    }

    /** Whether {@code runDir} holds a complete run. */
    static boolean complete(Path runDir) {
        return Files.exists(runDir.resolve("done.json"));
    }

    /**
     * Trains {@code spec} through the pipeline into {@code runDir} (anything an interrupted attempt left
     * there is removed first), waits until every snapshot is analysed, and writes the run's CSVs.
     *
     * @param progress told the run's progress in [0, 1]: training to 0.8, analysis of the rest to 1
     */
    void run(RunSpec spec, Path runDir, DoubleConsumer progress) throws Exception {
        deleteTree(runDir);
        Files.createDirectories(runDir);
        analysis(wantsDensity(spec));
        String name = spec.id() + "-" + Long.toString(System.currentTimeMillis(), 36);
        Path trainDir = runDir.resolve("train");
        try (RunCollector collector = new RunCollector(settings, name, ANALYSIS_ID, spec.layers())) {
            collector.begin();
            TrainerVerticle trainer = new TrainerVerticle(spec.named(name), trainDir, settings, TrainingListener.NONE);
            String deployment = vertx.deployVerticle(trainer).await();
            long lastChange = System.nanoTime();
            try {
                while (true) {
                    if (collector.poll(Duration.ofMillis(300))) {
                        lastChange = System.nanoTime();
                    }
                    if (!collector.deadLetters().isEmpty()) {
                        throw new IllegalStateException("run " + spec.id() + ": the analyzers dead-lettered a snapshot ("
                                + collector.deadLetters().get(0) + "), so its metrics will never arrive");
                    }
                    Future<TrainingRun.Outcome> finished = trainer.finished();
                    if (finished.failed()) {
                        Throwable cause = finished.cause();
                        if (cause instanceof Exception e) {
                            throw e;
                        }
                        throw new IllegalStateException(cause);
                    }
                    double train = Math.min(1, collector.lastTime() / spec.duration());
                    int snapshots = snapshotCount(trainDir);
                    double analysed = snapshots == 0 ? 0 : Math.min(1, collector.analysed() / (double) snapshots);
                    progress.accept(0.8 * train + 0.2 * (finished.succeeded() ? analysed : 0));
                    if (finished.succeeded() && collector.lastStep() >= finished.result().steps() - 1
                            && collector.analysed() >= snapshots) {
                        break;
                    }
                    if (System.nanoTime() - lastChange > STALL.toNanos()) {
                        throw new IllegalStateException("run " + spec.id() + ": no telemetry or metrics for "
                                + STALL.toMinutes() + " minutes (are the analyzers running? is the broker reachable?)");
                    }
                }
            } finally {
                vertx.undeploy(deployment).await();
            }
            collector.telemetry().write(runDir.resolve("telemetry.csv"));
            collector.metrics().write(runDir.resolve("metrics.csv"));
            SpectrumTables spectrum = collector.spectrum();
            if (spectrum.densityRows() > 0 || spectrum.failed() > 0) {
                spectrum.density().write(runDir.resolve("density.csv"));
            }
            Csv traces = spectrum.traces();
            if (traces.size() > 0) {
                traces.write(runDir.resolve("trace.csv"));
            }
            JsonObject done = new JsonObject();
            done.addProperty("run", name);
            done.addProperty("id", spec.id());
            done.addProperty("steps", collector.lastStep() + 1);
            done.addProperty("analysed_snapshots", collector.analysed());
            JsonObject density = new JsonObject();
            density.addProperty("rows", spectrum.densityRows());
            density.addProperty("limit", spectrum.limit());
            density.addProperty("thinned", spectrum.thinned());
            density.addProperty("failed", spectrum.failed());
            if (spectrum.lastFailure() != null) {
                density.addProperty("last_failure", spectrum.lastFailure());
            }
            done.add("density", density);
            done.addProperty("trace_rows", traces.size());
            AtomicFiles.write(runDir.resolve("done.json"), done.toString().getBytes(StandardCharsets.UTF_8));
            progress.accept(1);
        }
    }

    private static int snapshotCount(Path trainDir) throws IOException {
        Path snaps = trainDir.resolve("snapshots");
        if (!Files.isDirectory(snaps)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(snaps)) {
            return (int) s.map(p -> p.getFileName().toString())
                    .filter(f -> f.startsWith("step-") && f.endsWith(".safetensors") && !f.endsWith(".eigen.safetensors"))
                    .count();
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(all::add);
        }
        for (Path p : all) {
            try {
                Files.delete(p);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    public void close() throws Exception {
        try {
            vertx.close().await();
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }
}
