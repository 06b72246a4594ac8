package io.eoscope.wire;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long the {@code snapshots} and {@code telemetry} topics keep their records (docs/contracts.md#retention): the
 * options {@code --snapshot-retention}, {@code --snapshot-retention-bytes} and {@code --telemetry-retention}, parsed
 * and validated once, and the topic configurations they make. The other topics are not configurable here: the
 * compacted ones ({@code runs}, {@code datasets}, {@code metrics}) stay compacted, {@code replays} keeps 7 days and
 * {@code deadletter} keeps everything.
 *
 * <p>Kafka deletes a whole log segment at a time, once its newest record is older than {@code retention.ms}, and a
 * segment is rolled only when it reaches {@code segment.bytes} (1 GiB) or {@code segment.ms} (7 days by default). A
 * retention shorter than 7 days therefore also sets {@code segment.ms} to the retention, so that a record is gone
 * within twice the retention even on a quiet topic.
 *
 * @param snapshotsMs {@code retention.ms} of {@code snapshots}; {@value #FOREVER}: forever
 * @param snapshotsBytes {@code retention.bytes} of each {@code snapshots} partition; {@value #FOREVER}: unlimited
 * @param telemetryMs {@code retention.ms} of {@code telemetry}; {@value #FOREVER}: forever
 * @param given the options given on the command line (the others have their defaults): only these are applied to
 *     topics that already exist, so an operator's own change to a topic is never silently reverted
 */
public record Retention(long snapshotsMs, long snapshotsBytes, long telemetryMs, Set<Option> given) {
    /** Kafka's "no limit" for {@code retention.ms} and {@code retention.bytes}. */
    public static final long FOREVER = -1;
    /** Kafka's default {@code segment.ms}: 7 days. */
    public static final long DEFAULT_SEGMENT_MS = 7L * 24 * 3600 * 1000;
    /** The telemetry topic's default retention: 7 days. */
    public static final long DEFAULT_TELEMETRY_MS = 7L * 24 * 3600 * 1000;

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,18})(m|h|d)");
    private static final Pattern SIZE = Pattern.compile("([0-9]{1,18})(MiB|GiB|TiB)");

    /** The options, each with its name on the command line. */
    public enum Option {
        SNAPSHOT_RETENTION("--snapshot-retention"),
        SNAPSHOT_RETENTION_BYTES("--snapshot-retention-bytes"),
        TELEMETRY_RETENTION("--telemetry-retention");

        private final String flag;

        Option(String flag) {
            this.flag = flag;
        }

        /** The option's name on the command line. */
        public String flag() {
            return flag;
        }
    }

    /**
     * One topic configuration that an option sets.
     *
     * @param topic the topic's full name (prefix included)
     * @param key the configuration key ({@code retention.ms}, ...)
     * @param value its value
     * @param option the option that sets it
     */
    public record Setting(String topic, String key, String value, Option option) {}

    /** Validates the values; messages name the option. */
    public Retention {
        if (snapshotsMs != FOREVER && snapshotsMs < 1) {
            throw new IllegalArgumentException(Option.SNAPSHOT_RETENTION.flag() + " must be forever or positive, got " + snapshotsMs + " ms");
        }
        if (snapshotsBytes != FOREVER && snapshotsBytes < 1) {
            throw new IllegalArgumentException(Option.SNAPSHOT_RETENTION_BYTES.flag() + " must be unlimited or positive, got "
                    + snapshotsBytes + " bytes");
        }
        if (telemetryMs != FOREVER && telemetryMs < 1) {
            throw new IllegalArgumentException(Option.TELEMETRY_RETENTION.flag() + " must be forever or positive, got " + telemetryMs + " ms");
        }
        given = given.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(given));
    }

    /** Every default: snapshots forever and unlimited, telemetry 7 days; nothing given. */
    public static Retention defaults() {
        return new Retention(FOREVER, FOREVER, DEFAULT_TELEMETRY_MS, Set.of());
    }

    /**
     * Parses the options as given on the command line; null: not given (the default, and existing topics are left
     * as they are).
     *
     * @param snapshotRetention {@code forever} or {@code <n>m|h|d}
     * @param snapshotRetentionBytes {@code unlimited} or {@code <n>MiB|GiB|TiB}, per partition
     * @param telemetryRetention {@code forever} or {@code <n>m|h|d}
     * @throws IllegalArgumentException naming the option and the syntax it takes
     */
    public static Retention parse(String snapshotRetention, String snapshotRetentionBytes, String telemetryRetention) {
        Set<Option> given = EnumSet.noneOf(Option.class);
        long snapshotsMs = FOREVER;
        long snapshotsBytes = FOREVER;
        long telemetryMs = DEFAULT_TELEMETRY_MS;
        if (snapshotRetention != null) {
            snapshotsMs = millis(Option.SNAPSHOT_RETENTION, snapshotRetention);
            given.add(Option.SNAPSHOT_RETENTION);
        }
        if (snapshotRetentionBytes != null) {
            snapshotsBytes = bytes(Option.SNAPSHOT_RETENTION_BYTES, snapshotRetentionBytes);
            given.add(Option.SNAPSHOT_RETENTION_BYTES);
        }
        if (telemetryRetention != null) {
            telemetryMs = millis(Option.TELEMETRY_RETENTION, telemetryRetention);
            given.add(Option.TELEMETRY_RETENTION);
        }
        return new Retention(snapshotsMs, snapshotsBytes, telemetryMs, given);
    }

    /** {@code forever}, or a whole number of minutes, hours or days ({@code 90m}, {@code 12h}, {@code 30d}), in milliseconds. */
    static long millis(Option option, String value) {
        String v = value.strip();
        if (v.equals("forever")) {
            return FOREVER;
        }
        Matcher m = DURATION.matcher(v);
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new IllegalArgumentException(option.flag() + " must be 'forever' or a whole number of minutes, hours or days"
                    + " (such as 90m, 12h or 30d), got '" + value + "'");
        }
        long unit = switch (m.group(2)) {
            case "m" -> 60_000L;
            case "h" -> 3_600_000L;
            default -> 86_400_000L;
        };
        return times(option, value, Long.parseLong(m.group(1)), unit);
    }

    /** {@code unlimited}, or a whole number of MiB, GiB or TiB ({@code 512MiB}, {@code 20GiB}), in bytes. */
    static long bytes(Option option, String value) {
        String v = value.strip();
        if (v.equals("unlimited")) {
            return FOREVER;
        }
        Matcher m = SIZE.matcher(v);
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new IllegalArgumentException(option.flag() + " must be 'unlimited' or a whole number of MiB, GiB or TiB per"
                    + " partition (such as 512MiB or 20GiB), got '" + value + "'");
        }
        long unit = switch (m.group(2)) {
            case "MiB" -> 1L << 20;
            case "GiB" -> 1L << 30;
            default -> 1L << 40;
        };
        return times(option, value, Long.parseLong(m.group(1)), unit);
    }

    private static long times(Option option, String value, long n, long unit) {
        try {
            return Math.multiplyExact(n, unit);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(option.flag() + " is too large, got '" + value + "'");
        }
    }

    /** The configurations of the {@code snapshots} topic: {@code retention.ms}, {@code retention.bytes} and maybe {@code segment.ms}. */
    public Map<String, String> snapshotsConfigs() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("retention.ms", Long.toString(snapshotsMs));
        c.put("retention.bytes", Long.toString(snapshotsBytes));
        segment(snapshotsMs).ifPresent(s -> c.put("segment.ms", s));
        return Map.copyOf(c);
    }

    /** The configurations of the {@code telemetry} topic: {@code retention.ms} and maybe {@code segment.ms}. */
    public Map<String, String> telemetryConfigs() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("retention.ms", Long.toString(telemetryMs));
        segment(telemetryMs).ifPresent(s -> c.put("segment.ms", s));
        return Map.copyOf(c);
    }

    /** The configurations these options make, by topic name: {@code snapshots} and {@code telemetry}. */
    public Map<String, Map<String, String>> toTopicConfigs(Topics topics) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        out.put(topics.snapshots(), snapshotsConfigs());
        out.put(topics.telemetry(), telemetryConfigs());
        return out;
    }

    /** The settings of the options that were given (not defaulted): what is applied to topics that already exist. */
    public List<Setting> givenSettings(Topics topics) {
        List<Setting> out = new ArrayList<>();
        if (given.contains(Option.SNAPSHOT_RETENTION)) {
            out.add(new Setting(topics.snapshots(), "retention.ms", Long.toString(snapshotsMs), Option.SNAPSHOT_RETENTION));
            segment(snapshotsMs).ifPresent(s -> out.add(new Setting(topics.snapshots(), "segment.ms", s, Option.SNAPSHOT_RETENTION)));
        }
        if (given.contains(Option.SNAPSHOT_RETENTION_BYTES)) {
            out.add(new Setting(topics.snapshots(), "retention.bytes", Long.toString(snapshotsBytes), Option.SNAPSHOT_RETENTION_BYTES));
        }
        if (given.contains(Option.TELEMETRY_RETENTION)) {
            out.add(new Setting(topics.telemetry(), "retention.ms", Long.toString(telemetryMs), Option.TELEMETRY_RETENTION));
            segment(telemetryMs).ifPresent(s -> out.add(new Setting(topics.telemetry(), "segment.ms", s, Option.TELEMETRY_RETENTION)));
        }
        return out;
    }

    /** {@code segment.ms} for a retention shorter than Kafka's default segment time, so that deletion is not held up by a week. */
    private static java.util.Optional<String> segment(long retentionMs) {
        return retentionMs != FOREVER && retentionMs < DEFAULT_SEGMENT_MS ? java.util.Optional.of(Long.toString(retentionMs))
                : java.util.Optional.empty();
    }
}
