package io.eoscope.analyzer;

import java.time.Duration;

/**
 * The analyzer's bounds, each reported when hit (a dead letter with the reason, a log line, a meter).
 * Validated on construction; messages name the option.
 *
 * @param maxPendingBytes bytes of snapshot chunks held while payloads are assembled, and the largest
 *     dataset read ({@code --max-pending-bytes}); a payload over it is dead-lettered
 * @param maxPayloadAge how long a payload in assembly may wait for its next chunk before it is
 *     dead-lettered as abandoned and the committed offset moves past it ({@code --max-payload-age-seconds})
 * @param datasetWait how long a snapshot waits for its dataset to appear in the datasets topic before it
 *     is dead-lettered ({@code --dataset-wait-seconds}); a dataset found missing once is not waited for again
 *     until the datasets topic has new records
 * @param queuedSnapshots how many whole snapshots may wait for the analysis besides the one being analysed
 *     ({@code --max-queued-snapshots}); then the analyzer pauses its partitions and the records wait in Kafka
 *     (one poll of up to {@code max.poll.records} records may add more). Under the {@code latest} lag policy a
 *     run has at most one waiting snapshot, its newest
 */
public record AnalyzerLimits(long maxPendingBytes, Duration maxPayloadAge, Duration datasetWait, int queuedSnapshots) {
    /** 256 MiB in assembly, 120 s between chunks, 5 s for a dataset, 2 snapshots waiting. */
    public static AnalyzerLimits defaults() {
        return new AnalyzerLimits(256L << 20, Duration.ofSeconds(120), Duration.ofSeconds(5), 2);
    }

    /** Validates. */
    public AnalyzerLimits {
        if (maxPendingBytes < (1L << 20)) {
            throw new IllegalArgumentException("--max-pending-bytes must be at least 1 MiB (1048576), got " + maxPendingBytes);
        }
        if (maxPayloadAge.toSeconds() < 1) {
            throw new IllegalArgumentException("--max-payload-age-seconds must be at least 1, got " + maxPayloadAge.toSeconds());
        }
        if (queuedSnapshots < 1 || queuedSnapshots > 1000) {
            throw new IllegalArgumentException("--max-queued-snapshots must be between 1 and 1000, got " + queuedSnapshots);
        }
        if (datasetWait.isNegative()) {
            throw new IllegalArgumentException("--dataset-wait-seconds must be ≥ 0, got " + datasetWait.toSeconds());
        }
    }
}
