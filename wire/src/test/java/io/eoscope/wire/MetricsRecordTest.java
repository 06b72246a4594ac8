package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.wire.MetricsRecord.LayerField;
import io.eoscope.wire.MetricsRecord.Quantity;
import io.eoscope.wire.MetricsRecord.Spectrum;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The metrics topic's record: typed access to what the gateway needs, extras kept, bad records refused. */
class MetricsRecordTest {
    static final String ANALYSIS = "{\"run\":\"r1\",\"step\":20,\"time\":0.8,\"analysis_id\":\"default\",\"loss\":0.4,\"n\":64,"
            + "\"hessian\":{\"eigenvalues\":[45.0,12.0],\"residuals\":[1e-5,1e-4],\"products\":30,\"converged\":true},"
            + "\"gauss_newton\":{\"eigenvalues\":[44.0],\"residuals\":[1e-5],\"products\":20},"
            + "\"residual\":{\"eigenvalues\":[-2.0],\"residuals\":[1e-5],\"products\":20},\"rho_K\":44.0,\"K_max_sq_mean\":60.0,"
            + "\"layers\":[{\"layer\":1,\"gauss_newton_top\":30,\"K_max_sq_mean\":40,\"pi_chi\":1.5,\"p_chi_delta\":0.9,\"pi_J\":20,"
            + "\"p_delta_J\":0.4,\"delta_L_max_sq_mean\":2,\"delta_max_sq_mean\":3},"
            + "{\"layer\":2,\"gauss_newton_top\":10,\"K_max_sq_mean\":12,\"pi_chi\":3,\"p_chi_delta\":1,\"pi_J\":1,\"p_delta_J\":1,"
            + "\"delta_L_max_sq_mean\":2}],\"analysis_seconds\":0.3,\"lr\":\"0.05\"}";

