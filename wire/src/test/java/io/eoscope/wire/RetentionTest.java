package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The retention options: their syntax, their refusals (naming the option) and the topic configurations they make. */
class RetentionTest {
    private static final long MINUTE = 60_000L;
    private static final long HOUR = 60 * MINUTE;
    private static final long DAY = 24 * HOUR;
    private final Topics topics = new Topics("eos.");

    @ParameterizedTest(name = "{0}")
    @CsvSource({"forever, -1", "90m, 5400000", "12h, 43200000", "30d, 2592000000", "1m, 60000", "' 7d ', 604800000",
        "007d, 604800000", "106751991167d, 9223372036828800000"})
    void durations(String value, long millis) {
        assertThat(Retention.millis(Retention.Option.SNAPSHOT_RETENTION, value)).isEqualTo(millis);
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"", "0d", "-1d", "30", "30D", "1w", "1.5d", "1 d", "30s", "Forever", "unlimited", "d", "0000m"})
    void badDurationsNameTheOptionAndTheSyntax(String value) {
        assertThatThrownBy(() -> Retention.parse(null, null, value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--telemetry-retention must be 'forever' or a whole number of minutes, hours or days"
                        + " (such as 90m, 12h or 30d), got '" + value + "'");
    }

    @Test
    void anOverflowingDurationIsRefused() {
        assertThatThrownBy(() -> Retention.parse("999999999999999999d", null, null))
                .hasMessage("--snapshot-retention is too large, got '999999999999999999d'");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"unlimited, -1", "512MiB, 536870912", "20GiB, 21474836480", "2TiB, 2199023255552"})
    void sizes(String value, long bytes) {
        assertThat(Retention.parse(null, value, null).snapshotsBytes()).isEqualTo(bytes);
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"", "0GiB", "1GB", "1gib", "1024", "1KiB", "forever", "1.5GiB", "-1GiB"})
    void badSizesNameTheOptionAndTheSyntax(String value) {
        assertThatThrownBy(() -> Retention.parse(null, value, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--snapshot-retention-bytes must be 'unlimited' or a whole number of MiB, GiB or TiB per partition"
                        + " (such as 512MiB or 20GiB), got '" + value + "'");
        assertThatThrownBy(() -> Retention.parse(null, "99999999999TiB", null)).hasMessageStartingWith("--snapshot-retention-bytes is too large");
    }

    @Test
    void nothingGivenIsTheDefaultsAndGivesNoSettingForExistingTopics() {
        Retention none = Retention.parse(null, null, null);
        assertThat(none).isEqualTo(Retention.defaults());
        assertThat(none.given()).isEmpty();
        assertThat(none.givenSettings(topics)).isEmpty();
        assertThat(none.toTopicConfigs(topics)).isEqualTo(Map.of(
                "eos.snapshots", Map.of("retention.ms", "-1", "retention.bytes", "-1"),
                "eos.telemetry", Map.of("retention.ms", "604800000")));
    }

    @Test
    void defaultsAreTheTopicsOfOld() {
        // the definitions without a retention are those with the defaults: the chart and older clusters stay as they are
        assertThat(topics.definitions(4, Optional.empty())).usingRecursiveFieldByFieldElementComparator()
                .isEqualTo(topics.definitions(4, Optional.empty(), Retention.defaults()));
        assertThat(configs(Retention.defaults())).isEqualTo(Map.of(
                "eos.runs", Map.of("cleanup.policy", "compact"),
                "eos.datasets", Map.of("cleanup.policy", "compact"),
                "eos.snapshots", Map.of("retention.ms", "-1", "retention.bytes", "-1"),
                "eos.metrics", Map.of("cleanup.policy", "compact"),
                "eos.telemetry", Map.of("retention.ms", "604800000"),
                "eos.replays", Map.of("retention.ms", "604800000"),
                "eos.deadletter", Map.of("retention.ms", "-1", "retention.bytes", "-1")));
    }

    @Test
    void theOptionsReachTheSnapshotsAndTelemetryTopicsOnlyAndTheCompactedTopicsStayCompacted() {
        Retention r = Retention.parse("30d", "20GiB", "forever");
        Map<String, Map<String, String>> c = configs(r);
        assertThat(c.get("eos.snapshots")).isEqualTo(Map.of("retention.ms", Long.toString(30 * DAY), "retention.bytes",
                Long.toString(20L << 30)));
        assertThat(c.get("eos.telemetry")).isEqualTo(Map.of("retention.ms", "-1"));
        for (String compacted : new String[] {"eos.runs", "eos.datasets", "eos.metrics"}) {
            assertThat(c.get(compacted)).as(compacted).isEqualTo(Map.of("cleanup.policy", "compact"));
        }
        assertThat(c.get("eos.replays")).isEqualTo(Map.of("retention.ms", "604800000"));
        assertThat(c.get("eos.deadletter")).isEqualTo(Map.of("retention.ms", "-1", "retention.bytes", "-1"));
        assertThat(r.toTopicConfigs(topics)).containsOnlyKeys("eos.snapshots", "eos.telemetry");
    }

    @Test
    void aRetentionShorterThanAWeekRollsSegmentsAsOften() {
        Retention r = Retention.parse("12h", null, "90m");
        assertThat(r.snapshotsConfigs()).containsEntry("retention.ms", Long.toString(12 * HOUR))
                .containsEntry("segment.ms", Long.toString(12 * HOUR));
        assertThat(r.telemetryConfigs()).isEqualTo(Map.of("retention.ms", Long.toString(90 * MINUTE), "segment.ms",
                Long.toString(90 * MINUTE)));
        assertThat(Retention.parse("7d", null, "8d").snapshotsConfigs()).doesNotContainKey("segment.ms");
        assertThat(Retention.parse("7d", null, "8d").telemetryConfigs()).doesNotContainKey("segment.ms");
    }

    @Test
    void onlyTheGivenOptionsAreSettingsForExistingTopics() {
        Retention r = Retention.parse("12h", null, null);
        assertThat(r.given()).containsExactly(Retention.Option.SNAPSHOT_RETENTION);
        assertThat(r.givenSettings(topics)).containsExactly(
                new Retention.Setting("eos.snapshots", "retention.ms", "43200000", Retention.Option.SNAPSHOT_RETENTION),
                new Retention.Setting("eos.snapshots", "segment.ms", "43200000", Retention.Option.SNAPSHOT_RETENTION));
        // given with its default value is still given: the operator asked for it
        assertThat(Retention.parse("forever", "unlimited", "7d").givenSettings(topics)).containsExactly(
                new Retention.Setting("eos.snapshots", "retention.ms", "-1", Retention.Option.SNAPSHOT_RETENTION),
                new Retention.Setting("eos.snapshots", "retention.bytes", "-1", Retention.Option.SNAPSHOT_RETENTION_BYTES),
                new Retention.Setting("eos.telemetry", "retention.ms", "604800000", Retention.Option.TELEMETRY_RETENTION));
    }

    @Test
    void theRecordRefusesValuesKafkaWouldNot() {
        assertThatThrownBy(() -> new Retention(0, -1, -1, Set.of())).hasMessageStartingWith("--snapshot-retention ");
        assertThatThrownBy(() -> new Retention(-1, -2, -1, Set.of())).hasMessageStartingWith("--snapshot-retention-bytes ");
        assertThatThrownBy(() -> new Retention(-1, -1, -5, Set.of())).hasMessageStartingWith("--telemetry-retention ");
    }

    private Map<String, Map<String, String>> configs(Retention r) {
        Map<String, Map<String, String>> out = new java.util.HashMap<>();
        for (NewTopic t : topics.definitions(4, Optional.of((short) 1), r)) {
            out.put(t.name(), t.configs());
        }
        return out;
    }
}
