package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.analyzer.AnalyzerVerticle;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.gateway.GatewayConfig;
import io.eoscope.gateway.GatewayVerticle;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.stream.TrainerVerticle;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Topics;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's REST and SSE API over a real broker and real runs: contract, errors, fuzz, power law. */
@Tag("integration")
@Timeout(300)
class GatewayApiTest {
    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;
    static Vertx vertx;
    static KafkaSettings settings;
    static GatewayVerticle gateway;
    static RealPrometheus prometheus;
    /** The gateway's openapi.yaml, which every answer below must follow. */
    static ResponseValidator contract;
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
        gateway = new GatewayVerticle(settings, new GatewayConfig("127.0.0.1", 0, 300, 50, TOKEN, GatewayConfig.DEFAULT_STALE_SECONDS,
                GatewayConfig.DEFAULT_MAX_VIEW_RUNS, "test"), registry);
        vertx.deployVerticle(gateway).await();
        contract = ResponseValidator.create(vertx, OpenAPIContract.from(vertx, "openapi.yaml").await());
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
        publishAHeavyAnalysis();
    }

    /** 𝓗's spectral measure of the heavy analysis below, as SLQ reports it: nodes and weights of two probes. */
    static final double[] DENSITY_NODES = {-0.5, 0.001, 2.0, 40.0};
    static final double[] DENSITY_WEIGHTS = {0.1, 0.3, 0.4, 0.2};

    /**
     * A heavy view of run n16's last snapshot, as {@code eos analyzer --analysis-id heavy --density --trace} publishes it
     * (hand-made: the densities and traces of issue 27 with the fixed grid's curves), so that the density API, the trace
     * series, the Prometheus buckets and the Grafana panels have data.
     */
    static void publishAHeavyAnalysis() throws Exception {
        JsonObject o = new JsonObject();
        o.addProperty("run", "n16");
        o.addProperty("step", 20);
        o.addProperty("time", 1.0);
        o.addProperty("analysis_id", "heavy");
        o.add("hessian", JsonParser.parseString("{\"eigenvalues\":[40.0],\"residual_bounds\":[0.002],\"kato_temple_bounds\":[null]}"));
        JsonObject density = new JsonObject();
        density.add("hessian", density(DENSITY_NODES, DENSITY_WEIGHTS, 2));
        density.add("gauss_newton", density(new double[] {0.0, 39.0}, new double[] {0.75, 0.25}, 1));
        o.add("density", density);
        o.add("trace", JsonParser.parseString("{\"hessian\":{\"value\":12.3,\"interval\":[11.9,12.7],\"coverage\":0.95,"
                + "\"method\":\"hutch++\",\"products\":30,\"probes\":10},\"gauss_newton\":{\"value\":10.1,\"interval\":[10.1,10.1],"
                + "\"coverage\":1.0,\"method\":\"exact\",\"products\":0,\"gradient_equivalents\":10},\"gauss_newton_layers\":["
                + "{\"layer\":1,\"value\":6.1,\"interval\":[6.1,6.1],\"method\":\"exact\"}],\"gauss_newton_share\":0.82,"
                + "\"top_share\":{\"hessian\":0.3,\"gauss_newton\":null}}"));
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(settings.producer("test-heavy", Duration.ofSeconds(30)),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            p.send(new ProducerRecord<>(settings.topics().metrics(), "n16/20/heavy", bytes(o.toString()))).get();
        }
        Poll.until(Duration.ofSeconds(60), "the gateway holds n16's density", () -> {
            try {
                return get("/api/runs/n16/density").statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
    }

    static JsonObject density(double[] nodes, double[] weights, int probes) {
        JsonObject d = new JsonObject();
        d.addProperty("probes", probes);
        d.addProperty("steps", nodes.length / probes);
        d.addProperty("products", nodes.length);
        JsonArray n = new JsonArray();
        JsonArray w = new JsonArray();
        JsonArray c = new JsonArray();
        for (int i = 0; i < nodes.length; i++) {
            n.add(nodes[i]);
            w.add(weights[i]);
        }
        for (double v : io.eoscope.curvature.spectrum.DensityGrid.smooth(nodes, weights)) {
            c.add(v);
        }
        d.add("nodes", n);
        d.add("weights", w);
        d.add("curve", c);
        return d;
    }

    @AfterAll
    static void stop() throws Exception {
        if (prometheus != null) {
            prometheus.close();
        }
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
        // the run against its own optimizer's edge: GD, 2/η = 40, the analyzer's λmax(𝓗) ÷ 40
        JsonObject stability = first.getAsJsonObject("stability");
        assertThat(stability.get("optimizer").getAsString()).isEqualTo("gd");
        assertThat(stability.get("quantity").getAsString()).isEqualTo("sharpness");
        assertThat(stability.get("formula").getAsString()).isEqualTo("2/η");
        assertThat(stability.get("threshold").getAsDouble()).isEqualTo(40.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(stability.get("source").getAsString()).isEqualTo("analysis");
        assertThat(stability.get("ratio").getAsDouble()).isEqualTo(stability.get("value").getAsDouble() / 40,
                org.assertj.core.data.Offset.offset(1e-12));
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
        assertThat(loss.getAsJsonArray("points")).hasSize(21); // steps 0..19 and the final state, step 20
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

    /** One documented call: method, path and query, its operation in openapi.yaml, the status it must answer. */
    record Call(String method, String path, String operation, int status) {}

    /** Checks that the answer has the status and a JSON body that the operation's schema for that status accepts. */
    static void conforms(Call call, HttpResponse<String> r) {
        assertThat(r.statusCode()).as(call + ": " + r.body()).isEqualTo(call.status());
        assertThat(r.headers().firstValue("content-type")).as(call.toString()).hasValue("application/json");
        validates(call, r.body());
    }

    /** Checks that {@code body} is what the call's operation may answer with the call's status. */
    static void validates(Call call, String body) {
        try {
            contract.validate(ValidatableResponse.create(call.status(), Buffer.buffer(body), "application/json"), call.operation())
                    .await();
        } catch (RuntimeException e) {
            throw new AssertionError(call + " answered what openapi.yaml does not allow: " + e.getMessage() + "\n" + body, e);
        }
    }

    /** An answer read off a raw socket: for requests java.net.URI refuses to build (malformed escapes). */
    record Raw(int status, String contentType, String body) {}

    static Raw raw(String method, String pathAndQuery) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write((method + " " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int split = answer.indexOf("\r\n\r\n");
            String head = answer.substring(0, split);
            String type = head.lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("content-type:"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(null);
            return new Raw(Integer.parseInt(head.split(" ")[1]), type, answer.substring(split + 4));
        }
    }

    static HttpResponse<String> send(Call call, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + call.path()))
                .timeout(Duration.ofSeconds(30)).method(call.method(), HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Publishes a run the way a careless producer would (Python's json.dumps writes NaN and Infinity literals by
     * default): its loss diverges, one step has no time, and its analysis has non-finite values. The gateway must
     * still answer JSON that JSON.parse accepts, with null for every number that is not finite.
     */
    static void publishANonFiniteRun() throws Exception {
        String run = "diverged";
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(settings.producer("test-nonfinite", Duration.ofSeconds(30)),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            Topics t = settings.topics();
            p.send(new ProducerRecord<>(t.runs(), run, bytes("{\"run\":\"diverged\",\"solver\":\"gd\",\"lr\":0.05,\"n\":8,"
                    + "\"classes\":2,\"dataset\":\"xor\",\"architecture\":\"2-8-2\",\"loss\":\"mse\",\"status\":\"failed\","
                    + "\"failure\":\"loss diverged\",\"note\":NaN}"))).get();
            String[] losses = {"0.5", "NaN", "Infinity"};
            for (int step = 0; step < 3; step++) {
                p.send(new ProducerRecord<>(t.telemetry(), run, bytes("{\"run\":\"diverged\",\"step\":" + step + ",\"time\":"
                        + (step == 1 ? "NaN" : step * 0.05) + ",\"loss\":" + losses[step] + ",\"accuracy\":NaN,\"step_size\":0.05,"
                        + "\"sharpness\":-Infinity,\"products\":0}"))).get();
            }
            p.send(new ProducerRecord<>(t.metrics(), run + "/2/test", bytes("{\"run\":\"diverged\",\"step\":2,\"time\":NaN,"
                    + "\"analysis_id\":\"test\",\"loss\":Infinity,\"hessian\":{\"eigenvalues\":[NaN],\"residuals\":[NaN]},"
                    + "\"gauss_newton\":{\"eigenvalues\":[1.5]},\"rho_K\":NaN,\"K_max_sq_mean\":-Infinity,"
                    + "\"layers\":[{\"layer\":1,\"gauss_newton_top\":NaN,\"pi_chi\":Infinity}]}"))).get();
        }
        Poll.until(Duration.ofSeconds(60), "the gateway holds the diverged run's steps and analysis", () -> {
            try {
                HttpResponse<String> r = get("/api/runs/diverged");
                return r.statusCode() == 200 && r.body().contains("\"analysed_step\":2") && r.body().contains("\"step\":2");
            } catch (Exception e) {
                return false;
            }
        });
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The conformance test: every documented route, during a real embedded run, answers what openapi.yaml says,
     * successes and errors alike, validated with a JSON-schema validator (vertx-openapi, JSON Schema 2020-12), and a
     * run with non-finite values answers strict JSON (the validator parses with Jackson, which refuses NaN).
     */
    @Test
    void everyDocumentedRouteAnswersWhatTheOpenApiDocumentSays() throws Exception {
        publishANonFiniteRun();
        List<Call> calls = List.of(
                new Call("GET", "/health", "health", 200),
                new Call("GET", "/ready", "ready", 200),
                new Call("GET", "/api/runs", "listRuns", 200),
                new Call("GET", "/api/runs/n16", "getRun", 200),
                new Call("GET", "/api/runs/diverged", "getRun", 200),
                new Call("GET", "/api/runs/n16?analysis_id=test", "getRun", 200),
                new Call("GET", "/api/runs/n16?analysis_id=nope", "getRun", 404),
                new Call("GET", "/api/runs/n16?analysis_id=b%20d", "getRun", 400),
                new Call("GET", "/api/runs/nope", "getRun", 404),
                new Call("GET", "/api/runs/bad%20name", "getRun", 400),
                new Call("GET", "/api/runs/n16/series?metric=loss", "getSeries", 200),
                new Call("GET", "/api/runs/n16/series?metric=hessian&max_points=5", "getSeries", 200),
                new Call("GET", "/api/runs/n16/series?metric=layer2.p_delta_J", "getSeries", 200),
                new Call("GET", "/api/runs/diverged/series?metric=loss", "getSeries", 200),
                new Call("GET", "/api/runs/diverged/series?metric=hessian", "getSeries", 200),
                new Call("GET", "/api/runs/diverged/series?metric=gauss_newton", "getSeries", 200),
                new Call("GET", "/api/runs/n16/series", "getSeries", 400),
                new Call("GET", "/api/runs/n16/series?metric=bogus", "getSeries", 400),
                new Call("GET", "/api/runs/n16/series?metric=loss&from=9&to=3", "getSeries", 400),
                new Call("GET", "/api/runs/nope/series?metric=loss", "getSeries", 404),
                new Call("GET", "/api/runs/n16/series?metric=loss&analysis_id=nope", "getSeries", 404),
                new Call("GET", "/api/runs/n16/series?metric=trace_hessian&analysis_id=heavy", "getSeries", 200),
                new Call("GET", "/api/runs/n16/series?metric=gauss_newton_share&analysis_id=heavy", "getSeries", 200),
                new Call("GET", "/api/runs/n16?analysis_id=heavy", "getRun", 200),
                new Call("GET", "/api/runs/n16/density", "getDensity", 200),
                new Call("GET", "/api/runs/n16/density?operator=gauss_newton", "getDensity", 200),
                new Call("GET", "/api/runs/n16/density?operator=bogus", "getDensity", 400),
                new Call("GET", "/api/runs/n32/density", "getDensity", 404),
                new Call("GET", "/api/runs/nope/density", "getDensity", 404),
                new Call("GET", "/api/runs/bad%20name/density", "getDensity", 400),
                new Call("GET", "/api/runs/bad%20name/stream", "streamRun", 400),
                new Call("GET", "/api/powerlaw?runs=n16,n32,n64", "fitPowerLaw", 200),
                new Call("GET", "/api/powerlaw?runs=n16", "fitPowerLaw", 400),
                new Call("GET", "/api/powerlaw", "fitPowerLaw", 400),
                new Call("GET", "/api/powerlaw?runs=n16,n32&metric=bogus", "fitPowerLaw", 400),
                new Call("POST", "/api/runs/n16/replay", "requestReplay", 401),
                new Call("POST", "/api/runs/nope/replay", "requestReplay", 404),
                new Call("POST", "/api/runs/n16/replay?top_k=0", "requestReplay", 400),
                new Call("POST", "/api/runs/n16/replay?analysis_id=test", "requestReplay", 400));
        for (Call call : calls) {
            conforms(call, send(call, call.status() == 401 ? null : TOKEN));
        }
        // what java.net.URI cannot even send: malformed escapes in the path and the query are JSON 400s too
        for (Call call : List.of(new Call("GET", "/api/runs/%ZZ", "getRun", 400), new Call("GET", "/api/runs/a%", "getRun", 400),
                new Call("GET", "/api/runs/n16?analysis_id=%ZZ", "getRun", 400),
                new Call("GET", "/api/runs/n16/series?metric=%ZZ", "getSeries", 400),
                new Call("GET", "/api/runs/n16/stream?x=%ZZ", "streamRun", 400),
                new Call("POST", "/api/runs/n16/replay?analysis_id=%ZZ", "requestReplay", 400))) {
            Raw r = raw(call.method(), call.path());
            assertThat(r.status()).as(call + ": " + r.body()).isEqualTo(400);
            assertThat(r.contentType()).as(call.toString()).isEqualTo("application/json");
            validates(call, r.body());
        }
        // every operation of the document is called here (the 202 of a replay in replayRequiresTheBearerToken)
        java.util.Set<String> called = new java.util.TreeSet<>(calls.stream().map(Call::operation).toList());
        called.addAll(List.of("prometheusMetrics", "openApi"));
        assertThat(called).containsExactlyInAnyOrderElementsOf(OpenAPIContract.from(vertx, "openapi.yaml").await().operations()
                .stream().map(io.vertx.openapi.contract.Operation::getOperationId).toList());
        assertThat(get("/metrics").headers().firstValue("content-type").orElse("")).startsWith("text/plain; version=0.0.4");
        assertThat(get("/openapi.yaml").body()).startsWith("openapi: 3.1.0");
        // the diverged run: null where a number is not finite, points without a value left out
        JsonObject diverged = JsonParser.parseString(get("/api/runs/diverged").body()).getAsJsonObject();
        assertThat(diverged.get("loss").isJsonNull()).isTrue();
        assertThat(diverged.get("rho_K").isJsonNull()).isTrue();
        assertThat(diverged.has("sharpness")).isFalse();
        assertThat(diverged.getAsJsonObject("metrics").getAsJsonObject("hessian").getAsJsonArray("eigenvalues").get(0).isJsonNull())
                .isTrue();
        JsonArray loss = JsonParser.parseString(get("/api/runs/diverged/series?metric=loss").body()).getAsJsonObject()
                .getAsJsonArray("points");
        assertThat(loss).hasSize(1);
        assertThat(JsonParser.parseString(get("/api/runs/diverged/series?metric=hessian").body()).getAsJsonObject()
                .getAsJsonArray("points")).isEmpty();
        // the heavy analysis' density of n16: its own λmax(𝓗) and the run's threshold 2/η = 40; λmax(G) from the live analysis
        JsonObject density = JsonParser.parseString(get("/api/runs/n16/density").body()).getAsJsonObject();
        assertThat(density.getAsJsonArray("steps").toString()).isEqualTo("[20]");
        assertThat(density.getAsJsonArray("lambda_max").toString()).isEqualTo("[40.0]");
        assertThat(density.get("threshold").getAsDouble()).isCloseTo(40.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(density.get("threshold_formula").getAsString()).isEqualTo("2/η");
        double liveTop = JsonParser.parseString(get("/api/runs/n16").body()).getAsJsonObject().getAsJsonObject("metrics")
                .getAsJsonObject("gauss_newton").getAsJsonArray("eigenvalues").get(0).getAsDouble();
        assertThat(JsonParser.parseString(get("/api/runs/n16/density?operator=gauss_newton").body()).getAsJsonObject()
                .getAsJsonArray("lambda_max").get(0).getAsDouble()).isEqualTo(liveTop);
    }

    /** The JSON routes among the fuzzed paths, by operation. */
    static final Map<String, String> OPERATIONS = Map.of("/api/runs", "listRuns", "/api/runs/n16", "getRun",
            "/api/runs/n16/series", "getSeries", "/api/powerlaw", "fitPowerLaw", "/api/runs/%00", "getRun",
            "/api/runs/n16/density", "getDensity");

    /** Random query parameters: never a 5xx, and every JSON answer follows openapi.yaml. */
    @Test
    void fuzzedQueryParametersNeverYieldA5xx() throws Exception {
        Random random = new Random(7);
        String[] paths = {"/api/runs", "/api/runs/n16", "/api/runs/n16/series", "/api/powerlaw", "/metrics", "/api/runs/%00",
            "/openapi.yaml", "/", "/api/runs/n16/density"};
        String[] names = {"metric", "from", "to", "max_points", "runs", "x", "operator"};
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
            String operation = OPERATIONS.get(q.substring(0, q.indexOf("?")));
            if (operation != null) { // and what it answers, error or not, is what openapi.yaml says
                conforms(new Call("GET", q.toString(), operation, r.statusCode()), r);
            }
        }
    }

    @Test
    void prometheusExpositionHasEveryRunsSeries() throws Exception {
        String body = get("/metrics").body();
        for (String name : List.of("eos_run_loss", "eos_run_accuracy", "eos_run_step", "eos_run_time", "eos_run_sharpness",
                "eos_run_gauss_newton_top", "eos_run_residual_top", "eos_run_two_over_eta", "eos_run_stability_ratio",
                "eos_run_stability", "eos_run_stability_threshold",
                "eos_run_rho_k", "eos_run_k_max_sq_mean")) {
            assertThat(body).contains(name + "{run=\"n16\"}");
        }
        for (String name : List.of("eos_layer_gauss_newton_top", "eos_layer_pi_chi", "eos_layer_p_chi_delta", "eos_layer_pi_j",
                "eos_layer_p_delta_j", "eos_layer_delta_l_max_sq_mean", "eos_layer_k_max_sq_mean")) {
            assertThat(body).contains(name + "{layer=\"1\",run=\"n16\"}");
        }
    }

    /** The real Prometheus that scrapes the gateway, started by the first test that needs it and shared by the others. */
    static synchronized RealPrometheus prometheus() throws Exception {
        if (prometheus == null) {
            prometheus = RealPrometheus.start(dir.resolve("prometheus"), gateway.port());
            Poll.until(Duration.ofSeconds(90), "Prometheus has scraped the gateway", () -> !prometheus.query("eos_run_loss").isEmpty());
        }
        return prometheus;
    }

    /** A real Prometheus process scrapes the gateway; every documented series comes back through its query API. */
    @Test
    void realPrometheusScrapesEveryDocumentedSeries() throws Exception {
        RealPrometheus p = prometheus();
        for (String name : List.of("eos_run_loss", "eos_run_accuracy", "eos_run_step", "eos_run_time", "eos_run_sharpness",
                "eos_run_gauss_newton_top", "eos_run_residual_top", "eos_run_two_over_eta", "eos_run_stability_ratio",
                "eos_run_stability", "eos_run_stability_threshold",
                "eos_run_rho_k", "eos_run_k_max_sq_mean")) {
            JsonArray result = p.query(name + "{run=\"n16\"}");
            assertThat(result).as(name).hasSize(1);
            JsonObject labels = result.get(0).getAsJsonObject().getAsJsonObject("metric");
            assertThat(labels.get("job").getAsString()).isEqualTo("eoscope");
            assertThat(labels.has("layer")).isFalse();
        }
        for (String name : List.of("eos_layer_gauss_newton_top", "eos_layer_k_max_sq_mean", "eos_layer_pi_chi",
                "eos_layer_p_chi_delta", "eos_layer_pi_j", "eos_layer_p_delta_j", "eos_layer_delta_l_max_sq_mean")) {
            JsonArray result = p.query(name + "{run=\"n16\"}");
            assertThat(result).as(name).hasSize(3); // layers 1, 2, 3
            assertThat(result.get(0).getAsJsonObject().getAsJsonObject("metric").has("layer")).isTrue();
        }
        // n16's heavy analysis: 17 buckets of each operator's density, the traces of both operators and their share
        assertThat(p.query("eos_spectral_density_bucket{run=\"n16\"}")).hasSize(2 * 17);
        assertThat(p.query("eos_trace{run=\"n16\"}")).hasSize(2);
        assertThat(p.query("eos_trace_low{run=\"n16\"}")).hasSize(2);
        assertThat(p.query("eos_trace_high{run=\"n16\"}")).hasSize(2);
        assertThat(p.query("eos_trace_gauss_newton_share{run=\"n16\"}")).hasSize(1);
        assertThat(p.query("eos_spectral_density_bucket{run=\"n32\"}")).as("no density, no buckets").isEmpty();
        assertThat(p.query("eos_gateway_density_steps_dropped_total")).isNotEmpty();
        for (String name : List.of("eos_analyzer_snapshots_total", "eos_analyzer_lag_records",
                "eos_analyzer_analysis_seconds_count", "eos_analyzer_products_total", "eos_analyzer_deadletters_total",
                "jvm_memory_used_bytes", "eos_http_server_requests_seconds_count")) {
            assertThat(p.query(name)).as(name).isNotEmpty();
        }
        // the analyzer's and the gateway's Kafka clients, bound to the same registry
        for (String component : List.of("analyzer", "gateway")) {
            assertThat(p.query("kafka_consumer_fetch_manager_records_consumed_total{component=\"" + component + "\"}"))
                    .as(component).isNotEmpty();
        }
        assertThat(p.query("kafka_producer_record_send_total{component=\"analyzer\"}").get(0).getAsJsonObject()
                .getAsJsonArray("value").get(1).getAsDouble()).as("metrics records sent").isGreaterThanOrEqualTo(9);
        assertThat(p.query("eos_analyzer_snapshots_total{group=\"gw\"}").get(0).getAsJsonObject().getAsJsonArray("value")
                .get(1).getAsDouble()).isGreaterThanOrEqualTo(9);
        // every alerting and recording rule of deploy/prometheus evaluates without error against the real series
        long alerts = java.nio.file.Files.readAllLines(RealPrometheus.RULES).stream().filter(l -> l.trim().startsWith("- alert:")).count();
        assertThat(alerts).isEqualTo(7);
        long rules = alerts + java.nio.file.Files.readAllLines(RealPrometheus.RULES).stream()
                .filter(l -> l.trim().startsWith("- record:")).count();
        assertThat(rules).isEqualTo(7 + 18);
        Poll.until(Duration.ofSeconds(60), "every rule evaluated with health ok", () -> {
            try {
                int ok = 0;
                for (var g : p.ruleGroups()) {
                    for (var rule : g.getAsJsonObject().getAsJsonArray("rules")) {
                        ok += "ok".equals(rule.getAsJsonObject().get("health").getAsString()) ? 1 : 0;
                    }
                }
                return ok == rules;
            } catch (RuntimeException e) {
                return false;
            }
        });
        double two = p.query("eos_run_two_over_eta{run=\"n32\"}").get(0).getAsJsonObject().getAsJsonArray("value")
                .get(1).getAsDouble();
        assertThat(two).isEqualTo(40.0);
    }

    /** Grafana's values for the dashboards' variables during this run: regexes that match real label values, short ranges. */
    static final Map<String, String> VARIABLES = Map.of("run", "n16|n32|n64", "layer", "1|2|3", "group", "gw",
            "__rate_interval", "30s", "__interval", "5s", "__range", "5m");

    /**
     * Panels that must show data during this run, by dashboard and title: every panel of deploy/grafana is in this
     * list or in {@link #MAY_BE_EMPTY}, so a new panel needs a decision and a renamed metric fails the test.
     */
    static final Map<String, List<String>> SHOW_DATA = Map.of(
            "eoscope-overview", List.of("Runs shown", "Stability ratio: quantity ÷ its optimizer's threshold", "Latest values per run",
                    "Loss L̃(θ)", "Stability quantity and its optimizer's threshold", "𝓗 against G against H", "Stability ratio over time",
                    "Share of the sharpness in G: λmax(G)/λmax(𝓗)", "ρ(K) and E‖K‖²max", "Accuracy",
                    "Progress: step and continuous time t", "Training speed", "Spectral density of 𝓗 over training",
                    "Traces: tr(𝓗) with its interval, and tr(G)", "Share of the trace in G: tr(G)/tr(𝓗)"),
            "eoscope-layers", List.of("λmax(Gˡ) per layer", "λmax(Gˡ) / ρ(K)", "E‖Kˡ‖²max per layer", "Factorisation check",
                    "Π_χˡ = E‖χˡ‖²", "P_χΔˡ: input-size / back-propagated-size alignment", "Π_Jˡ = E Π_{k>l} ‖Jᵏ‖²max",
                    "P_ΔJˡ: layerwise Jacobian alignment", "E‖Δᴸ‖²max = E‖S^½‖²max"),
            "eoscope-operations", List.of("Analyzer lag", "Analysis time per snapshot", "Analysis time per stage", "Operator products per second",
                    "Snapshots analysed per second", "Snapshots analysed", "Dead letters in range", "Dead letters",
                    "Consumer lag (records-lag-max)", "Records consumed per second", "Bytes consumed per second",
                    "Fetch requests per second", "Records sent per second", "Producer request latency",
                    "HTTP requests per second", "HTTP latency", "JVM heap and CPU"),
            // the recorded series of the eoscope-fleet rules over these three runs (counts are 0 rather than absent)
            "eoscope-fleet", List.of("Runs", "At the edge: ratio ≥ 1", "Beyond the edge: ratio ≥ 1.3", "Stale runs",
                    "Top 10 runs by stability ratio", "Runs per stability-ratio band now", "Runs per stability-ratio band over time",
                    "Stability ratio of the top 10 runs", "Runs at and beyond the edge over time", "Snapshots analysed per second",
                    "Analyzer lag", "Analysis lag, 95th percentile (steps)", "Runs held by the gateway, and without series",
                    "Analysis lag across runs (steps)"));
    /** Panels that are empty when all is well: no alert fires for these short runs. */
    static final Map<String, List<String>> MAY_BE_EMPTY = Map.of("eoscope-overview", List.of("Firing and pending eoscope alerts"));

    /**
     * Every PromQL expression of every dashboard panel and every alert rule evaluates without error against the real
     * Prometheus scraping this run (instant and range queries, as Grafana sends them), and the panels of
     * {@link #SHOW_DATA} return series; the dashboards' variable queries list this run's runs, layers and groups.
     */
    @Test
    void everyDashboardQueryAndRuleEvaluatesAgainstTheRealPrometheus() throws Exception {
        RealPrometheus p = prometheus();
        List<Dashboards.Target> targets = Dashboards.targets();
        java.util.Set<String> panels = new java.util.TreeSet<>();
        targets.forEach(t -> panels.add(t.dashboard() + " / " + t.panel()));
        java.util.Set<String> listed = new java.util.TreeSet<>();
        SHOW_DATA.forEach((d, titles) -> titles.forEach(title -> listed.add(d + " / " + title)));
        MAY_BE_EMPTY.forEach((d, titles) -> titles.forEach(title -> listed.add(d + " / " + title)));
        assertThat(panels).as("every panel with a query is listed as showing data or as maybe empty").isEqualTo(listed);
        // rate() and increase() need two scrapes in their window: poll (bounded) until every panel that should show data does
        java.util.List<String> empty = new java.util.ArrayList<>();
        try {
            Poll.until(Duration.ofSeconds(60), "every panel that should show data has data", () -> {
                empty.clear();
                for (Dashboards.Target t : targets) {
                    if (SHOW_DATA.get(t.dashboard()).contains(t.panel()) && !hasData(p, t)) {
                        empty.add(t.name());
                    }
                }
                return empty.isEmpty();
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; still empty: " + empty, e);
        }
        for (Dashboards.Target t : targets) {
            String expr = Dashboards.substitute(t.expr(), VARIABLES);
            JsonObject instant = p.instant(expr);
            assertThat(instant.get("status").getAsString()).as(t.name() + ": " + expr + " " + instant).isEqualTo("success");
            JsonObject range = p.range(expr, 60, 5);
            assertThat(range.get("status").getAsString()).as(t.name() + ": " + expr + " " + range).isEqualTo("success");
        }
        // the layers dashboard's check of the factorisation E‖Kˡ‖²max = Π_χˡ·P_χΔˡ·Π_Jˡ·P_ΔJˡ·E‖Δᴸ‖²max (README): the five
        // factor series are wired to the right fields when it is 1; exact up to float32 rounding of the factors (runs here
        // are float32, relative 1e-7 per operation over a dozen operations), so 1e-4 leaves a wide margin
        Dashboards.Target check = targets.stream().filter(t -> t.panel().equals("Factorisation check")).findFirst().orElseThrow();
        JsonArray ratios = p.query(Dashboards.substitute(check.expr(), VARIABLES));
        assertThat(ratios).hasSize(9); // three runs, three layers
        for (var r : ratios) {
            assertThat(r.getAsJsonObject().getAsJsonArray("value").get(1).getAsDouble()).as(r.toString()).isCloseTo(1.0,
                    org.assertj.core.data.Offset.offset(1e-4));
        }
        // the stability panel's second series is the run's own threshold, 2/η for these GD runs (η = 0.05), one per run
        Dashboards.Target edge = targets.stream().filter(t -> t.panel().equals("Stability quantity and its optimizer's threshold")
                && t.refId().equals("B")).findFirst().orElseThrow();
        JsonArray lines = p.query(Dashboards.substitute(edge.expr(), VARIABLES));
        assertThat(lines).hasSize(3);
        for (var line : lines) {
            assertThat(line.getAsJsonObject().getAsJsonArray("value").get(1).getAsDouble()).isEqualTo(40.0);
        }
        // the density heatmap's buckets, as Prometheus holds them: n16's heavy analysis, the spectral mass at or below each
        // edge summed by hand from its nodes −0.5 (0.1), 0.001 (0.3), 2 (0.4), 40 (0.2)
        Dashboards.Target heatmap = targets.stream().filter(t -> t.panel().equals("Spectral density of 𝓗 over training"))
                .findFirst().orElseThrow();
        Map<String, Double> mass = new java.util.HashMap<>();
        for (var b : p.query(Dashboards.substitute(heatmap.expr(), VARIABLES))) {
            mass.put(b.getAsJsonObject().getAsJsonObject("metric").get("le").getAsString(),
                    b.getAsJsonObject().getAsJsonArray("value").get(1).getAsDouble());
        }
        assertThat(mass).hasSize(17);
        Map<String, Double> expected = Map.ofEntries(Map.entry("-1000.0", 0.0), Map.entry("-1.0", 0.0), Map.entry("-0.1", 0.1),
                Map.entry("0.0", 0.1), Map.entry("0.001", 0.4), Map.entry("1.0", 0.4), Map.entry("10.0", 0.8), Map.entry("100.0", 1.0),
                Map.entry("+Inf", 1.0));
        expected.forEach((le, m) -> assertThat(mass.get(le)).as("le " + le).isCloseTo(m, org.assertj.core.data.Offset.offset(1e-12)));
        // the alert rules, as written in deploy/prometheus and as Prometheus loaded them
        long inFile = java.nio.file.Files.readAllLines(RealPrometheus.RULES).stream().filter(l -> l.strip().startsWith("expr:")).count();
        int rules = 0;
        for (var g : p.ruleGroups()) {
            for (var rule : g.getAsJsonObject().getAsJsonArray("rules")) {
                String expr = rule.getAsJsonObject().get("query").getAsString();
                JsonObject r = p.instant(expr);
                assertThat(r.get("status").getAsString()).as(expr + " " + r).isEqualTo("success");
                rules++;
            }
        }
        assertThat(rules).as("every rule of " + RealPrometheus.RULES + " loaded").isEqualTo(inFile).isPositive();
        // the variables' own queries: label_values(M, L) is the label L of the series M
        assertThat(labelValues(p, "eos_run_sharpness", "run")).contains("n16", "n32", "n64");
        assertThat(labelValues(p, "eos_layer_gauss_newton_top{run=~\"n16|n32|n64\"}", "layer")).containsExactlyInAnyOrder("1", "2", "3");
        assertThat(labelValues(p, "eos_analyzer_snapshots_total", "group")).contains("gw");
        for (JsonObject d : Dashboards.load()) {
            for (var v : d.getAsJsonObject("templating").getAsJsonArray("list")) {
                JsonObject o = v.getAsJsonObject();
                if (o.get("type").getAsString().equals("query")) {
                    assertThat(o.get("definition").getAsString()).as(d.get("uid") + " variable " + o.get("name"))
                            .isIn("label_values(eos_run_sharpness, run)", "label_values(eos_layer_gauss_newton_top{run=~\"$run\"}, layer)",
                                    "label_values(eos_analyzer_snapshots_total, group)");
                }
            }
        }
    }

    private static boolean hasData(RealPrometheus p, Dashboards.Target t) {
        String expr = Dashboards.substitute(t.expr(), VARIABLES);
        try {
            JsonObject o = t.instant() ? p.instant(expr) : p.range(expr, 60, 5);
            return "success".equals(o.get("status").getAsString()) && !o.getAsJsonObject("data").getAsJsonArray("result").isEmpty();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static List<String> labelValues(RealPrometheus p, String series, String label) {
        List<String> out = new java.util.ArrayList<>();
        for (var e : p.query("group by (" + label + ") (" + series + ")")) {
            out.add(e.getAsJsonObject().getAsJsonObject("metric").get(label).getAsString());
        }
        return out;
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
        conforms(new Call("POST", "/api/runs/n16/replay?analysis_id=viagateway", "requestReplay", 202), ok);
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
