package io.eoscope.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** values.schema.json rejects unknown keys and wrong types, naming the key; the templates reject what it cannot. */
class ValuesSchemaTest {
    @TempDir
    Path scratch;

    private static String error(Map<String, Object> set) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> Chart.template(set));
        assertThat(t).as("rendering with " + set + " should fail").isNotNull();
        return t.getMessage();
    }

    @Test
    void aMisspelledKeyIsRejectedWithItsPath() {
        assertThat(error(Map.of("analyzer.replica", 2))).contains("/analyzer").contains("'replica' not allowed");
        assertThat(error(Map.of("kafka.bootstrapServer", "k:9092"))).contains("/kafka").contains("'bootstrapServer' not allowed");
        assertThat(error(Map.of("monitoring.serviceMonitor.additionalLabel.release", "x")))
                .contains("/monitoring/serviceMonitor").contains("'additionalLabel' not allowed");
        assertThat(error(Map.of("runs[0].name", "a", "runs[0].config.architecture", "2-8-2", "runs[0].config.steps", 5,
                "runs[0].config.learnignRate", 0.1))).contains("/runs/0/config").contains("'learnignRate' not allowed");
    }

    @Test
    void aWrongTypeOrValueIsRejectedWithItsPath() {
        assertThat(error(Map.of("analyzer.replicas", "two"))).contains("/analyzer/replicas").contains("integer");
        assertThat(error(Map.of("gateway.enabled", "yes please"))).contains("/gateway/enabled").contains("boolean");
        assertThat(error(Map.of("analyzer.lagPolicy", "newest"))).contains("/analyzer/lagPolicy");
        assertThat(error(Map.of("kafka.strimzi.storage.type", "nfs"))).contains("/kafka/strimzi/storage/type");
        assertThat(error(Map.of("runs[0].name", "Not_A_Label", "runs[0].config.architecture", "2-8-2",
                "runs[0].config.steps", 5))).contains("/runs/0/name");
    }

    @Test
    void retentionOutsideItsSyntaxIsRejectedWithItsPath() {
        for (String bad : List.of("30", "30 days", "0d", "10s", "1.5d", "1w", "never", "")) {
            assertThat(error(Map.of("kafka.retention.snapshots", bad))).as(bad).contains("/kafka/retention/snapshots");
            assertThat(error(Map.of("kafka.retention.telemetry", bad))).as(bad).contains("/kafka/retention/telemetry");
        }
        for (String bad : List.of("50GB", "50G", "1.5GiB", "0MiB", "1024", "1PiB", "-1", "forever")) {
            assertThat(error(Map.of("kafka.retention.snapshotBytes", bad))).as(bad).contains("/kafka/retention/snapshotBytes");
        }
        assertThat(error(Map.of("kafka.retention.snapshot", "30d"))).contains("/kafka/retention").contains("'snapshot' not allowed");
    }

    @Test
    void withoutTheSchemaTheTemplatesStillRefuseABadRetention() throws IOException {
        Path chart = Chart.copy(scratch);
        Files.delete(chart.resolve("values.schema.json"));
        assertThatThrownBy(() -> Chart.template(chart, List.of(), Map.of("kafka.strimzi.enabled", true,
                "kafka.retention.snapshots", "30 days"))).hasMessageContaining("kafka.retention.snapshots: \"30 days\" is not forever");
        assertThatThrownBy(() -> Chart.template(chart, List.of(), Map.of("kafka.strimzi.enabled", true,
                "kafka.retention.snapshotBytes", "50GB"))).hasMessageContaining("kafka.retention.snapshotBytes: \"50GB\" is not unlimited");
        assertThatThrownBy(() -> Chart.template(chart, List.of(), Map.of("kafka.strimzi.enabled", true,
                "kafka.retention.telemetry", "0d"))).hasMessageContaining("kafka.retention.telemetry: \"0d\" is not forever");
    }

    @Test
    void theTemplatesNameWhatTheSchemaCannotCheck() {
        assertThat(error(Map.of("runs[0].name", "a", "runs[0].config.steps", 5)))
                .contains("runs[0].config.architecture is required");
        assertThat(error(Map.of("runs[0].name", "a", "runs[0].config.architecture", "2-8-2")))
                .contains("runs[0].config: give a stopping rule");
        assertThat(error(Map.of("runs[0].name", "a", "runs[0].config.architecture", "2-8-2", "runs[0].config.steps", 5,
                "runs[1].name", "a", "runs[1].config.architecture", "2-8-2", "runs[1].config.steps", 5)))
                .contains("runs[1].name: \"a\" is listed twice");
        assertThat(error(Map.of("kafka.bootstrapServers", ""))).contains("kafka.bootstrapServers is required");
    }

    @Test
    void aBareNInARunIsRejectedNotSilentlyDropped() throws IOException {
        // YAML 1.1 reads a bare n as false: the schema refuses the key instead of training on 256 samples
        Path values = scratch.resolve("n-values.yaml");
        Files.writeString(values, "runs:\n  - name: a\n    config: {architecture: 2-8-2, steps: 5, n: 64}\n");
        assertThatThrownBy(() -> Chart.template(List.of(values), Map.of())).hasMessageContaining("/runs/0/config");
    }
}
