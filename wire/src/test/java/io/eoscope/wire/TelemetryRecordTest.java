package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;

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
}
