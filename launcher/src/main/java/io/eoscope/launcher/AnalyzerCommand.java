package io.eoscope.launcher;

import io.eoscope.analyzer.AnalyzerLoop;
import io.eoscope.analyzer.AnalyzerVerticle;
import io.eoscope.wire.KafkaSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code eos analyzer}: analyzer verticles in a consumer group against a Kafka cluster, until stopped. An
 * analyzer that stops on its own turns {@code /health} to 503 and the process exits with status 1.
 */
@Command(name = "analyzer", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs analyzers against --bootstrap-servers: members of a consumer group that analyse every",
            "snapshot and publish metrics. Start as many processes as you like: they share the partitions.",
            "Serves /metrics, /health (alive) and /ready (assigned work can be done: the broker answered within",
            "--ready-seconds) on --metrics-port. Exits 1 when an analyzer stops on an error it cannot survive."})
final class AnalyzerCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(AnalyzerCommand.class);

    @Option(names = "--instances", defaultValue = "1", description = "analyzer verticles in this process (default: ${DEFAULT-VALUE})")
    int instances;

    @Option(names = "--threads", paramLabel = "T", defaultValue = "auto",
            description = "libtorch's intra-op threads for this process: auto (the processors the JVM may use, a container's CPU limit"
                    + " included, divided by --instances) or 1..1024. Give each analyzer process its share when several run on one"
                    + " machine: threads spinning on shared cores make small models' analyses many times slower (default: ${DEFAULT-VALUE})")
    String threads;

    @Option(names = "--metrics-port", defaultValue = "9404",
            description = "serve /metrics (lag, analysis time, products, JVM), /health and /ready on this port; -1: off (default: ${DEFAULT-VALUE})")
    int metricsPort;

    @Option(names = "--metrics-host", defaultValue = "127.0.0.1",
            description = "address of that server; 0.0.0.0 for every interface, as in a pod (default: ${DEFAULT-VALUE})")
    String metricsHost;

    @Option(names = "--ready-seconds", defaultValue = "30",
            description = "/ready fails when an analyzer has not heard from the broker for this long (default: ${DEFAULT-VALUE})")
    long readySeconds;

    @Mixin
    KafkaOptions kafka;

    @Mixin
    ServiceOptions analysis;

    @Mixin
    LimitsOptions limits;

    @Override
    public Integer call() throws Exception {
        if (instances < 1 || instances > 64) {
            throw new UsageException("--instances must be in 1..64, got " + instances);
        }
        if (readySeconds < 1) {
            throw new UsageException("--ready-seconds must be at least 1, got " + readySeconds);
        }
        KafkaSettings settings = kafka.required();
        io.eoscope.analyzer.AnalyzerConfig config = analysis.config();
        io.eoscope.analyzer.AnalyzerLimits bounds = limits.limitsWithin(Runtime.getRuntime().maxMemory() / instances);
        if (metricsPort < -1 || metricsPort > 65535) {
            throw new UsageException("--metrics-port must be in 0..65535, or -1 for none, got " + metricsPort);
        }
        int intraOp = intraOpThreads();
        kafka.createTopics(settings, "eos-analyzer-admin");
        LOG.info("libtorch intra-op threads: {} ({})", io.eoscope.curvature.net.EngineThreads.set(intraOp),
                threads.equals("auto") ? "auto: " + Runtime.getRuntime().availableProcessors() + " processors / " + instances
                        + " instance(s)" : "--threads");
        Vertx vertx = Vertx.vertx();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
        List<AnalyzerVerticle> running = new ArrayList<>();
        try (StopSignal stop = StopSignal.install()) {
            try {
                return serve(vertx, registry, settings, config, bounds, running, stop);
            } finally {
                // inside the stop signal's scope: the JVM waits until the consumers have left their group (a
                // successor is assigned at once instead of after the session timeout)
                vertx.close().await();
            }
        }
    }

    /** {@code --threads} as a count: auto is this process's share of the processors. */
    private int intraOpThreads() {
        if (threads.equals("auto")) {
            return io.eoscope.curvature.net.EngineThreads.share(instances);
        }
        try {
            int t = Integer.parseInt(threads.trim());
            if (t >= 1 && t <= 1024) {
                return t;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new UsageException("--threads must be auto or a whole number in 1..1024, got '" + threads + "'");
    }

    /** Deploys the analyzers and serves until a stop is requested (0) or one of them fails (1). */
    private int serve(Vertx vertx, PrometheusMeterRegistry registry, KafkaSettings settings, io.eoscope.analyzer.AnalyzerConfig config,
            io.eoscope.analyzer.AnalyzerLimits bounds, List<AnalyzerVerticle> running, StopSignal stop) throws Exception {
        if (metricsPort >= 0) {
            ServiceEndpoints.start(vertx, metricsHost, metricsPort, "--metrics-port", registry,
                    () -> failure(running), () -> unready(running));
        }
        for (int i = 0; i < instances; i++) {
            AnalyzerVerticle v = new AnalyzerVerticle(settings, config, bounds, registry);
            vertx.deployVerticle(v).await();
            running.add(v);
        }
        LOG.info("{} analyzers in group {} on {}; /metrics, /health and /ready on {}:{}", instances, config.group(),
                settings.bootstrapServers(), metricsHost, metricsPort);
        long lastReport = System.currentTimeMillis();
        while (!stop.await(1000)) {
            Optional<String> failed = failure(running);
            if (failed.isPresent()) {
                LOG.error("exiting: {}", failed.get());
                System.err.println("eos analyzer: " + failed.get());
                return Eos.INTERNAL;
            }
            if (System.currentTimeMillis() - lastReport >= 30_000) {
                lastReport = System.currentTimeMillis();
                LOG.info("{} snapshots analysed, {} dead letters, lag {} records",
                        running.stream().mapToLong(v -> v.loop().analysed()).sum(),
                        running.stream().mapToLong(v -> v.loop().deadLetters()).sum(),
                        running.stream().mapToLong(v -> v.loop().lag()).sum());
            }
        }
        LOG.info("stopping");
        return 0;
    }

    /** Why an analyzer of this process stopped on its own, or empty while all run. */
    static Optional<String> failure(List<AnalyzerVerticle> analyzers) {
        for (AnalyzerVerticle v : analyzers) {
            AnalyzerLoop loop = v.loop();
            if (loop != null && v.failure() != null) {
                return Optional.of("analyzer " + loop.clientId() + " stopped: " + v.failure());
            }
        }
        return Optional.empty();
    }

    private Optional<String> unready(List<AnalyzerVerticle> analyzers) {
        if (analyzers.size() < instances) {
            return Optional.of("starting: " + analyzers.size() + " of " + instances + " analyzers deployed");
        }
        long now = System.currentTimeMillis();
        for (AnalyzerVerticle v : analyzers) {
            long silent = now - v.loop().brokerContactMillis();
            if (silent > readySeconds * 1000) {
                return Optional.of("analyzer " + v.loop().clientId() + " has not heard from the broker for "
                        + (v.loop().brokerContactMillis() == 0 ? "ever" : silent / 1000 + " s"));
            }
        }
        return Optional.empty();
    }
}