    static MetricsRecord parse(String json) throws MalformedRecordException {
        return MetricsRecord.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    static String reason(String json) {
        try {
            parse(json);
        } catch (MalformedRecordException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + (json.length() > 300 ? json.substring(0, 300) + "..." : json));
    }

    @Test
    void aTorchScriptModulesGroupsAreItsLayersWithTheirGaussNewtonTopOnly() throws Exception {
        String scripted = "{\"run\":\"cnn\",\"step\":3,\"time\":0.1,\"analysis_id\":\"default\",\"model\":\"torchscript\","
                + "\"hessian\":{\"eigenvalues\":[1.5]},\"groups\":[{\"group\":\"conv1\",\"parameters\":112,\"gauss_newton_top\":0.02},"
                + "{\"group\":\"head\",\"parameters\":51,\"gauss_newton_top\":null}]}";
        MetricsRecord m = parse(scripted);
        assertThat(m.layers()).hasSize(2);
        assertThat(m.layers().get(0).value(MetricsRecord.LayerField.GAUSS_NEWTON_TOP)).isEqualTo(0.02);
        assertThat(m.layers().get(0).value(MetricsRecord.LayerField.PI_CHI)).isNaN();
        assertThat(m.layers().get(1).value(MetricsRecord.LayerField.GAUSS_NEWTON_TOP)).isNaN();
        assertThat(m.toJson().getAsJsonArray("groups").get(0).getAsJsonObject().get("group").getAsString()).isEqualTo("conv1");
        assertThat(reason(scripted.replace("{\"group\":\"head\",\"parameters\":51,\"gauss_newton_top\":null}", "3")))
                .isEqualTo("field 'groups[1]' must be an object, got 3");
    }

    static final String STABILITY = "\"stability\":{\"optimizer\":\"gd\",\"quantity\":\"batch_sharpness\",\"value\":19.0,"
            + "\"threshold\":20.0,\"formula\":\"2/η\",\"ratio\":0.95,\"interval\":[18.9,19.1],\"batches\":37,\"products\":37,"
            + "\"sharpness\":12.5}";

    @Test
    void theStabilityObjectIsTypedAndEachOfItsFieldsKeepsItsRule() throws Exception {
        String with = ANALYSIS.replace("\"analysis_seconds\"", STABILITY + ",\"analysis_seconds\"");
        MetricsRecord.Stability s = parse(with).stability();
        assertThat(s.optimizer()).isEqualTo("gd");
        assertThat(s.quantity()).isEqualTo("batch_sharpness");
        assertThat(s.value()).isEqualTo(19.0);
        assertThat(s.threshold()).isEqualTo(20.0);
        assertThat(s.formula()).isEqualTo("2/η");
        assertThat(s.ratio()).isEqualTo(0.95);
        assertThat(s.interval()).containsExactly(18.9, 19.1);
        assertThat(s.batches()).isEqualTo(37);
        assertThat(s.products()).isEqualTo(37);
        assertThat(s.sharpness()).isEqualTo(12.5);
        assertThat(parse(ANALYSIS).stability()).as("a record without it, as before").isNull();
        assertThat(parse(with).toJson().getAsJsonObject("stability").get("ratio").getAsDouble()).isEqualTo(0.95);
        String unknown = with.replace("\"value\":19.0", "\"value\":null").replace("\"ratio\":0.95", "\"ratio\":null")
                .replace(",\"interval\":[18.9,19.1]", "");
        assertThat(parse(unknown).stability().value()).as("a value that could not be computed is null").isNaN();
        assertThat(reason(with.replace("\"gd\"", "\"lion\""))).isEqualTo(
                "field 'stability.optimizer' must be one of gd, momentum, nesterov, rmsprop, adam, adamw, got 'lion'");
        assertThat(reason(with.replace("\"batch_sharpness\"", "\"sharpness2\""))).startsWith("field 'stability.quantity' must be one of");
        assertThat(reason(with.replace("\"threshold\":20.0", "\"threshold\":-20.0"))).startsWith("field 'stability.threshold' must be a threshold");
        assertThat(reason(with.replace("\"ratio\":0.95", "\"ratio\":0.5"))).startsWith("field 'stability.ratio' must be value ÷ threshold");
        assertThat(reason(with.replace("[18.9,19.1]", "[19.1,18.9]"))).startsWith("field 'stability.interval' must be [low, high]");
        assertThat(reason(with.replace("[18.9,19.1]", "[18.9]"))).startsWith("field 'stability.interval' must be [low, high]");
        assertThat(reason(with.replace("\"products\":37,", ""))).isEqualTo("missing field 'stability.products'");
        assertThat(reason(with.replace("\"batches\":37", "\"batches\":-1"))).startsWith("field 'stability.batches' must be a count");
        assertThat(reason(with.replace("\"formula\":\"2/η\",", ""))).isEqualTo("missing field 'stability.formula'");
        assertThat(reason(with.replace("\"2/η\"", "\"" + "x".repeat(65) + "\""))).startsWith("field 'stability.formula' must be at most 64");
        assertThat(reason(with.replace("\"stability\":{", "\"stability\":[{").replace("\"sharpness\":12.5}", "\"sharpness\":12.5}]")))
                .startsWith("field 'stability' must be an object, got [{\"optimizer\":\"gd\"");
        assertThat(reason(with.replace(STABILITY, "\"stability\":null"))).isEqualTo("field 'stability' must be an object, got null");
        // the typed writer refuses what a reader refuses
        com.google.gson.JsonObject bad = parse(with).toJson();
        bad.getAsJsonObject("stability").addProperty("ratio", 3.0);
        assertThatThrownBy(() -> MetricsRecord.of("r1", 20, 0.8, "default", bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("field 'stability.ratio' must be value ÷ threshold");
    }

    @Test
    void typedAccessorsReadTheAnalysis() throws Exception {
        MetricsRecord m = parse(ANALYSIS);
        assertThat(m.run()).isEqualTo("r1");
        assertThat(m.step()).isEqualTo(20);
        assertThat(m.time()).isEqualTo(0.8);
        assertThat(m.analysisId()).isEqualTo("default");
        assertThat(m.key()).isEqualTo("r1/20/default");
        assertThat(m.top(Spectrum.HESSIAN)).isEqualTo(45.0);
        assertThat(m.spectra().get(Spectrum.HESSIAN)).containsExactly(45.0, 12.0);
        assertThat(m.top(Spectrum.GAUSS_NEWTON)).isEqualTo(44.0);
        assertThat(m.top(Spectrum.RESIDUAL)).isEqualTo(-2.0);
        assertThat(m.value(Quantity.RHO_K)).isEqualTo(44.0);
        assertThat(m.value(Quantity.K_MAX_SQ_MEAN)).isEqualTo(60.0);
        assertThat(m.layers()).hasSize(2);
        assertThat(m.layer(1, LayerField.P_DELTA_J)).isEqualTo(0.4);
        assertThat(m.layer(2, LayerField.GAUSS_NEWTON_TOP)).isEqualTo(10.0);
        assertThat(m.layer(3, LayerField.PI_J)).isNaN();
        assertThat(LayerField.of("p_delta_J")).isEqualTo(LayerField.P_DELTA_J);
        assertThat(LayerField.of("nope")).isNull();
        // extras stay in the JSON, which round-trips
        assertThat(m.toJson().getAsJsonObject("hessian").get("converged").getAsBoolean()).isTrue();
        assertThat(m.toJson().get("schema").getAsInt()).isEqualTo(1);
        assertThat(MetricsRecord.parse(m.toJson()).toJson()).isEqualTo(m.toJson());
    }

    @Test
    void absentSpectraAndLayersAreNaNNotErrors() throws Exception {
        MetricsRecord m = parse("{\"run\":\"r1\",\"step\":0,\"time\":0,\"analysis_id\":\"topk3\",\"gauss_newton\":{\"eigenvalues\":[2.0]}}");
        assertThat(m.top(Spectrum.HESSIAN)).isNaN();
        assertThat(m.top(Spectrum.GAUSS_NEWTON)).isEqualTo(2.0);
        assertThat(m.value(Quantity.RHO_K)).isNaN();
        assertThat(m.layers()).isEmpty();
        assertThat(parse(ANALYSIS.replace("[45.0,12.0]", "[]")).top(Spectrum.HESSIAN)).isNaN();
    }

    /** A skeleton (no spectrum at all) would replace a run's real latest metrics with nothing: it is refused. */
    @Test
    void aRecordWithoutAnySpectrumIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse(
                "{\"run\":\"r1\",\"step\":9999,\"time\":1,\"analysis_id\":\"default\",\"sharpness\":1e400}"))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("no spectrum");
    }

    @Test
    void nonFiniteNumbersBecomeNull() throws Exception {
        MetricsRecord m = parse(ANALYSIS.replace("\"rho_K\":44.0", "\"rho_K\":NaN").replace("[45.0,12.0]", "[Infinity,null]")
                .replace("\"pi_chi\":1.5", "\"pi_chi\":null"));
        assertThat(m.value(Quantity.RHO_K)).isNaN();
        assertThat(m.top(Spectrum.HESSIAN)).isNaN();
        assertThat(m.layer(1, LayerField.PI_CHI)).isNaN();
        assertThat(m.toJson().toString()).doesNotContain("NaN").doesNotContain("Infinity").contains("\"rho_K\":null");
    }

    @Test
    void badRecordsAreRefusedWithAReason() {
        assertThat(reason(ANALYSIS.replace("{\"run\"", "{\"schema\":7,\"run\""))).contains("unknown schema 7");
        assertThat(reason(ANALYSIS.replace("\"analysis_id\":\"default\",", ""))).contains("missing field 'analysis_id'");
        assertThat(reason(ANALYSIS.replace("\"analysis_id\":\"default\"", "\"analysis_id\":\"a/b\""))).contains("'analysis_id'");
        assertThat(reason(ANALYSIS.replace("\"step\":20", "\"step\":\"20\""))).contains("'step'");
        assertThat(reason(ANALYSIS.replace("\"rho_K\":44.0", "\"rho_K\":\"abc\""))).contains("'rho_K'");
        assertThat(reason(ANALYSIS.replace("\"hessian\":{", "\"hessian\":7,\"x\":{"))).contains("'hessian'");
        assertThat(reason(ANALYSIS.replace("[45.0,12.0]", "[\"big\"]"))).contains("hessian.eigenvalues[0]");
        assertThat(reason(ANALYSIS.replace("\"pi_J\":20", "\"pi_J\":{\"x\":1}"))).contains("layers[0].pi_J");
        assertThat(reason(ANALYSIS.replace("{\"layer\":2", "{\"layer\":5"))).contains("layers[1].layer");
        assertThat(reason(ANALYSIS.replace("\"layers\":[", "\"layers\":[3,"))).contains("layers[0]");
    }

    /** The optional fields the API documents (openapi.yaml, Metrics) keep their types: what passes, the gateway may serve. */
    @Test
    void documentedFieldsOfTheWrongTypeAreRefused() throws Exception {
        assertThat(reason(ANALYSIS.replace("\"n\":64", "\"parameters\":1.5"))).contains("'parameters'");
        assertThat(reason(ANALYSIS.replace("\"n\":64", "\"model\":7"))).contains("'model'");
        assertThat(reason(ANALYSIS.replace("\"n\":64", "\"stage_seconds\":{\"loss\":\"x\"}"))).contains("stage_seconds.loss");
        assertThat(reason(ANALYSIS.replace("\"n\":64", "\"stage_seconds\":null"))).contains("'stage_seconds'");
        assertThat(reason(ANALYSIS.replace("\"converged\":true", "\"converged\":\"yes\""))).contains("'converged'");
        assertThat(reason(ANALYSIS.replace("\"residuals\":[1e-5,1e-4]", "\"residuals\":\"x\""))).contains("'residuals'");
        assertThat(reason(ANALYSIS.replace("\"residuals\":[1e-5,1e-4]", "\"residuals\":[\"x\"]"))).contains("hessian.residuals[0]");
        assertThat(reason(ANALYSIS.replace("\"products\":30", "\"products\":2.5"))).contains("'products'");
        assertThat(reason(ANALYSIS.replace("\"residual\":{", "\"hessian2\":{").replace("\"hessian\":{\"eigenvalues\":[45.0,12.0],"
                + "\"residuals\":[1e-5,1e-4],\"products\":30,\"converged\":true}", "\"hessian\":null"))).contains("'hessian'");
        assertThat(reason(ANALYSIS.replace("\"layers\":[{\"layer\":1", "\"layers\":null,\"x\":[{\"layer\":1"))).contains("'layers'");
        assertThat(reason(ANALYSIS.replace("\"n\":64", "\"groups\":\"x\""))).contains("'groups'");
        assertThat(reason(ANALYSIS.replace("\"n\":64", "\"groups\":[{\"gauss_newton_top\":1}]"))).contains("'group'");
        assertThat(reason(ANALYSIS.replace("\"n\":64", "\"groups\":[{\"group\":\"conv1\"}]"))).contains("groups[0].gauss_newton_top");
        // numbers may be null (not finite): NaN literals and nulls pass and are written as null
        MetricsRecord m = parse(ANALYSIS.replace("\"n\":64", "\"seconds\":NaN,\"stage_seconds\":{\"loss\":null},\"parameters\":null")
                .replace("\"products\":30", "\"products\":null"));
        assertThat(m.toJson().get("seconds").isJsonNull()).isTrue();
        assertThat(m.toJson().getAsJsonObject("stage_seconds").get("loss").isJsonNull()).isTrue();
    }

    /** Strict clients (Go's encoding/json into an int) refuse 64.0: whole numbers are written as whole numbers. */
    @Test
    void wholeNumbersAreWrittenAsWholeNumbers() throws Exception {
        MetricsRecord m = parse(ANALYSIS.replace("\"n\":64", "\"n\":64.0,\"parameters\":1.2e3").replace("\"products\":30", "\"products\":3e1"));
        assertThat(m.toJson().toString()).contains("\"n\":64,").contains("\"parameters\":1200,").contains("\"products\":30,");
    }

    @Test
    void runNamesThatAPathWouldResolveAwayAreRefused() {
        assertThat(reason(ANALYSIS.replace("\"run\":\"r1\"", "\"run\":\"..\""))).contains("'run'");
        assertThat(reason(ANALYSIS.replace("\"run\":\"r1\"", "\"run\":\".\""))).contains("'run'");
        assertThat(Records.RUN_NAME.matcher("...").matches()).isTrue();
        assertThat(Records.RUN_NAME.matcher(".hidden").matches()).isTrue();
        assertThat(Records.RUN_NAME.matcher("a..b").matches()).isTrue();
    }

    /** Finding 14: the metrics record keeps the same field rules as the snapshot it comes from and the telemetry. */
    @Test
    void eachFieldKeepsItsRule() throws Exception {
        assertThat(reason(ANALYSIS.replace("\"step\":20", "\"step\":-7"))).isEqualTo("field 'step' must be a step in 0..9007199254740991, got -7");
        assertThat(reason(ANALYSIS.replace("\"step\":20", "\"step\":9007199254740992"))).contains("'step'");
        assertThat(reason(ANALYSIS.replace("\"time\":0.8", "\"time\":-1"))).contains("field 'time' must be a time");
        assertThat(reason(ANALYSIS.replace("\"lr\":\"0.05\"", "\"lr\":\"-1\""))).contains("field 'lr' must be a step size");
        assertThat(reason(ANALYSIS.replace("\"lr\":\"0.05\"", "\"lr\":-1"))).contains("field 'lr' must be a step size");
        assertThat(reason(ANALYSIS.replace("\"lr\":\"0.05\"", "\"lr\":\"NaN\""))).contains("field 'lr' must be a number");
        assertThat(reason(ANALYSIS.replace("\"lr\":\"0.05\"", "\"eta_max\":0"))).contains("field 'eta_max' must be a step size");
        assertThat(reason(ANALYSIS.replace("\"loss\":0.4", "\"loss\":-0.4"))).contains("field 'loss' must be a loss ≥ 0");
        assertThat(reason(ANALYSIS.replace("\"n\":64", "\"n\":-64"))).contains("field 'n' must be a count ≥ 0");
        assertThat(reason(ANALYSIS.replace("\"products\":30", "\"products\":-30"))).contains("field 'hessian.products' must be a count");
        assertThat(reason(ANALYSIS.replace("\"analysis_seconds\":0.3", "\"analysis_seconds\":-0.3"))).contains("'analysis_seconds'");
        // an older analyzer wrote the snapshot's text for lr: read as the number it spells, and written as one
        assertThat(parse(ANALYSIS).toJson().get("lr").getAsJsonPrimitive().isNumber()).isTrue();
        assertThat(parse(ANALYSIS).toJson().get("lr").getAsDouble()).isEqualTo(0.05);
        // the constructor (every producer) keeps the step and time rules too
        MetricsRecord m = parse(ANALYSIS);
        assertThatThrownBy(() -> new MetricsRecord("r1", -7, 0.8, "default", m.spectra(), m.values(), m.layers(), m.json()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'step'");
        assertThatThrownBy(() -> new MetricsRecord("r1", 7, -0.8, "default", m.spectra(), m.values(), m.layers(), m.json()))
                .hasMessageContaining("'time'");
    }

    /** Finding 6: the analyzer's typed writer, and the round trip writer → topic record → parser. */
    @Test
    void theTypedWriterRoundTripsThroughTheTopicRecord() throws Exception {
        com.google.gson.JsonObject analysis = com.google.gson.JsonParser.parseString(ANALYSIS).getAsJsonObject();
        analysis.remove("run");
        analysis.remove("step");
        analysis.addProperty("lr", 0.05);
        analysis.addProperty("K_max_sq_mean", Double.NaN);
        MetricsRecord written = MetricsRecord.of("r2", 40, 1.6, "topk3", analysis);
        org.apache.kafka.clients.producer.ProducerRecord<String, byte[]> record = Records.metrics(new Topics("t."), written);
        assertThat(record.topic()).isEqualTo("t.metrics");
        assertThat(record.key()).isEqualTo("r2/40/topk3");
        MetricsRecord read = MetricsRecord.parse(record.value());
        assertThat(read.toJson()).isEqualTo(written.toJson());
        assertThat(read.values()).isEqualTo(written.values());
        assertThat(read.layers()).isEqualTo(written.layers());
        assertThat(read.run()).isEqualTo("r2");
        assertThat(read.step()).isEqualTo(40);
        assertThat(read.time()).isEqualTo(1.6);
        assertThat(read.analysisId()).isEqualTo("topk3");
        assertThat(read.spectra().get(Spectrum.HESSIAN)).containsExactly(45.0, 12.0);
        assertThat(read.layer(2, LayerField.GAUSS_NEWTON_TOP)).isEqualTo(10.0);
        assertThat(read.value(Quantity.K_MAX_SQ_MEAN)).isNaN();
        assertThat(new String(record.value(), StandardCharsets.UTF_8)).contains("\"K_max_sq_mean\":null").contains("\"lr\":0.05")
                .contains("\"schema\":1");
        // what the writer refuses, it refuses with the field's name, like the gateway would
        assertThatThrownBy(() -> MetricsRecord.of("r2", -7, 1.6, "topk3", analysis)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'step'");
        assertThatThrownBy(() -> MetricsRecord.of("r2", 40, Double.NEGATIVE_INFINITY, "topk3", analysis)).hasMessageContaining("'time'");
        analysis.addProperty("lr", -1);
        assertThatThrownBy(() -> MetricsRecord.of("r2", 40, 1.6, "topk3", analysis))
                .hasMessage("metrics record of r2@40: field 'lr' must be a step size: a finite number > 0 (or null: unknown), got -1.0");
        analysis.addProperty("lr", 0.05);
        analysis.remove("hessian");
        analysis.remove("gauss_newton");
        analysis.remove("residual");
        assertThatThrownBy(() -> MetricsRecord.of("r2", 40, 1.6, "topk3", analysis)).hasMessageContaining("no spectrum");
    }

    static String withLayers(int n) {
        StringBuilder layers = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            layers.append(i == 1 ? "" : ",").append("{\"layer\":").append(i).append(",\"gauss_newton_top\":1,\"K_max_sq_mean\":1,"
                    + "\"pi_chi\":1,\"p_chi_delta\":1,\"pi_J\":1,\"p_delta_J\":1,\"delta_L_max_sq_mean\":1}");
        }
        return ANALYSIS.substring(0, ANALYSIS.indexOf("\"layers\":[") + 10) + layers + ANALYSIS.substring(ANALYSIS.indexOf("],\"analysis_seconds\""));
    }

    static String repeated(String item, int n) {
        return String.join(",", java.util.Collections.nCopies(n, item));
    }

    /** Finding 12: one record with 20,000 layers became 140,012 series; every list of a record is bounded. */
    @Test
    void everyListOfARecordIsBoundedAndWhatExceedsABoundIsRefusedSayingWhich() throws Exception {
        assertThat(parse(withLayers(2)).layers()).hasSize(2);
        assertThat(reason(withLayers(20_000))).isEqualTo("field 'layers' has 20000 entries, over the bound of 256 (--max-layers)");
        assertThat(parse(withLayers(256)).layers()).hasSize(256);
        assertThat(reason(withLayers(257))).contains("257 entries, over the bound of 256");
        String group = "{\"group\":\"g\",\"gauss_newton_top\":1}";
        String scripted = "{\"run\":\"cnn\",\"step\":3,\"time\":0.1,\"analysis_id\":\"default\",\"hessian\":{\"eigenvalues\":[1.5]},"
                + "\"groups\":[%s]}";
        assertThat(parse(scripted.formatted(repeated(group, 1024))).layers()).hasSize(1024);
        assertThat(reason(scripted.formatted(repeated(group, 1025)))).isEqualTo(
                "field 'groups' has 1025 entries, over the bound of 1024 (--max-groups)");
        String spectrum = "{\"run\":\"r\",\"step\":3,\"time\":0.1,\"analysis_id\":\"default\",\"hessian\":{\"eigenvalues\":[%s],"
                + "\"residuals\":[%s]}}";
        assertThat(parse(spectrum.formatted(repeated("1", 1000), repeated("0", 1000))).spectra().get(Spectrum.HESSIAN)).hasSize(1000);
        assertThat(reason(spectrum.formatted(repeated("1", 1001), "0"))).isEqualTo(
                "field 'hessian.eigenvalues' has 1001 entries, over the bound of 1000 (--max-eigenvalues)");
        assertThat(reason(spectrum.formatted("1", repeated("0", 1001)))).contains("'hessian.residuals' has 1001 entries");
        // a list the contract does not name, at any depth, and an object's fields
        assertThat(reason(ANALYSIS.replace("\"n\":64", "\"extra\":{\"deep\":[" + repeated("0", 1025) + "]}")))
                .isEqualTo("field 'extra.deep' has 1025 entries, over the bound of 1024 (--max-record-items)");
        assertThat(reason(ANALYSIS.replace("\"n\":64", "\"stage_seconds\":{" + java.util.stream.IntStream.range(0, 1025)
                .mapToObj(i -> "\"s" + i + "\":1").collect(java.util.stream.Collectors.joining(",")) + "}")))
                .contains("field 'stage_seconds' has 1025 entries");
        // the bounds are the reader's to set
        MetricsRecord.Limits tight = new MetricsRecord.Limits(1, 1, 1000, 64);
        assertThatThrownBy(() -> MetricsRecord.parse(ANALYSIS.getBytes(StandardCharsets.UTF_8), tight))
                .hasMessage("field 'layers' has 2 entries, over the bound of 1 (--max-layers)");
        MetricsRecord.Limits roomy = new MetricsRecord.Limits(20_000, 1, 1000, 1024);
        assertThat(MetricsRecord.parse(withLayers(20_000).getBytes(StandardCharsets.UTF_8), roomy).layers()).hasSize(20_000);
        assertThatThrownBy(() -> new MetricsRecord.Limits(0, 1, 1, 1)).hasMessage("--max-layers must be in 1..1000000, got 0");
        assertThatThrownBy(() -> new MetricsRecord.Limits(1, 1, 1, 1_000_001)).hasMessageContaining("--max-record-items");
        assertThat(MetricsRecord.Limits.DEFAULTS).isEqualTo(new MetricsRecord.Limits(256, 1024, ReplayRequest.MAX_TOP_K, 1024));
    }
}
