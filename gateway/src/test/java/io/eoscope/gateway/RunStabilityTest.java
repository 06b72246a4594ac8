package io.eoscope.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.RunRecord;
import io.eoscope.wire.TelemetryRecord;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * Each run against its own optimizer's edge: the threshold and formula of its optimizer, the value from the best source
 * (the analyzer's, else the trainer's), their ratio; GD runs as before. Thresholds are computed here by hand from
 * docs/science.md#other-optimizers, to 1e-9 relative (a few roundings of double arithmetic).
 */
class RunStabilityTest {
    private final RunsView view = new RunsView();

    private RunsView.Run run(String name, String config) throws Exception {
        view.run(RunRecord.parse(name, JsonParser.parseString("{\"status\":\"running\"," + config + "}").getAsJsonObject()));
        return view.get(name).orElseThrow();
    }

    private void step(String run, long step, double stepSize, String extra) throws Exception {
        view.telemetry(TelemetryRecord.parse(JsonParser.parseString("{\"run\":\"" + run + "\",\"step\":" + step + ",\"time\":0.4,"
                + "\"loss\":0.5,\"accuracy\":0.75,\"step_size\":" + stepSize + ",\"products\":3" + extra + "}").getAsJsonObject()));
    }

    private void analysed(String run, long step, double hessianTop) throws Exception {
        view.metrics(MetricsRecord.parse(JsonParser.parseString("{\"run\":\"" + run + "\",\"step\":" + step + ",\"time\":0.4,"
                + "\"analysis_id\":\"default\",\"hessian\":{\"eigenvalues\":[" + hessianTop + "]}}").getAsJsonObject()));
    }

    /** A GD run of before: 2/η, the analyzer's λmax(𝓗), ratio η·λ/2, exactly as eos_run_stability_ratio was. */
    @Test
    void aGdRunIsJudgedAsBefore() throws Exception {
        RunsView.Run r = run("gd", "\"solver\":\"gd\",\"learningRate\":0.04,\"n\":64");
        step("gd", 10, 0.04, ",\"sharpness\":44.0");
        analysed("gd", 10, 45.0);
        RunStability s = r.stability();
        assertThat(s.optimizer()).isEqualTo("gd");
        assertThat(s.quantity()).isEqualTo("sharpness");
        assertThat(s.formula()).isEqualTo("2/η");
        assertThat(s.threshold()).isEqualTo(50.0, within(1e-12));
        assertThat(s.value()).isEqualTo(45.0);
        assertThat(s.ratio()).isEqualTo(0.9, within(1e-12));
        assertThat(s.source()).isEqualTo(RunStability.ANALYSIS);
        assertThat(s.step()).isEqualTo(10);
        assertThat(s.ratio()).isEqualTo(45.0 / r.twoOverEta(), within(1e-15));
    }

    /** Momentum: the trainer's estimate until an analysis of λmax(𝓗) arrives, which is then preferred. */
    @Test
    void theAnalyzersValueIsPreferredToTheTrainersEstimate() throws Exception {
        RunsView.Run r = run("hb", "\"solver\":\"gd\",\"learningRate\":0.05,\"n\":64,\"optimizer\":\"momentum\",\"momentum\":0.9");
        double threshold = (2 + 2 * 0.9) / 0.05; // 76
        step("hb", 20, 0.05, ",\"stability\":70.0,\"stability_threshold\":" + threshold);
        RunStability s = r.stability();
        assertThat(s.formula()).isEqualTo("(2+2β)/η");
        assertThat(s.threshold()).isEqualTo(76.0, within(1e-12));
        assertThat(s.value()).isEqualTo(70.0);
        assertThat(s.source()).isEqualTo(RunStability.TRAINER);
        assertThat(s.ratio()).isEqualTo(70.0 / 76, within(1e-12));
        analysed("hb", 10, 75.0);
        s = r.stability();
        assertThat(s.source()).isEqualTo(RunStability.ANALYSIS);
        assertThat(s.step()).isEqualTo(10);
        assertThat(s.ratio()).isEqualTo(75.0 / 76, within(1e-12));
        // a later step without an estimate (the final state) keeps the last estimate and the last threshold
        step("hb", 21, Double.NaN, "");
        assertThat(r.stability().threshold()).isEqualTo(76.0, within(1e-12));
    }

