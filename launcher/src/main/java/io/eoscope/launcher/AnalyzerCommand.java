package io.eoscope.launcher;

import io.eoscope.analyzer.AnalyzerVerticle;
import io.eoscope.wire.KafkaSettings;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code eos analyzer}: analyzer verticles in a consumer group against a Kafka cluster, until stopped. */
@Command(name = "analyzer", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs analyzers against --bootstrap-servers: members of a consumer group that analyse every",
            "snapshot and publish metrics. Start as many processes as you like: they share the partitions."})
final class AnalyzerCommand implements Callable<Integer> {

    @Option(names = "--instances", defaultValue = "1", description = "analyzer verticles in this process (default: ${DEFAULT-VALUE})")
    int instances;

    @Option(names = "--metrics-port", defaultValue = "9404", description = "serve Prometheus /metrics (lag, analysis time, products, JVM) on this port; -1: off (default: ${DEFAULT-VALUE})")
    int metricsPort;

    @Option(names = "--metrics-host", defaultValue = "0.0.0.0", description = "address of the /metrics server (default: ${DEFAULT-VALUE})")
    String metricsHost;

    @Mixin
    KafkaOptions kafka;

    @Mixin
    ServiceOptions analysis;

    @Override
    public Integer call() throws Exception {
        if (instances < 1) {
            throw new IllegalArgumentException("--instances must be at least 1");
        }
        KafkaSettings settings = kafka.required();
        io.eoscope.analyzer.AnalyzerConfig config = analysis.config();
        try (Admin admin = Admin.create(settings.admin("eos-analyzer-admin"))) {
            settings.topics().create(admin, kafka.partitions, (short) 1);
        }
        Vertx vertx = Vertx.vertx();
        io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry =
                new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
        if (metricsPort >= 0) {
            try {
                vertx.createHttpServer().requestHandler(req -> req.response()
                        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape()))
                        .listen(metricsPort, metricsHost).await();
            } catch (Exception e) {
                vertx.close();
                throw new IllegalArgumentException("--metrics-port " + metricsPort + ": cannot listen (" + e.getMessage() + ")");
            }
        }
        List<AnalyzerVerticle> running = new ArrayList<>();
        try (StopSignal stop = StopSignal.install()) {
            for (int i = 0; i < instances; i++) {
                AnalyzerVerticle v = new AnalyzerVerticle(settings, config, registry);
                vertx.deployVerticle(v).await();
                running.add(v);
            }
            System.err.println("eos analyzer: " + instances + " analyzers in group " + config.group() + " on "
                    + settings.bootstrapServers() + "; Ctrl-C stops");
            while (!stop.await(30_000)) {
                long analysed = running.stream().mapToLong(v -> v.loop().analysed()).sum();
                long dead = running.stream().mapToLong(v -> v.loop().deadLetters()).sum();
                long lag = running.stream().mapToLong(v -> v.loop().lag()).sum();
                System.err.printf(Locale.ROOT, "eos analyzer: %d snapshots analysed, %d dead letters, lag %d records%n",
                        analysed, dead, lag);
            }
        } finally {
            vertx.close().await();
        }
        return 0;
    }
}
