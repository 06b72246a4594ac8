package io.eoscope.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.eoscope.wire.ReplayRequest;
import io.eoscope.wire.TelemetryRecord;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * openapi.yaml and the records the gateway answers with are one contract: every {@link ApiBodies.Body} has the
 * schema of its name, writes exactly that schema's properties when every optional value is set, and validates
 * (with every optional value set and with none); every schema is a body's or a wire record's. The document
 * itself is checked against the OpenAPI 3.1 meta-schema when it is loaded.
 */
class OpenApiSchemasTest {
    /** Schemas that wire records write (TelemetryRecord.Step, MetricsRecord, RunRecord, ReplayRequest) and their parts. */
    static final Set<String> WIRE = Set.of("TelemetryStep", "Metrics", "RunConfig", "ReplayRequest", "Spectrum", "LayerMetrics",
            "Density", "Trace", "TraceEstimate");
    static Vertx vertx;
    static OpenAPIContract contract;
    static ResponseValidator validator;

    /** Where each body is answered: an operation id and a status. */
    record Use(String operation, int status) {}

    /** A body with every optional value set, one with none, and where it is answered. */
    record Sample(ApiBodies.Body full, ApiBodies.Body bare, Use use) {}

    @BeforeAll
    static void load() {
        vertx = Vertx.vertx();
        contract = OpenAPIContract.from(vertx, "openapi.yaml").await();
        validator = ResponseValidator.create(vertx, contract);
    }

    @AfterAll
    static void close() {
        vertx.close().await();
    }

