package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A snapshot's metadata keeps the wire's field rules: what the analyzer analyses, the gateway accepts (finding 14). */
class SnapshotMetadataTest {
    static final Map<String, String> TRAINER = Map.of("run", "r1", "step", "20", "time", "0.8", "dataset", "abc", "solver", "gd",
            "lr", "0.05", "eta_max", "0.01");

    static String reason(String key, String value) {
        Map<String, String> m = new HashMap<>(TRAINER);
        if (value == null) {
            m.remove(key);
        } else {
            m.put(key, value);
        }
        try {
            SnapshotMetadata.of(m.get("run") + "@" + m.get("step"), m);
        } catch (MalformedRecordException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + m);
    }

    @Test
    void theTrainersMetadataIsTyped() throws Exception {
        SnapshotMetadata m = SnapshotMetadata.of("r1@20", TRAINER);
        assertThat(m).isEqualTo(new SnapshotMetadata("r1", 20, 0.8, "abc", 0.05, 0.01));
        Map<String, String> python = new HashMap<>(TRAINER); // the Python client writes no eta_max, and lr only when it has one
        python.remove("eta_max");
        python.remove("lr");
        assertThat(SnapshotMetadata.of("r1@20", python).lr()).isNaN();
        assertThat(SnapshotMetadata.of("r1@20", python).etaMax()).isNaN();
    }

    @Test
    void whatTheGatewayWouldRefuseIsRefusedBeforeTheAnalysis() {
        assertThat(reason("step", "-7")).isEqualTo("metadata field 'step' must be a step in 0..9007199254740991, got -7");
        assertThat(reason("step", "9223372036854775807")).contains("field 'step' must be a step");
        assertThat(reason("step", "2.5")).contains("field 'step' must be a whole number, got '2.5'");
        assertThat(reason("time", "NaN")).isEqualTo("metadata field 'time' must be a finite decimal number, got 'NaN'");
        assertThat(reason("time", "Infinity")).contains("'time'");
        assertThat(reason("time", "1e400")).contains("field 'time' must be a time");
        assertThat(reason("time", "-0.5")).contains("field 'time' must be a time");
        assertThat(reason("lr", "-1")).isEqualTo("metadata field 'lr' must be a step size: a finite number > 0 (or null: unknown), got -1.0");
        assertThat(reason("lr", "0")).contains("'lr'");
        assertThat(reason("eta_max", "nan")).contains("'eta_max'");
        assertThat(reason("run", "a/b")).contains("field 'run'");
        assertThat(reason("time", null)).isEqualTo("metadata has no 'time'");
        assertThat(reason("dataset", "")).contains("'dataset'");
    }

    @Test
    void theMetadataMustNameTheRunAndStepOfItsPayload() {
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> SnapshotMetadata.of("r1@21", TRAINER)))
                .hasMessage("metadata says run r1 step 20 but the payload is r1@21");
    }
}
