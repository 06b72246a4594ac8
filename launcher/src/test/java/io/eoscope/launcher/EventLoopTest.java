package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.eoscope.analyzer.AnalyzerVerticle;
import io.eoscope.gateway.GatewayConfig;
import io.eoscope.gateway.GatewayVerticle;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.stream.StreamOptions;
import io.eoscope.trainer.stream.TrainerVerticle;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Topics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsReporter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing that blocks runs on an event loop: the verticles build their Kafka clients on workers, and the gateway
 * renders /metrics on a worker. No broker: a client is built without one, and that is what is watched.
 */
@Timeout(120)
class EventLoopTest {
    @TempDir
    Path dir;
    private Vertx vertx;

    /** Built by every Kafka client at its construction ({@code metric.reporters}): notes whether that was on an event loop. */
    public static final class ConstructionWatch implements MetricsReporter {
        static final Queue<String> BUILT_ON = new ConcurrentLinkedQueue<>();

        public ConstructionWatch() {
            BUILT_ON.add((Context.isOnEventLoopThread() ? "event loop " : "") + Thread.currentThread().getName());
        }

        @Override
        public void configure(Map<String, ?> configs) { }

        @Override
        public void init(List<KafkaMetric> metrics) { }

        @Override
        public void metricChange(KafkaMetric metric) { }

        @Override
        public void metricRemoval(KafkaMetric metric) { }

        @Override
        public void close() { }
    }

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        ConstructionWatch.BUILT_ON.clear();
    }

    @AfterEach
    void stop() {
        vertx.close().await();
    }

    private static KafkaSettings nowhere() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        return new KafkaSettings("127.0.0.1:" + closed, new Topics("loop."),
                Map.of("metric.reporters", ConstructionWatch.class.getName()));
    }

    @Test
    void theTrainerBuildsItsProducerOnAWorker() throws Exception {
        RunConfig config = new RunConfig("loop", "xor", null, 16, 2, 1, "2-4-2", "elu", "mse", 2, null, "gd", 0.05, 0.01, 0,
                0.1, 1e-4, 0, 3, 0, 0, 0, 0, "float32", "cpu", 1000, false);
        TrainerVerticle trainer = new TrainerVerticle(config, dir.resolve("run"), nowhere(), StreamOptions.ofSeconds(1, 1),
                TrainingListener.NONE);
        vertx.deployVerticle(trainer).await();
        assertThat(ConstructionWatch.BUILT_ON).isNotEmpty().noneMatch(t -> t.startsWith("event loop"));
    }

    @Test
    void theAnalyzerBuildsItsClientsOnAWorker() throws Exception {
        io.eoscope.analyzer.AnalyzerConfig config = new io.eoscope.analyzer.AnalyzerConfig("default",
                io.eoscope.curvature.analysis.AnalysisOptions.defaults(), "float64", "cpu", "loop-group", "all");
        vertx.deployVerticle(new AnalyzerVerticle(nowhere(), config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)))
                .await();
        // the loop's consumer and producer, and the replay service's
        assertThat(ConstructionWatch.BUILT_ON).hasSizeGreaterThanOrEqualTo(3).noneMatch(t -> t.startsWith("event loop"));
    }

    @Test
    void theGatewayRendersMetricsOffTheEventLoop() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Queue<Boolean> onEventLoop = new ConcurrentLinkedQueue<>();
        Gauge.builder("test.scraped", () -> {
            onEventLoop.add(Context.isOnEventLoopThread());
            return 1;
        }).register(registry);
        GatewayVerticle gateway = new GatewayVerticle(nowhere(), new GatewayConfig("127.0.0.1", 0, 300, 50), registry);
        vertx.deployVerticle(gateway).await();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        for (String path : List.of("/metrics", "/metrics", "/openapi.yaml")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.body()).as(path).contains(path.equals("/metrics") ? "test_scraped 1.0" : "openapi:");
        }
        assertThat(onEventLoop).hasSize(2).containsOnly(false);
        assertThat(ConstructionWatch.BUILT_ON).isNotEmpty().noneMatch(t -> t.startsWith("event loop"));
    }
}
