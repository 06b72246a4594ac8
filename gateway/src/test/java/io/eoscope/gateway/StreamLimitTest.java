package io.eoscope.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.Topics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code --max-streams}: with two allowed, a third event stream is refused with 503 and the reason, counted; once one
 * closes, a new one is served again. (A real gateway over HTTP; its broker is nowhere, which streams do not need.)
 */
class StreamLimitTest {
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().await();
    }

    @Test
    void aStreamOverTheBoundIsRefusedAndCounted() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        KafkaSettings nowhere = new KafkaSettings("127.0.0.1:" + closed, new Topics("limit."), Map.of());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        GatewayConfig config = new GatewayConfig("127.0.0.1", 0, 300, 50, null, 60, 100, "default", MetricsRecord.Limits.DEFAULTS, 2);
        GatewayVerticle gateway = new GatewayVerticle(nowhere, config, registry);
        vertx.deployVerticle(gateway).await();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String base = "http://127.0.0.1:" + gateway.port();
        HttpRequest stream = HttpRequest.newBuilder(URI.create(base + "/api/runs/r1/stream")).timeout(Duration.ofSeconds(30)).build();
        HttpResponse<InputStream> first = http.send(stream, HttpResponse.BodyHandlers.ofInputStream());
        HttpResponse<InputStream> second = http.send(stream, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        HttpResponse<String> third = http.send(stream, HttpResponse.BodyHandlers.ofString());
        assertThat(third.statusCode()).isEqualTo(503);
        assertThat(third.body()).contains("at most 2 event streams", "--max-streams");
        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("eos_gateway_streams 2.0", "eos_gateway_streams_refused_total 1.0");
        first.body().close(); // the client goes: its stream is closed and its place freed
        long deadline = System.nanoTime() + 10_000_000_000L;
        int status = 0;
        while (System.nanoTime() < deadline) {
            HttpResponse<InputStream> again = http.send(stream, HttpResponse.BodyHandlers.ofInputStream());
            status = again.statusCode();
            again.body().close();
            if (status == 200) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(status).as("a place freed by a closed stream is served again").isEqualTo(200);
        second.body().close();
    }
}