    /**
     * Adam: its threshold (2+2β1)/((1−β1)η) and formula; λmax(𝓗) is not its quantity, so an analysis that measured only
     * λmax(𝓗) gives no value (never compared with the wrong threshold), and no ratio.
     */
    @Test
    void anAdamRunHasItsOwnThresholdAndNoStandInValue() throws Exception {
        RunsView.Run r = run("adam", "\"solver\":\"gd\",\"learningRate\":0.002,\"n\":64,\"optimizer\":\"adam\",\"beta1\":0.9,"
                + "\"beta2\":0.999,\"eps\":1e-8");
        analysed("adam", 10, 900.0);
        RunStability s = r.stability();
        assertThat(s.optimizer()).isEqualTo("adam");
        assertThat(s.quantity()).isEqualTo("preconditioned_sharpness");
        assertThat(s.formula()).isEqualTo("(2+2β1)/((1−β1)η)");
        assertThat(s.threshold()).isEqualTo(3.8 / (0.1 * 0.002), within(1e-9)); // 19000, before any telemetry
        assertThat(s.value()).isNaN();
        assertThat(s.ratio()).isNaN();
        assertThat(s.source()).isNull();
        JsonObject json = s.toJson();
        assertThat(json.keySet()).containsExactlyInAnyOrder("optimizer", "quantity", "threshold", "formula");
        // a Python loop whose LR scheduler halved η: the threshold follows the latest step size
        step("adam", 5, 0.001, "");
        assertThat(r.stability().threshold()).isEqualTo(3.8 / (0.1 * 0.001), within(1e-9));
    }

    /** The analyzer's own stability object (Adam's λmax(P⁻¹𝓗), a batch sharpness with its interval) is the value shown. */
    @Test
    void theAnalyzersStabilityObjectIsTheValueWithItsThresholdAndInterval() throws Exception {
        RunsView.Run adam = run("adam2", "\"solver\":\"gd\",\"learningRate\":0.002,\"n\":64,\"optimizer\":\"adam\"");
        step("adam2", 30, 0.002, "");
        view.metrics(MetricsRecord.parse(JsonParser.parseString("{\"run\":\"adam2\",\"step\":30,\"time\":0.06,"
                + "\"analysis_id\":\"default\",\"hessian\":{\"eigenvalues\":[900.0]},\"stability\":{\"optimizer\":\"adam\","
                + "\"quantity\":\"preconditioned_sharpness\",\"value\":17100.0,\"threshold\":19000.0,"
                + "\"formula\":\"(2+2β1)/((1−β1)η)\",\"ratio\":0.9,\"products\":12}}").getAsJsonObject()));
        RunStability s = adam.stability();
        assertThat(s.source()).isEqualTo(RunStability.ANALYSIS);
        assertThat(s.value()).isEqualTo(17100.0);
        assertThat(s.ratio()).isEqualTo(0.9, within(1e-12));
        assertThat(s.step()).isEqualTo(30);

        RunsView.Run mb = run("mb2", "\"solver\":\"gd\",\"learningRate\":0.05,\"n\":64,\"optimizer\":\"gd\",\"batchSize\":16");
        view.metrics(MetricsRecord.parse(JsonParser.parseString("{\"run\":\"mb2\",\"step\":8,\"time\":0.4,"
                + "\"analysis_id\":\"default\",\"hessian\":{\"eigenvalues\":[20.0]},\"stability\":{\"optimizer\":\"gd\","
                + "\"quantity\":\"batch_sharpness\",\"value\":38.0,\"threshold\":40.0,\"formula\":\"2/η\",\"ratio\":0.95,"
                + "\"interval\":[37.0,39.0],\"batches\":120,\"products\":120}}").getAsJsonObject()));
        RunStability b = mb.stability();
        assertThat(b.value()).isEqualTo(38.0);
        assertThat(b.lower()).isEqualTo(37.0);
        assertThat(b.upper()).isEqualTo(39.0);
        assertThat(b.toJson().has("interval") || b.toJson().has("lower")).as(b.toJson().toString()).isTrue();
    }

