package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The telemetry topic's records: steps (old and new producers), heartbeats, and refusals with reasons. */
class TelemetryRecordTest {
    static final String OLD_STEP = "{\"run\":\"r1\",\"step\":3,\"time\":0.12,\"loss\":0.5,\"accuracy\":0.75,\"step_size\":0.04,"
            + "\"sharpness\":45.0,\"products\":12}";

    static TelemetryRecord parse(String json) throws MalformedRecordException {
        return TelemetryRecord.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    static String reason(String json) {
        try {
            parse(json);
        } catch (MalformedRecordException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + json);
    }

    @Test
    void aStepWithoutSchemaOrTypeIsASchemaOneStep() throws Exception {
        TelemetryRecord.Step s = (TelemetryRecord.Step) parse(OLD_STEP);
        assertThat(s.run()).isEqualTo("r1");
        assertThat(s.step()).isEqualTo(3);
        assertThat(s.time()).isEqualTo(0.12);
        assertThat(s.loss()).isEqualTo(0.5);
        assertThat(s.accuracy()).isEqualTo(0.75);
        assertThat(s.stepSize()).isEqualTo(0.04);
        assertThat(s.sharpness()).isEqualTo(45.0);
        assertThat(s.products()).isEqualTo(12);
        assertThat(s.toJson().get("schema").getAsInt()).isEqualTo(1);
        assertThat(s.toJson().get("type").getAsString()).isEqualTo("step");
        assertThat(TelemetryRecord.parse(s.toJson())).isEqualTo(s);
        // sharpness is optional
        assertThat(((TelemetryRecord.Step) parse(OLD_STEP.replace("\"sharpness\":45.0,", ""))).sharpness()).isNaN();
    }

    @Test
    void heartbeatsRoundTrip() throws Exception {
        TelemetryRecord h = parse("{\"schema\":1,\"type\":\"heartbeat\",\"run\":\"r1\",\"step\":41,\"at\":1700000000000}");
        assertThat(h).isEqualTo(new TelemetryRecord.Heartbeat("r1", 41, 1_700_000_000_000L));
        assertThat(TelemetryRecord.parse(h.toJson())).isEqualTo(h);
        assertThat(reason("{\"type\":\"heartbeat\",\"run\":\"r1\",\"step\":41}")).contains("missing field 'at'");
    }

    @Test
    void nonFiniteNumbersAreNullOnTheWireAndNaNHere() throws Exception {
        TelemetryRecord.Step s = (TelemetryRecord.Step) parse(OLD_STEP.replace("0.5", "NaN").replace("0.75", "null")
                .replace("45.0", "Infinity"));
        assertThat(s.loss()).isNaN();
        assertThat(s.accuracy()).isNaN();
        assertThat(s.sharpness()).isNaN();
        String json = s.toJson().toString();
        assertThat(json).doesNotContain("NaN").doesNotContain("Infinity").contains("\"loss\":null").contains("\"accuracy\":null");
        assertThat(TelemetryRecord.parse(s.toJson()).toJson()).isEqualTo(s.toJson());
    }

    @Test
    void badRecordsAreRefusedWithAReason() {
        assertThat(reason(OLD_STEP.replace("{", "{\"schema\":2,"))).contains("unknown schema 2");
        assertThat(reason(OLD_STEP.replace("{", "{\"type\":\"gossip\","))).contains("unknown telemetry type 'gossip'");
        assertThat(reason(OLD_STEP.replace("\"loss\":0.5", "\"loss\":\"abc\""))).contains("'loss'");
        assertThat(reason(OLD_STEP.replace("\"loss\":0.5,", ""))).contains("missing field 'loss'");
        assertThat(reason(OLD_STEP.replace("\"step\":3", "\"step\":-3"))).contains("'step'");
        assertThat(reason(OLD_STEP.replace("\"step\":3", "\"step\":{\"x\":1}"))).contains("'step'");
        assertThat(reason(OLD_STEP.replace("\"step\":3", "\"step\":4294967298000000000000"))).contains("'step'");
        assertThat(reason(OLD_STEP.replace("\"run\":\"r1\"", "\"run\":\"a\\nb\""))).contains("'run'");
        assertThat(reason(OLD_STEP.replace("\"run\":\"r1\",", ""))).contains("missing field 'run'");
        assertThat(reason(OLD_STEP.replace("\"products\":12", "\"products\":1.5"))).contains("'products'");
        assertThat(reason("\"just a string\"")).contains("not a JSON object");
    }

    /**
     * Finding 14: telemetry that broke a field's meaning was served and exported. Each field has one rule
     * ({@link FieldRules}), which the parser (the gateway) and the constructor (the trainer) both apply.
     */
    @Test
    void eachFieldKeepsItsRuleWhenReadAndWhenWritten() throws Exception {
        assertThat(reason(OLD_STEP.replace("\"accuracy\":0.75", "\"accuracy\":2.5")))
                .isEqualTo("field 'accuracy' must be an accuracy in [0, 1] (or null: unknown), got 2.5");
        assertThat(reason(OLD_STEP.replace("\"accuracy\":0.75", "\"accuracy\":-0.01"))).contains("'accuracy'");
        assertThat(reason(OLD_STEP.replace("\"time\":0.12", "\"time\":-1e308")))
                .isEqualTo("field 'time' must be a time: a finite number ≥ 0 (or null: unknown), got -1.0E308");
        assertThat(reason(OLD_STEP.replace("\"step_size\":0.04", "\"step_size\":-1")))
                .isEqualTo("field 'step_size' must be a step size: a finite number > 0 (or null: unknown), got -1.0");
        assertThat(reason(OLD_STEP.replace("\"step_size\":0.04", "\"step_size\":0"))).contains("'step_size'");
        assertThat(reason(OLD_STEP.replace("\"step\":3", "\"step\":9223372036854775807")))
                .isEqualTo("field 'step' must be a step in 0..9007199254740991, got 9223372036854775807");
        assertThat(reason(OLD_STEP.replace("\"step\":3", "\"step\":9007199254740992"))).contains("'step'");
        assertThat(reason(OLD_STEP.replace("\"loss\":0.5", "\"loss\":-0.5"))).contains("'loss' must be a loss ≥ 0");
        assertThat(reason("{\"type\":\"heartbeat\",\"run\":\"r1\",\"step\":-2,\"at\":1}")).contains("heartbeat: field 'step'");
        // the producers' side: the same rules, the same words
        assertThatThrownBy(() -> new TelemetryRecord.Step("r1", 3, 0.12, 0.5, 2.5, 0.04, Double.NaN, 12))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(reason(OLD_STEP.replace("0.75", "2.5")));
        assertThatThrownBy(() -> new TelemetryRecord.Step("r1", Long.MAX_VALUE, 0.12, 0.5, 0.5, 0.04, Double.NaN, 12))
                .hasMessageContaining("'step'");
        assertThatThrownBy(() -> new TelemetryRecord.Step("r1", 3, -1e308, 0.5, 0.5, 0.04, Double.NaN, 12)).hasMessageContaining("'time'");
        assertThatThrownBy(() -> new TelemetryRecord.Step("r1", 3, 0.12, 0.5, 0.5, -1, Double.NaN, 12)).hasMessageContaining("'step_size'");
        assertThatThrownBy(() -> new TelemetryRecord.Heartbeat("r1", FieldRules.MAX_STEP + 1, 1)).hasMessageContaining("'step'");
        // the edges of each rule pass; unknown (null) and a diverged loss (not finite) stay allowed
        TelemetryRecord.Step edge = new TelemetryRecord.Step("r1", FieldRules.MAX_STEP, 0, Double.POSITIVE_INFINITY, 1, Double.MIN_VALUE,
                -3, 0);
        assertThat(TelemetryRecord.parse(edge.toJson())).isEqualTo(new TelemetryRecord.Step("r1", FieldRules.MAX_STEP, 0, Double.NaN, 1,
                Double.MIN_VALUE, -3, 0));
        assertThat(((TelemetryRecord.Step) parse(OLD_STEP.replace("0.75", "0").replace("0.12", "null").replace("0.04", "null")))
                .accuracy()).isZero();
        assertThat(new TelemetryRecord.Heartbeat("r1", -1, 0).step()).isEqualTo(-1);
    }
    /** The trainer's own stability value, threshold and ratio, and the epoch of a mini-batch step. */
    @Test
    void aStepCarriesTheStabilityOfItsOwnOptimizerAndItsEpoch() throws Exception {
        TelemetryRecord.Step s = new TelemetryRecord.Step("r1", 3, 0.12, 0.5, 0.75, 0.04, 45.0, 12, 57.0, 95.0, 2);
        com.google.gson.JsonObject json = s.toJson();
        assertThat(json.get("stability").getAsDouble()).isEqualTo(57.0);
        assertThat(json.get("stability_threshold").getAsDouble()).isEqualTo(95.0);
        assertThat(json.get("stability_ratio").getAsDouble()).isEqualTo(57.0 / 95.0);
        assertThat(json.get("epoch").getAsLong()).isEqualTo(2);
        assertThat(TelemetryRecord.parse(json)).isEqualTo(s);
        assertThat(s.stabilityRatio()).isEqualTo(0.6);
        // a threshold without a value (Adam's λmax(P⁻¹𝓗) is the analyzer's): no value, no ratio
        TelemetryRecord.Step adam = new TelemetryRecord.Step("r1", 3, 0.12, 0.5, 0.75, 0.04, 45.0, 12, Double.NaN, 760, -1);
        assertThat(adam.toJson().keySet()).contains("stability_threshold").doesNotContain("stability", "stability_ratio", "epoch");
        assertThat(TelemetryRecord.parse(adam.toJson())).isEqualTo(adam);
        // records without the fields (older producers, the Python client) are full-batch steps without them
        TelemetryRecord.Step old = (TelemetryRecord.Step) parse(OLD_STEP);
        assertThat(old.stability()).isNaN();
        assertThat(old.stabilityThreshold()).isNaN();
        assertThat(old.stabilityRatio()).isNaN();
        assertThat(old.epoch()).isEqualTo(-1);
        assertThat(old.toJson().keySet()).doesNotContain("stability", "stability_threshold", "stability_ratio", "epoch");
        // the ratio on the wire is derived: a producer's disagreeing one is not believed
        assertThat(((TelemetryRecord.Step) parse(OLD_STEP.replace("}", ",\"stability\":50,\"stability_threshold\":100,"
                + "\"stability_ratio\":7}"))).stabilityRatio()).isEqualTo(0.5);
        // nulls are unknowns
        assertThat(((TelemetryRecord.Step) parse(OLD_STEP.replace("}", ",\"stability\":null,\"stability_threshold\":null,"
                + "\"stability_ratio\":null,\"epoch\":null}"))).stabilityThreshold()).isNaN();
    }

    @Test
    void badStabilityFieldsAreRefusedNamingTheField() {
        assertThat(reason(OLD_STEP.replace("}", ",\"stability_threshold\":0}")))
                .isEqualTo("field 'stability_threshold' must be a threshold: a finite number > 0 (or null: unknown), got 0.0");
        assertThat(reason(OLD_STEP.replace("}", ",\"stability_threshold\":-2}"))).contains("'stability_threshold'");
        assertThat(reason(OLD_STEP.replace("}", ",\"stability\":\"high\"}"))).contains("'stability'");
        assertThat(reason(OLD_STEP.replace("}", ",\"stability_ratio\":[1]}"))).contains("'stability_ratio'");
        assertThat(reason(OLD_STEP.replace("}", ",\"epoch\":-2}"))).startsWith("field 'epoch' must be an epoch");
        assertThat(reason(OLD_STEP.replace("}", ",\"epoch\":1.5}"))).contains("'epoch'").contains("whole number");
        assertThatThrownBy(() -> new TelemetryRecord.Step("r1", 3, 0.12, 0.5, 0.5, 0.04, Double.NaN, 12, 1, -1, -1))
                .hasMessageContaining("'stability_threshold'");
        assertThatThrownBy(() -> new TelemetryRecord.Step("r1", 3, 0.12, 0.5, 0.5, 0.04, Double.NaN, 12, 1, 2, -5))
                .hasMessageContaining("'epoch'");
    }
}
