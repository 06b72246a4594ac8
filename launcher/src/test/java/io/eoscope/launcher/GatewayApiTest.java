package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.analyzer.AnalyzerVerticle;
import io.eoscope.gateway.GatewayConfig;
import io.eoscope.gateway.GatewayVerticle;
import io.eoscope.launcher.embedded.EmbeddedKafka;
import io.eoscope.streaming.KafkaSettings;
import io.eoscope.streaming.Topics;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.stream.TrainerVerticle;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's REST and SSE API over a real broker and real runs: contract, errors, fuzz, power law. */
@Timeout(300)
class GatewayApiTest {
    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;
    static Vertx vertx;
    static KafkaSettings settings;
    static GatewayVerticle gateway;
    static final String TOKEN = "s3cret-token-for-tests";
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    static RunConfig run(String name, int n, long steps) {
        return new RunConfig(name, "xor", null, n, 2, 3, "2-8-8-2", "elu", "mse", 4, null, "gd", 0.05, 0.01, 0, 0.1, 1e-4, 1,
                steps, 0, 0, 10, 0, "float32", "cpu", 1000, false);
    }

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        vertx = Vertx.vertx();
        settings = new KafkaSettings(kafka.bootstrapServers(), new Topics("gw."), Map.of());
        try (Admin a = Admin.create(settings.admin("test"))) {
            settings.topics().create(a, 2, (short) 1);
        }
        // one registry, as in eos demo: the analyzer's meters are exposed by the gateway too
        io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry =
                new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        vertx.deployVerticle(new AnalyzerVerticle(settings, StreamingPipelineTest.analyzerConfig("gw"), registry)).await();
        gateway = new GatewayVerticle(settings, new GatewayConfig("127.0.0.1", 0, 300, 50, TOKEN), registry);
        vertx.deployVerticle(gateway).await();
        for (int n : new int[] {16, 32, 64}) {
            TrainerVerticle t = new TrainerVerticle(run("n" + n, n, 20), dir.resolve("runs/n" + n), settings, TrainingListener.NONE);
            vertx.deployVerticle(t).await();
            t.finished().await();
        }
        Poll.until(Duration.ofSeconds(120), "the gateway sees three analysed, finished runs", () -> {
            try {
                long analysed = 0;
                for (var r : JsonParser.parseString(get("/api/runs").body()).getAsJsonArray()) {
                    JsonObject o = r.getAsJsonObject();
                    if (o.has("analysed_step") && o.get("analysed_step").getAsLong() == 20 && o.get("finished").getAsBoolean()) {
                        analysed++;
                    }
                }
                return analysed == 3;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @AfterAll
    static void stop() {
        vertx.close().await();
        kafka.close();
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void runsAndRunDetailFollowTheContract() throws Exception {
        HttpResponse<String> r = get("/api/runs");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        JsonArray runs = JsonParser.parseString(r.body()).getAsJsonArray();
        assertThat(runs.size()).isGreaterThanOrEqualTo(3); // the SSE test may have added one
        JsonObject first = null;
        for (var e : runs) {
            if (e.getAsJsonObject().get("run").getAsString().equals("n16")) {
                first = e.getAsJsonObject();
            }
        }
        assertThat(first).isNotNull();
        for (String key : new String[] {"finished", "solver", "n", "two_over_eta", "step", "time", "loss", "accuracy",
            "sharpness", "analysed_step", "rho_K"}) {
            assertThat(first.has(key)).as(key).isTrue();
        }
        assertThat(first.get("two_over_eta").getAsDouble()).isEqualTo(40.0);
        JsonObject detail = JsonParser.parseString(get("/api/runs/n32").body()).getAsJsonObject();
        assertThat(detail.getAsJsonObject("config").get("n").getAsInt()).isEqualTo(32);
        assertThat(detail.getAsJsonObject("metrics").getAsJsonArray("layers")).hasSize(3);
        assertThat(get("/api/runs/nope").statusCode()).isEqualTo(404);
        assertThat(get("/health").body()).contains("ok");
        assertThat(get("/openapi.yaml").body()).contains("/api/runs/{run}/series");
    }

    @Test
    void seriesAreStepIndexedAndDownSampled() throws Exception {
        for (String metric : List.of("loss", "sharpness", "hessian", "gauss_newton", "residual", "rho_K", "K_max_sq_mean",
                "layer1.p_delta_J", "layer2.gauss_newton_top")) {
            JsonObject o = JsonParser.parseString(get("/api/runs/n64/series?metric=" + metric).body()).getAsJsonObject();
            JsonArray points = o.getAsJsonArray("points");
            assertThat(points).as(metric).isNotEmpty();
            long previous = -1;
            for (var p : points) {
                long step = p.getAsJsonArray().get(0).getAsLong();
                assertThat(step).isGreaterThan(previous);
                previous = step;
            }
        }
        JsonObject loss = JsonParser.parseString(get("/api/runs/n64/series?metric=loss").body()).getAsJsonObject();
        assertThat(loss.getAsJsonArray("points")).hasSize(20);
        JsonObject few = JsonParser.parseString(get("/api/runs/n64/series?metric=loss&from=5&to=15&max_points=4").body())
                .getAsJsonObject();
        assertThat(few.getAsJsonArray("points").size()).isBetween(2, 5);
        assertThat(get("/api/runs/n64/series").statusCode()).isEqualTo(400);
        assertThat(get("/api/runs/n64/series?metric=loss&from=x").statusCode()).isEqualTo(400);
        assertThat(get("/api/runs/n64/series?metric=loss&from=9&to=3").statusCode()).isEqualTo(400);
        assertThat(get("/api/runs/n64/series?metric=loss&max_points=1").statusCode()).isEqualTo(400);
    }

    @Test
    void powerLawOverRunsOfDifferentSize() throws Exception {
        HttpResponse<String> r = get("/api/powerlaw?runs=n16,n32,n64&metric=layer1.p_delta_J");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonObject o = JsonParser.parseString(r.body()).getAsJsonObject();
        assertThat(o.getAsJsonArray("points")).hasSize(3);
        // the fit is computed from the points shown
        double[] n = new double[3];
        double[] y = new double[3];
        for (int i = 0; i < 3; i++) {
            n[i] = o.getAsJsonArray("points").get(i).getAsJsonObject().get("n").getAsDouble();
            y[i] = o.getAsJsonArray("points").get(i).getAsJsonObject().get("value").getAsDouble();
        }
        io.eoscope.gateway.PowerLaw fit = io.eoscope.gateway.PowerLaw.fit(n, y);
        assertThat(o.get("beta").getAsDouble()).isEqualTo(fit.beta());
        assertThat(o.get("r2").getAsDouble()).isEqualTo(fit.r2());
        assertThat(get("/api/powerlaw?runs=n16").statusCode()).isEqualTo(400);
        assertThat(get("/api/powerlaw?runs=n16,nope").statusCode()).isEqualTo(400);
        assertThat(get("/api/powerlaw").statusCode()).isEqualTo(400);
    }

    @Test
    void serverSentEventsDeliverANewRunsRecords() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/api/runs/live/stream"))
                .build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
        TrainerVerticle t = new TrainerVerticle(run("live", 32, 20), dir.resolve("runs/live"), settings, TrainingListener.NONE);
        vertx.deployVerticle(t).await();
        boolean telemetry = false;
        boolean metrics = false;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            Instant deadline = Instant.now().plusSeconds(120);
            String line;
            while ((!telemetry || !metrics) && Instant.now().isBefore(deadline) && (line = reader.readLine()) != null) {
                telemetry |= line.equals("event: telemetry");
                metrics |= line.equals("event: metrics");
                if (line.startsWith("data: ")) {
                    assertThat(JsonParser.parseString(line.substring(6)).getAsJsonObject().get("run").getAsString()).isEqualTo("live");
                }
            }
        }
        assertThat(telemetry).isTrue();
        assertThat(metrics).isTrue();
        t.finished().await();
    }

    @Test
    void fuzzedQueryParametersNeverYieldA5xx() throws Exception {
        Random random = new Random(7);
        String[] paths = {"/api/runs", "/api/runs/n16", "/api/runs/n16/series", "/api/powerlaw", "/metrics", "/api/runs/%00",
            "/openapi.yaml", "/"};
        String[] names = {"metric", "from", "to", "max_points", "runs", "x"};
        String alphabet = "abcXYZ019.,-_%&=/\\\"'<>{}[] éλ";
        for (int i = 0; i < 300; i++) {
            StringBuilder q = new StringBuilder(paths[random.nextInt(paths.length)]).append('?');
            for (int k = 0; k < 1 + random.nextInt(3); k++) {
                StringBuilder v = new StringBuilder();
                for (int c = 0; c < random.nextInt(12); c++) {
                    v.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                if (random.nextInt(4) == 0) {
                    v = new StringBuilder(Long.toString(random.nextLong()));
                }
                q.append(names[random.nextInt(names.length)]).append('=')
                        .append(URLEncoder.encode(v.toString(), StandardCharsets.UTF_8)).append('&');
            }
            HttpResponse<String> r = get(q.toString());
            assertThat(r.statusCode()).as(q.toString()).isLessThan(500);
        }
    }

    @Test
    void prometheusExpositionHasEveryRunsSeries() throws Exception {
        String body = get("/metrics").body();
        for (String name : List.of("eos_run_loss", "eos_run_accuracy", "eos_run_step", "eos_run_time", "eos_run_sharpness",
                "eos_run_gauss_newton_top", "eos_run_residual_top", "eos_run_two_over_eta", "eos_run_stability_ratio",
                "eos_run_rho_k", "eos_run_k_max_sq_mean")) {
            assertThat(body).contains(name + "{run=\"n16\"}");
        }
        for (String name : List.of("eos_layer_gauss_newton_top", "eos_layer_pi_chi", "eos_layer_p_chi_delta", "eos_layer_pi_j",
                "eos_layer_p_delta_j", "eos_layer_delta_l_max_sq_mean", "eos_layer_k_max_sq_mean")) {
            assertThat(body).contains(name + "{layer=\"1\",run=\"n16\"}");
        }
    }

    /** A real Prometheus process scrapes the gateway; every documented series comes back through its query API. */
    @Test
    void realPrometheusScrapesEveryDocumentedSeries() throws Exception {
        Path binary = Path.of("/usr/bin/prometheus");
        assertThat(binary).as("the Debian package prometheus (.ci/run installs it)").exists();
        int port = EmbeddedKafka.freePort();
        Path config = dir.resolve("prometheus.yml");
        Path rules = Path.of("..", "deploy", "prometheus", "eoscope-rules.yaml").toAbsolutePath().normalize();
        java.nio.file.Files.writeString(config, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                + "rule_files:\n  - '" + rules + "'\n"
                + "scrape_configs:\n  - job_name: eoscope\n    static_configs:\n      - targets: ['127.0.0.1:" + gateway.port() + "']\n");
        Process prometheus = new ProcessBuilder(binary.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        try {
            Poll.until(Duration.ofSeconds(90), "Prometheus has scraped the gateway", () ->
                    !query(port, "eos_run_loss").isEmpty());
            for (String name : List.of("eos_run_loss", "eos_run_accuracy", "eos_run_step", "eos_run_time", "eos_run_sharpness",
                    "eos_run_gauss_newton_top", "eos_run_residual_top", "eos_run_two_over_eta", "eos_run_stability_ratio",
                    "eos_run_rho_k", "eos_run_k_max_sq_mean")) {
                JsonArray result = query(port, name + "{run=\"n16\"}");
                assertThat(result).as(name).hasSize(1);
                JsonObject labels = result.get(0).getAsJsonObject().getAsJsonObject("metric");
                assertThat(labels.get("job").getAsString()).isEqualTo("eoscope");
                assertThat(labels.has("layer")).isFalse();
            }
            for (String name : List.of("eos_layer_gauss_newton_top", "eos_layer_k_max_sq_mean", "eos_layer_pi_chi",
                    "eos_layer_p_chi_delta", "eos_layer_pi_j", "eos_layer_p_delta_j", "eos_layer_delta_l_max_sq_mean")) {
                JsonArray result = query(port, name + "{run=\"n16\"}");
                assertThat(result).as(name).hasSize(3); // layers 1, 2, 3
                assertThat(result.get(0).getAsJsonObject().getAsJsonObject("metric").has("layer")).isTrue();
            }
            for (String name : List.of("eos_analyzer_snapshots_total", "eos_analyzer_lag_records",
                    "eos_analyzer_analysis_seconds_count", "eos_analyzer_products_total", "eos_analyzer_deadletters_total",
                    "jvm_memory_used_bytes", "eos_http_server_requests_seconds_count")) {
                assertThat(query(port, name)).as(name).isNotEmpty();
            }
            assertThat(query(port, "eos_analyzer_snapshots_total{group=\"gw\"}").get(0).getAsJsonObject().getAsJsonArray("value")
                    .get(1).getAsDouble()).isGreaterThanOrEqualTo(9);
            // every alerting rule of deploy/prometheus evaluates without error against the real series
            Poll.until(Duration.ofSeconds(60), "every rule evaluated with health ok", () -> {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + "/api/v1/rules")).build(), HttpResponse.BodyHandlers.ofString());
                    JsonArray groups = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("data")
                            .getAsJsonArray("groups");
                    int ok = 0;
                    for (var g : groups) {
                        for (var rule : g.getAsJsonObject().getAsJsonArray("rules")) {
                            ok += "ok".equals(rule.getAsJsonObject().get("health").getAsString()) ? 1 : 0;
                        }
                    }
                    return ok == 5;
                } catch (Exception e) {
                    return false;
                }
            });
            double two = query(port, "eos_run_two_over_eta{run=\"n32\"}").get(0).getAsJsonObject().getAsJsonArray("value")
                    .get(1).getAsDouble();
            assertThat(two).isEqualTo(40.0);
        } finally {
            prometheus.destroy();
            prometheus.waitFor();
        }
    }

    static JsonArray query(int port, String promql) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
                    + URLEncoder.encode(promql, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return new JsonArray();
            }
            return JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("data").getAsJsonArray("result");
        } catch (Exception e) {
            return new JsonArray();
        }
    }

    /** Starting a replay needs the bearer token; with it, the metrics of the new analysis id appear. */
    @Test
    void replayRequiresTheBearerToken() throws Exception {
        String url = "http://127.0.0.1:" + gateway.port() + "/api/runs/n16/replay?analysis_id=viagateway";
        HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(401);
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer nope")
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(wrong.statusCode()).isEqualTo(401);
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(202);
        Poll.until(Duration.ofSeconds(120), "the replay's metrics", () -> {
            try {
                Map<String, JsonObject> metrics = StreamingPipelineTest.readUntil(settings, settings.topics().metrics(), 1);
                return metrics.keySet().containsAll(List.of("n16/0/viagateway", "n16/10/viagateway", "n16/20/viagateway"));
            } catch (Exception e) {
                return false;
            }
        });
        HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(url + "&tol=abc"))
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
    }
}