    @Test
    void aMiniBatchRunIsJudgedByBatchSharpness() throws Exception {
        RunsView.Run r = run("mb", "\"solver\":\"gd\",\"learningRate\":0.05,\"n\":64,\"optimizer\":\"gd\",\"batchSize\":16");
        step("mb", 3, 0.05, ",\"sharpness\":20.0,\"stability_threshold\":40.0,\"epoch\":0");
        analysed("mb", 3, 20.0);
        RunStability s = r.stability();
        assertThat(s.quantity()).isEqualTo("batch_sharpness");
        assertThat(s.threshold()).isEqualTo(40.0);
        assertThat(s.value()).isNaN(); // the full-batch λmax(𝓗) is not the batch sharpness
        ApiBodies.RunSummary summary = ApiBodies.RunSummary.of(r, "default", 0);
        assertThat(summary.batchSize()).isEqualTo(16);
        assertThat(summary.toJson().get("batch_size").getAsLong()).isEqualTo(16);
        assertThat(summary.toJson().getAsJsonObject("stability").get("quantity").getAsString()).isEqualTo("batch_sharpness");
    }

    /** A client that gave only lr, and eos train's step-size-adapting solvers: 2/η of the latest step, as before. */
    @Test
    void aRunThatDoesNotSayItsOptimizerIsJudgedAsGdAtItsLatestStepSize() throws Exception {
        RunsView.Run py = run("py", "\"solver\":\"pytorch\",\"learningRate\":0.1");
        step("py", 1, 0.1, "");
        analysed("py", 1, 15.0);
        RunStability s = py.stability();
        assertThat(s.optimizer()).isNull();
        assertThat(s.formula()).isEqualTo("2/η");
        assertThat(s.threshold()).isEqualTo(20.0, within(1e-12));
        assertThat(s.ratio()).isEqualTo(0.75, within(1e-12));
        RunsView.Run euler = run("ee", "\"solver\":\"exp-euler\",\"learningRate\":0.01,\"optimizer\":\"gd\"");
        step("ee", 7, 0.025, ",\"stability\":60.0,\"stability_threshold\":80.0");
        assertThat(euler.stability().threshold()).isEqualTo(80.0);
        assertThat(euler.stability().ratio()).isEqualTo(0.75);
        assertThat(euler.stability().source()).isEqualTo(RunStability.TRAINER);
    }

    /** /metrics: the run's own threshold, value and ratio, labelled by run only. */
    @Test
    void prometheusHasTheRunsOwnThresholdAndRatio() throws Exception {
        run("hb", "\"solver\":\"gd\",\"learningRate\":0.05,\"n\":64,\"optimizer\":\"momentum\",\"momentum\":0.9");
        step("hb", 20, 0.05, ",\"stability\":83.6,\"stability_threshold\":76.0");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new GatewayMeters(registry, view, 60_000, 10).refresh();
        String scrape = registry.scrape();
        assertThat(scrape).contains("eos_run_stability_threshold{run=\"hb\"} 76.0", "eos_run_stability{run=\"hb\"} 83.6",
                "eos_run_two_over_eta{run=\"hb\"} 40.0");
        double ratio = scrape.lines().filter(l -> l.startsWith("eos_run_stability_ratio{run=\"hb\"}"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElseThrow();
        assertThat(ratio).isEqualTo(1.1, within(1e-12));
    }

    /** The series API serves the trainer's stability, threshold and ratio. */
    @Test
    void theTrainersStabilityIsASeries() throws Exception {
        RunsView.Run r = run("hb", "\"solver\":\"gd\",\"learningRate\":0.05,\"optimizer\":\"momentum\",\"momentum\":0.9");
        step("hb", 1, 0.05, ",\"stability\":38.0,\"stability_threshold\":76.0");
        step("hb", 2, 0.05, ",\"stability_threshold\":76.0");
        step("hb", 3, 0.05, ",\"stability\":76.0,\"stability_threshold\":76.0");
        assertThat(view.series(r, "stability_ratio", 0, 10, 100)).extracting(ApiBodies.Point::value).containsExactly(0.5, 1.0);
        assertThat(view.series(r, "stability_threshold", 0, 10, 100)).hasSize(3);
    }
}