    static Map<String, Sample> samples() throws Exception {
        ApiBodies.RunSummary full = new ApiBodies.RunSummary("a", false, "failed", "loss diverged", 1_700_000_000_000L, "gd", "xor",
                64L, 2L, "2-8-2", "elu", "mse", 50.0, 10L, 0.4, Double.NaN, 0.75, 45.0, "default", 10L, 44.0, 16L,
                new RunStability("momentum", "batch_sharpness", 95.0, "(2+2β)/η", 93.5, 93.5 / 95, 92.6, 94.4, 10, "analysis"));
        ApiBodies.RunSummary bare = new ApiBodies.RunSummary("a", false, "running", null, 0, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null);
        ApiBodies.RunSummary unmeasured = new ApiBodies.RunSummary("a", false, "running", null, 0, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null,
                new RunStability(null, "sharpness", Double.NaN, "2/η", Double.NaN, Double.NaN, Double.NaN, Double.NaN, -1, null));
        ReplayRequest replay = new ReplayRequest("a", "r1", 0, 100, 3, 1e-4, 1_700_000_000_000L);
        Map<String, Sample> s = new LinkedHashMap<>();
        s.put("Error", new Sample(new ApiBodies.Error("no run named 'x'"), new ApiBodies.Error(""), new Use("getRun", 404)));
        s.put("Status", new Sample(new ApiBodies.Status("not ready", "waiting for topic(s) x to exist"),
                new ApiBodies.Status("ok", null), new Use("ready", 503)));
        s.put("RunSummary", new Sample(full, bare, new Use("listRuns", 200)));
        s.put("RunSummary of a run with nothing measured yet", new Sample(unmeasured, bare, new Use("listRuns", 200)));
        s.put("RunDetail", new Sample(new ApiBodies.RunDetail(full, Fixtures.run("a", "failed"),
                (TelemetryRecord.Step) Fixtures.step("a", 10), Fixtures.metrics("a", 10, "default", 45), List.of("default", "r1")),
                new ApiBodies.RunDetail(bare, null, null, null, List.of()), new Use("getRun", 200)));
        s.put("RunDetail of a TorchScript run", new Sample(new ApiBodies.RunDetail(bare, Fixtures.run("a", "running"), null,
                io.eoscope.wire.MetricsRecord.parse(("{\"run\":\"a\",\"step\":3,\"time\":null,\"analysis_id\":\"default\","
                        + "\"model\":\"torchscript\",\"parameters\":1234,\"hessian\":{\"eigenvalues\":[20.5],\"residuals\":[null],"
                        + "\"products\":null,\"converged\":true},\"groups\":[{\"group\":\"conv1\",\"gauss_newton_top\":3.5},"
                        + "{\"group\":\"head\",\"gauss_newton_top\":null}],\"seconds\":NaN,\"stage_seconds\":{\"hessian\":0.5}}")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)), List.of("default")),
                new ApiBodies.RunDetail(bare, null, null, null, List.of()), new Use("getRun", 200)));
        s.put("Series", new Sample(new ApiBodies.Series("a", "hessian", "default",
                List.of(new ApiBodies.Point(0, 0, 1.5), new ApiBodies.Point(10, Double.NaN, 2.5))),
                new ApiBodies.Series("a", "loss", null, List.of()), new Use("getSeries", 200)));
        s.put("PowerLawFit", new Sample(new ApiBodies.PowerLawFit("layer1.p_delta_J", 2.0, -0.5, Double.NaN,
                List.of(new ApiBodies.FitPoint("a", 16, 0.5, 20), new ApiBodies.FitPoint("b", 64, 0.25, 20))),
                new ApiBodies.PowerLawFit("rho_K", 1, 0, 1, List.of()), new Use("fitPowerLaw", 200)));
        RunsView.DensityStep d0 = new RunsView.DensityStep(20, 0.8, "default", 4, new double[141], new double[16], 45.0);
        RunsView.DensityStep d1 = new RunsView.DensityStep(40, Double.NaN, "heavy", 4, new double[141], new double[16], Double.NaN);
        s.put("DensityHeatmap", new Sample(new ApiBodies.DensityHeatmap("a", "hessian", List.of(d0, d1), new double[] {45.0, 47.5},
                40.0, "2/η", 3, 256), new ApiBodies.DensityHeatmap("a", "gauss_newton", List.of(d1), new double[] {Double.NaN},
                Double.NaN, "2/η", 0, 1), new Use("getDensity", 200)));
        s.put("ReplayAccepted", new Sample(new ApiBodies.ReplayAccepted(replay), new ApiBodies.ReplayAccepted(replay),
                new Use("requestReplay", 202)));
        return s;
    }

    /** Validates a body as the answer of {@code use}; a listRuns body is one summary in an array. */
    static void validate(ApiBodies.Body body, Use use) {
        String text = use.operation().equals("listRuns") ? "[" + body.toJson() + "]" : body.toJson().toString();
        validate(text, use);
    }

    static void validate(String text, Use use) {
        validator.validate(ValidatableResponse.create(use.status(), Buffer.buffer(text), "application/json"), use.operation()).await();
    }

    /** The properties a schema lists, through allOf and $ref. */
    static Set<String> properties(String schema) {
        return properties(contract.getRawContract().getJsonObject("components").getJsonObject("schemas").getJsonObject(schema));
    }

    static Set<String> properties(io.vertx.core.json.JsonObject schema) {
        Set<String> out = new TreeSet<>();
        if (schema.containsKey("$ref")) {
            out.addAll(properties(schema.getString("$ref").substring("#/components/schemas/".length())));
        }
        if (schema.containsKey("properties")) {
            out.addAll(schema.getJsonObject("properties").fieldNames());
        }
        if (schema.containsKey("allOf")) {
            for (Object part : schema.getJsonArray("allOf")) {
                out.addAll(properties((io.vertx.core.json.JsonObject) part));
            }
        }
        return out;
    }

    @Test
    void everyBodyHasTheSchemaOfItsNameAndWritesExactlyItsProperties() throws Exception {
        Map<String, Sample> samples = samples();
        List<String> bodies = Arrays.stream(ApiBodies.Body.class.getPermittedSubclasses()).map(Class::getSimpleName).toList();
        assertThat(samples.keySet()).as("a sample of every body").containsAll(bodies);
        for (Map.Entry<String, Sample> e : samples.entrySet()) {
            String schema = e.getValue().full().getClass().getSimpleName();
            if (schema.equals(e.getKey())) { // the named samples set every optional value: exactly the schema's properties
                assertThat(e.getValue().full().toJson().keySet()).as(e.getKey() + " with every optional value")
                        .containsExactlyInAnyOrderElementsOf(properties(schema));
            }
            validate(e.getValue().full(), e.getValue().use());
            validate(e.getValue().bare(), e.getValue().use());
        }
    }

    @Test
    void everySchemaIsABodysOrAWireRecords() {
        Set<String> schemas = new TreeSet<>(contract.getRawContract().getJsonObject("components").getJsonObject("schemas").fieldNames());
        schemas.removeIf(k -> k.startsWith("__")); // the validator's own bookkeeping (__absolute_uri__)
        Set<String> bodies = new TreeSet<>(WIRE);
        Arrays.stream(ApiBodies.Body.class.getPermittedSubclasses()).map(Class::getSimpleName).forEach(bodies::add);
        assertThat(schemas).containsExactlyInAnyOrderElementsOf(bodies);
    }

    @Test
    void wireRecordsWriteTheirSchemasProperties() throws Exception {
        JsonObject step = new TelemetryRecord.Step("a", 3, 0.12, 0.5, 0.75, 0.04, 45.0, 12, 45.0, 50.0, 2).toJson();
        assertThat(step.keySet()).containsExactlyInAnyOrderElementsOf(properties("TelemetryStep"));
        ReplayRequest replay = new ReplayRequest("a", "r1", 0, 100, 3, 1e-4, 1L);
        assertThat(replay.toJson().keySet()).containsExactlyInAnyOrderElementsOf(properties("ReplayRequest"));
        JsonObject metrics = Fixtures.metrics("a", 3, "default", 45).toJson();
        assertThat(properties("Metrics")).containsAll(metrics.keySet());
        // a heavy analysis' record: its densities, traces and bounds are in the schemas too
        JsonObject heavy = Fixtures.density("a", 3, "heavy", 45, new double[] {1.0, 2.0}, new double[] {0.5, 0.5}).toJson();
        assertThat(properties("Metrics")).containsAll(heavy.keySet());
        assertThat(properties("Density")).containsAll(heavy.getAsJsonObject("density").getAsJsonObject("hessian").keySet());
        assertThat(properties("TraceEstimate")).containsAll(heavy.getAsJsonObject("trace").getAsJsonObject("hessian").keySet());
        assertThat(properties("TraceEstimate")).containsAll(heavy.getAsJsonObject("trace").getAsJsonObject("gauss_newton").keySet());
        assertThat(properties("Spectrum")).containsAll(heavy.getAsJsonObject("hessian").keySet());
        validate("{\"run\":\"a\",\"finished\":false,\"status\":\"running\",\"last_heard_ms\":1,\"analyses\":[\"heavy\"],"
                + "\"metrics\":" + heavy + "}", new Use("getRun", 200));
        JsonArray layers = metrics.getAsJsonArray("layers");
        assertThat(properties("LayerMetrics")).containsAll(layers.get(0).getAsJsonObject().keySet());
    }

    /** The checks can fail: NaN is not JSON, a missing required property and a wrong type are refused. */
    @Test
    void theValidatorRefusesWhatTheContractForbids() {
        Use detail = new Use("getRun", 200);
        assertThatThrownBy(() -> validate("{\"run\":\"a\",\"finished\":false,\"status\":\"running\",\"last_heard_ms\":1,"
                + "\"config\":{},\"analyses\":[],\"loss\":NaN}", detail)).as("NaN").isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> validate("{\"finished\":false,\"status\":\"running\",\"last_heard_ms\":1,\"config\":{},"
                + "\"analyses\":[]}", detail)).as("no run").isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> validate("{\"run\":\"a\",\"finished\":false,\"status\":\"running\",\"last_heard_ms\":1,"
                + "\"config\":{},\"analyses\":[],\"step\":\"ten\"}", detail)).as("a string step").isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> validate("{\"run\":\"a\",\"metric\":\"loss\",\"columns\":[\"step\",\"time\",\"value\"],"
                + "\"points\":[[1,null,null]]}", new Use("getSeries", 200))).as("a null value").isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> validate("{\"message\":\"x\"}", new Use("getRun", 404))).as("an error without error")
                .isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> validate("{\"run\":\"a\",\"finished\":false,\"status\":\"running\",\"last_heard_ms\":1,"
                + "\"config\":{},\"analyses\":[],\"stability\":{\"quantity\":\"sharpness\",\"formula\":\"2/η\",\"threshold\":0}}",
                detail)).as("a threshold of 0").isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> validate("{\"run\":\"a\",\"finished\":false,\"status\":\"running\",\"last_heard_ms\":1,"
                + "\"config\":{},\"analyses\":[],\"stability\":{\"quantity\":\"curvature\",\"formula\":\"2/η\"}}",
                detail)).as("an unknown quantity").isInstanceOf(RuntimeException.class);
    }
}
