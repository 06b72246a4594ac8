package io.eoscope.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.wire.DeadLetter;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.ReplayRequest;
import io.eoscope.wire.Topics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway over a real broker, fed bad input and faults: started before its topics exist, bad records,
 * non-finite numbers, hostile parameters, replays, stale runs and, last, a dead consumer.
 */
@Tag("integration")
@Timeout(240)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayFaultsTest {
    static final String TOKEN = "s3cret-token-for-tests";
    @TempDir
    static Path dir;
    static EmbeddedKafka broker;
    static Vertx vertx;
    static KafkaSettings settings;
    static GatewayVerticle gateway;
    static KafkaProducer<String, byte[]> producer;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() throws Exception {
        broker = EmbeddedKafka.start(dir.resolve("kafka"));
        settings = new KafkaSettings(broker.bootstrapServers(), new Topics("f."), Map.of());
        vertx = Vertx.vertx();
        gateway = new GatewayVerticle(settings, new GatewayConfig("127.0.0.1", 0, 300, 50, TOKEN, 60, 100, "default"),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        vertx.deployVerticle(gateway).await(); // before any topic exists
        producer = new KafkaProducer<>(settings.producer("test"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (producer != null) {
            producer.close();
        }
        if (vertx != null) {
            vertx.close().await();
        }
        if (broker != null) {
            broker.close();
        }
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonElement json(HttpResponse<String> r) {
        return JsonParser.parseString(r.body());
    }

    static void send(String topic, String key, String value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value.getBytes(StandardCharsets.UTF_8))).get();
    }

    static void until(String what, Callable<Boolean> condition) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (true) {
            try {
                if (condition.call()) {
                    return;
                }
            } catch (Exception e) {
                // not yet
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(100); // bounded polling of the gateway's progress
        }
    }

    static JsonObject runOf(String name) throws Exception {
        for (JsonElement e : json(get("/api/runs")).getAsJsonArray()) {
            if (e.getAsJsonObject().get("run").getAsString().equals(name)) {
                return e.getAsJsonObject();
            }
        }
        return null;
    }

    static void feedGoodRun(String run) throws Exception {
        send(settings.topics().runs(), run, Fixtures.runJson(run, "running"));
        send(settings.topics().telemetry(), run, Fixtures.stepJson(run, 10, "0.5"));
        send(settings.topics().metrics(), run + "/10/default", Fixtures.metricsJson(run, 10, "default", 40));
    }

    @Test
    @Order(1)
    void aGatewayStartedBeforeItsTopicsExistShowsRunsOnceTheyAppear() throws Exception {
        assertThat(get("/health").statusCode()).isEqualTo(200);
        HttpResponse<String> notReady = get("/ready");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(json(notReady).getAsJsonObject().get("reason").getAsString()).contains("f.runs");
        try (Admin admin = Admin.create(settings.admin("test"))) {
            settings.topics().create(admin, 2, (short) 1);
        }
        feedGoodRun("alpha");
        until("alpha is shown", () -> runOf("alpha") != null && runOf("alpha").has("analysed_step"));
        until("ready", () -> get("/ready").statusCode() == 200);
        assertThat(json(get("/ready")).getAsJsonObject().get("status").getAsString()).isEqualTo("ready");
    }

    @Test
    @Order(2)
    void badRecordsAreRejectedAndEveryEndpointKeepsWorking() throws Exception {
        send(settings.topics().runs(), "bad1", "{\"run\":\"bad1\",\"status\":{\"x\":1}}");
        send(settings.topics().runs(), "bad2", Fixtures.runJson("bad2", "running").replace("0.04", "\"abc\""));
        send(settings.topics().telemetry(), "alpha", Fixtures.stepJson("alpha", 11, "0.5").replace("{", "{\"schema\":2,"));
        send(settings.topics().metrics(), "alpha/12/default", "{\"run\":\"alpha\"");
        feedGoodRun("beta");
        until("beta is shown", () -> runOf("beta") != null && runOf("beta").has("analysed_step"));
        HttpResponse<String> runs = get("/api/runs");
        assertThat(runs.statusCode()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        json(runs).getAsJsonArray().forEach(e -> names.add(e.getAsJsonObject().get("run").getAsString()));
        assertThat(names).containsExactly("alpha", "beta");
        assertThat(runOf("alpha").get("step").getAsLong()).isEqualTo(10); // the schema-2 step never entered the view
        assertThat(get("/api/runs/alpha").statusCode()).isEqualTo(200);
        assertThat(get("/api/runs/alpha/series?metric=loss").statusCode()).isEqualTo(200);
        assertThat(get("/api/powerlaw?runs=alpha,beta").statusCode()).isEqualTo(400); // same N: a clear 400, not a crash
        HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("eos_run_loss{run=\"alpha\"} 0.5", "eos_run_loss{run=\"beta\"} 0.5")
                .contains("eos_gateway_records_rejected_total{topic=\"f.runs\"} 2.0")
                .contains("eos_gateway_records_rejected_total{topic=\"f.telemetry\"} 1.0")
                .contains("eos_gateway_records_rejected_total{topic=\"f.metrics\"} 1.0")
                .doesNotContain("run=\"bad1\"").doesNotContain("run=\"bad2\"");
        assertThat(get("/health").statusCode()).isEqualTo(200);
        List<DeadLetter> letters = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(settings.consumer("dl", null))) {
            io.eoscope.wire.TopicScan.fromStart(c, settings.topics().deadletter());
            Instant deadline = Instant.now().plusSeconds(60);
            while (letters.size() < 4 && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    letters.add(DeadLetter.parse(r.value()));
                }
            }
        }
        assertThat(letters).hasSize(4);
        assertThat(letters).extracting(DeadLetter::reason).anyMatch(r -> r.contains("'status'"))
                .anyMatch(r -> r.contains("'learningRate'")).anyMatch(r -> r.contains("unknown schema 2"))
                .anyMatch(r -> r.contains("not JSON"));
    }

    @Test
    @Order(3)
    void nonFiniteNumbersNeverAppearInJson() throws Exception {
        send(settings.topics().runs(), "gamma", Fixtures.runJson("gamma", "running"));
        // an older producer's NaN literal and a null time
        send(settings.topics().telemetry(), "gamma", Fixtures.stepJson("gamma", 1, "NaN").replace("\"time\":0.04", "\"time\":null"));
        send(settings.topics().telemetry(), "gamma", Fixtures.stepJson("gamma", 2, "0.25").replace("\"time\":0.08", "\"time\":null"));
        until("gamma's second step", () -> runOf("gamma") != null && runOf("gamma").has("step") && runOf("gamma").get("step").getAsLong() == 2);
        send(settings.topics().telemetry(), "gamma", Fixtures.stepJson("gamma", 3, "NaN"));
        until("gamma's third step", () -> runOf("gamma").get("step").getAsLong() == 3);
        for (String path : List.of("/api/runs", "/api/runs/gamma", "/api/runs/gamma/series?metric=loss",
                "/api/runs/gamma/series?metric=accuracy")) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.body()).as(path).doesNotContain("NaN").doesNotContain("Infinity");
        }
        assertThat(runOf("gamma").get("loss").isJsonNull()).isTrue();
        JsonArray loss = json(get("/api/runs/gamma/series?metric=loss")).getAsJsonObject().getAsJsonArray("points");
        assertThat(loss).hasSize(1); // steps 1 and 3 have no finite loss
        assertThat(loss.get(0).getAsJsonArray().get(1).isJsonNull()).isTrue(); // unknown time: null
    }

    @Test
    @Order(4)
    void hostileParametersAre400s() throws Exception {
        HttpResponse<String> injected = get("/api/runs/alpha%0Aevent:%20run%0Adata:%20%7B%7D/stream");
        assertThat(injected.statusCode()).isEqualTo(400);
        assertThat(injected.body()).doesNotContain("event: run");
        assertThat(get("/api/runs/alpha%0A").statusCode()).isEqualTo(400);
        assertThat(get("/api/runs/alpha/series?metric=loss&max_points=4294967298").statusCode()).isEqualTo(400);
        assertThat(get("/api/runs/alpha/series?metric=loss&max_points=-4294967294").statusCode()).isEqualTo(400);
        assertThat(get("/api/runs/alpha/series?metric=loss&max_points=99999999999999999999").statusCode()).isEqualTo(400);
        assertThat(get("/api/runs/alpha/series?metric=bogus").statusCode()).isEqualTo(400);
        assertThat(get("/api/runs/alpha/series?metric=loss&analysis_id=a%2Fb").statusCode()).isEqualTo(400);
        assertThat(post("/api/runs/alpha/replay?analysis_id=x&top_k=4294967298").statusCode()).isEqualTo(400);
        assertThat(post("/api/runs/alpha/replay?analysis_id=x&from=9&to=3").statusCode()).isEqualTo(400);
        assertThat(post("/api/runs/alpha/replay?analysis_id=x&tol=NaN").statusCode()).isEqualTo(400);
        // numbers as the document writes them, not Java's wider syntax
        for (String q : new String[] {"tol=0x1p-10", "tol=1e-4d", "tol=%201e-4", "top_k=%2B3", "from=%201&to=5"}) {
            assertThat(post("/api/runs/alpha/replay?analysis_id=x&" + q).statusCode()).as(q).isEqualTo(400);
        }
        assertThat(get("/api/runs/alpha/series?metric=loss&from=%2B1").statusCode()).isEqualTo(400);
        assertThat(post("/api/runs/alpha/replay?analysis_id=a%0Ab").statusCode()).isEqualTo(400);
        assertThat(post("/api/runs/nope/replay?analysis_id=x").statusCode()).isEqualTo(404);
        // a replay under the live analysis id would overwrite the live metrics
        HttpResponse<String> live = post("/api/runs/alpha/replay?analysis_id=default");
        assertThat(live.statusCode()).isEqualTo(400);
        assertThat(live.body()).contains("is the live analysis");
    }

    @Test
    @Order(5)
    void aReplayIsPublishedAsARequestAndItsResultsStayApartFromTheLiveAnalysis() throws Exception {
        HttpResponse<String> ok = post("/api/runs/alpha/replay?analysis_id=topk3&top_k=3&from=0&to=100");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(202);
        assertThat(json(ok).getAsJsonObject().get("analysis_id").getAsString()).isEqualTo("topk3");
        List<ReplayRequest> requests = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(settings.consumer("rp", null))) {
            io.eoscope.wire.TopicScan.fromStart(c, settings.topics().replays());
            Instant deadline = Instant.now().plusSeconds(30);
            while (requests.isEmpty() && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    assertThat(r.key()).isEqualTo("alpha");
                    requests.add(ReplayRequest.parse(r.value()));
                }
            }
        }
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0)).extracting(ReplayRequest::run, ReplayRequest::analysisId, ReplayRequest::topK,
                ReplayRequest::from, ReplayRequest::to).containsExactly("alpha", "topk3", 3, 0L, 100L);
        // an analyzer answers under topk3 for a later step: the live analysis stays what the page and Prometheus show
        send(settings.topics().metrics(), "alpha/50/topk3", Fixtures.metricsJson("alpha", 50, "topk3", 99));
        until("the replay's metrics", () -> get("/api/runs/alpha?analysis_id=topk3").statusCode() == 200);
        assertThat(runOf("alpha").get("analysed_step").getAsLong()).isEqualTo(10);
        assertThat(get("/metrics").body()).contains("eos_run_sharpness{run=\"alpha\"} 40.0");
        JsonObject replayed = json(get("/api/runs/alpha?analysis_id=topk3")).getAsJsonObject();
        assertThat(replayed.getAsJsonObject("metrics").get("step").getAsLong()).isEqualTo(50);
        JsonArray points = json(get("/api/runs/alpha/series?metric=hessian&analysis_id=topk3")).getAsJsonObject().getAsJsonArray("points");
        assertThat(points.get(0).getAsJsonArray().get(2).getAsDouble()).isEqualTo(99.0);
        JsonArray live = json(get("/api/runs/alpha/series?metric=hessian")).getAsJsonObject().getAsJsonArray("points");
        assertThat(live).hasSize(1);
        assertThat(live.get(0).getAsJsonArray().get(2).getAsDouble()).isEqualTo(40.0);
        assertThat(get("/api/runs/alpha/series?metric=hessian&analysis_id=nope").statusCode()).isEqualTo(404);
    }

    @Test
    @Order(6)
    void aRunSilentForLongerThanTheStalePeriodIsStaleAtOnce() throws Exception {
        long tenMinutesAgo = System.currentTimeMillis() - 600_000;
        producer.send(new ProducerRecord<>(settings.topics().runs(), null, tenMinutesAgo, "old",
                Fixtures.runJson("old", "running").getBytes(StandardCharsets.UTF_8))).get();
        send(settings.topics().runs(), "broken", Fixtures.runJson("broken", "failed"));
        until("old is shown", () -> runOf("old") != null);
        assertThat(runOf("old").get("status").getAsString()).isEqualTo("stale");
        assertThat(runOf("old").get("finished").getAsBoolean()).isFalse();
        until("broken is shown", () -> runOf("broken") != null);
        assertThat(runOf("broken").get("status").getAsString()).isEqualTo("failed");
        assertThat(runOf("broken").get("failure").getAsString()).isEqualTo("loss diverged");
        assertThat(runOf("alpha").get("status").getAsString()).isEqualTo("running");
        assertThat(json(get("/api/runs/old")).getAsJsonObject().get("status").getAsString()).isEqualTo("stale");
        String scrape = get("/metrics").body();
        assertThat(scrape).contains("eos_run_stale{run=\"old\"} 1.0", "eos_run_stale{run=\"alpha\"} 0.0");
        // a heartbeat brings it back to running and adds no point
        send(settings.topics().telemetry(), "old", "{\"schema\":1,\"type\":\"heartbeat\",\"run\":\"old\",\"step\":7,\"at\":"
                + System.currentTimeMillis() + "}");
        until("old runs again", () -> runOf("old").get("status").getAsString().equals("running"));
        assertThat(runOf("old").has("step")).isFalse();
    }

    @Test
    @Order(7)
    void serverSentEventsCarryTheLiveRecordsAsSingleLineJson() throws Exception {
        HttpResponse<java.io.InputStream> response = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.port() + "/api/runs/alpha/stream")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
        // a replay's metrics are not the live analysis: not streamed; then a step, a live analysis and the run
        send(settings.topics().metrics(), "alpha/60/topk3", Fixtures.metricsJson("alpha", 60, "topk3", 7));
        send(settings.topics().telemetry(), "alpha", Fixtures.stepJson("alpha", 20, "NaN"));
        send(settings.topics().metrics(), "alpha/20/default", Fixtures.metricsJson("alpha", 20, "default", 41));
        send(settings.topics().runs(), "alpha", Fixtures.runJson("alpha", "finished"));
        List<String> events = new ArrayList<>();
        try (java.io.BufferedReader reader = new java.io.BufferedReader(
                new java.io.InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            String event = null;
            while (events.size() < 3 && (line = reader.readLine()) != null) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    JsonObject data = JsonParser.parseString(line.substring(6)).getAsJsonObject();
                    assertThat(data.get("run").getAsString()).isEqualTo("alpha");
                    assertThat(line).doesNotContain("NaN");
                    if ("metrics".equals(event)) {
                        assertThat(data.get("analysis_id").getAsString()).isEqualTo("default");
                    }
                    events.add(event);
                }
            }
        }
        assertThat(events).containsExactlyInAnyOrder("telemetry", "metrics", "run");
        // data with a line break gets one data: field per line: nothing after it can pose as an event
        assertThat(GatewayVerticle.sseEvent("run", "{\"a\":1}\nevent: evil\r\ndata: x"))
                .isEqualTo("event: run\ndata: {\"a\":1}\ndata: event: evil\ndata: data: x\n\n");
    }

    /**
     * GET /api/runs/{run}/density: the heavy analysis' densities of each step, the curves as published, λmax of the
     * density's own record or else of the live analysis at that step, the run's threshold; clear errors.
     */
    @Test
    @Order(8)
    void theDensityOfARunIsServedPerStepFromAnyAnalysisIdWithItsLambdaMaxAndThreshold() throws Exception {
        double[] nodes = {-0.5, 0.001, 2.0, 40.0};
        double[] weights = {0.1, 0.3, 0.4, 0.2};
        send(settings.topics().runs(), "dens", Fixtures.runJson("dens", "running"));
        send(settings.topics().metrics(), "dens/10/default", Fixtures.metricsJson("dens", 10, "default", 40));
        send(settings.topics().metrics(), "dens/10/heavy", Fixtures.densityJson("dens", 10, "heavy", 41.5, nodes, weights));
        send(settings.topics().metrics(), "dens/20/heavy", Fixtures.densityJson("dens", 20, "heavy", 44, nodes, new double[] {0.1, 0.2, 0.3, 0.4}));
        until("two steps of density", () -> json(get("/api/runs/dens/density")).getAsJsonObject().getAsJsonArray("steps").size() == 2);
        HttpResponse<String> r = get("/api/runs/dens/density?operator=hessian");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject d = json(r).getAsJsonObject();
        assertThat(d.get("run").getAsString()).isEqualTo("dens");
        assertThat(d.get("operator").getAsString()).isEqualTo("hessian");
        assertThat(d.getAsJsonObject("grid").get("points").getAsInt()).isEqualTo(141);
        assertThat(d.getAsJsonObject("grid").get("scale").getAsDouble()).isEqualTo(0.001);
        assertThat(d.getAsJsonArray("steps").toString()).isEqualTo("[10,20]");
        double[] expected = io.eoscope.curvature.spectrum.DensityGrid.smooth(nodes, weights);
        JsonArray curve = d.getAsJsonArray("curves").get(0).getAsJsonArray();
        assertThat(curve).hasSize(141);
        for (int i = 0; i < 141; i++) {
            assertThat(curve.get(i).getAsDouble()).as("p(u_" + i + ")").isEqualTo(expected[i]); // passed on exactly
        }
        assertThat(d.getAsJsonArray("lambda_max").toString()).isEqualTo("[41.5,44.0]");
        assertThat(d.get("threshold").getAsDouble()).isCloseTo(50.0, org.assertj.core.data.Offset.offset(1e-12)); // 2/η, η = 0.04
        assertThat(d.get("threshold_formula").getAsString()).isEqualTo("2/η");
        assertThat(d.get("analysis_id").getAsString()).isEqualTo("heavy");
        assertThat(d.get("dropped_steps").getAsLong()).isZero();
        assertThat(d.get("max_steps").getAsLong()).isEqualTo(256);
        // G's densities: the heavy records have no G spectrum, so λmax(G) is the live analysis' at step 10, unknown at 20
        JsonObject g = json(get("/api/runs/dens/density?operator=gauss_newton")).getAsJsonObject();
        assertThat(g.getAsJsonArray("lambda_max").toString()).isEqualTo("[44.0,null]");
        // the traces, as series of the analysis that computed them
        JsonArray trace = json(get("/api/runs/dens/series?metric=trace_hessian&analysis_id=heavy")).getAsJsonObject()
                .getAsJsonArray("points");
        assertThat(trace.toString()).isEqualTo("[[10,0.4,12.3],[20,0.8,12.3]]");
        // errors: an unknown operator, run, or a run without a density yet
        HttpResponse<String> bad = get("/api/runs/dens/density?operator=residual");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).getAsJsonObject().get("error").getAsString())
                .isEqualTo("unknown operator 'residual': give ?operator=hessian or ?operator=gauss_newton");
        HttpResponse<String> none = get("/api/runs/nope/density");
        assertThat(none.statusCode()).isEqualTo(404);
        assertThat(json(none).getAsJsonObject().get("error").getAsString()).isEqualTo("no run named 'nope'");
        HttpResponse<String> notYet = get("/api/runs/alpha/density");
        assertThat(notYet.statusCode()).isEqualTo(404);
        assertThat(json(notYet).getAsJsonObject().get("error").getAsString()).startsWith("run 'alpha' has no spectral density of hessian yet");
        assertThat(get("/api/runs/bad%20name/density").statusCode()).isEqualTo(400);
    }

    @Test
    @Order(100)
    void aDeadViewConsumerTurnsHealthTo503WithTheReason() throws Exception {
        gateway.view().listen(u -> {
            if (u.run().equals("boom")) {
                throw new StackOverflowError("simulated fault in the view consumer's thread");
            }
        });
        send(settings.topics().runs(), "boom", Fixtures.runJson("boom", "running"));
        until("/health says dead", () -> get("/health").statusCode() == 503);
        JsonObject health = json(get("/health")).getAsJsonObject();
        assertThat(health.get("status").getAsString()).isEqualTo("dead");
        assertThat(health.get("reason").getAsString()).contains("simulated fault");
        assertThat(gateway.deathReason()).contains("simulated fault");
        assertThat(get("/ready").statusCode()).isEqualTo(503);
    }
}
