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
 */
public record AnalyzerLimits(long maxPendingBytes, Duration maxPayloadAge, Duration datasetWait) {
    /** 256 MiB in assembly, 120 s between chunks, 5 s for a dataset. */
    public static AnalyzerLimits defaults() {
        return new AnalyzerLimits(256L << 20, Duration.ofSeconds(120), Duration.ofSeconds(5));
    }

    /** Validates. */
    public AnalyzerLimits {
        if (maxPendingBytes < (1L << 20)) {
            throw new IllegalArgumentException("--max-pending-bytes must be at least 1 MiB (1048576), got " + maxPendingBytes);
        }
        if (maxPayloadAge.toSeconds() < 1) {
            throw new IllegalArgumentException("--max-payload-age-seconds must be at least 1, got " + maxPayloadAge.toSeconds());
        }
        if (datasetWait.isNegative()) {
            throw new IllegalArgumentException("--dataset-wait-seconds must be ≥ 0, got " + datasetWait.toSeconds());
        }
    }
}
