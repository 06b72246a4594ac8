package io.eoscope.launcher;

import io.eoscope.analyzer.AnalyzerLimits;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The analyzer's bounds as options (see {@link AnalyzerLimits}): each is reported with a dead letter when hit. */
final class LimitsOptions {
    @Option(names = "--max-pending-bytes", defaultValue = "268435456", paramLabel = "BYTES",
            description = "most bytes of snapshot chunks held while payloads are assembled, and the largest dataset read; "
                    + "a payload over it is dead-lettered (default: ${DEFAULT-VALUE}, 256 MiB; at most half the heap)")
    long maxPendingBytes;

    @Option(names = "--max-payload-age-seconds", defaultValue = "120", paramLabel = "S",
            description = "how long a snapshot in assembly may wait for its next chunk before it is dead-lettered as "
                    + "abandoned and the committed offset moves past it (default: ${DEFAULT-VALUE})")
    long maxPayloadAgeSeconds;

    @Option(names = "--dataset-wait-seconds", defaultValue = "5", paramLabel = "S",
            description = "how long a snapshot waits for its dataset to appear before it is dead-lettered; a dataset "
                    + "found missing is not waited for again until new datasets arrive (default: ${DEFAULT-VALUE})")
    long datasetWaitSeconds;

    @Option(names = "--max-queued-snapshots", defaultValue = "2", paramLabel = "N",
            description = "whole snapshots that may wait for the analysis besides the one analysed; then the analyzer "
                    + "pauses its partitions (it keeps polling, so it stays in its group) and the records wait in Kafka "
                    + "(default: ${DEFAULT-VALUE})")
    int queuedSnapshots;

    /** The validated limits for analyzers that share {@code heapBytes} of heap: the chunks in assembly may take at most half. */
    AnalyzerLimits limitsWithin(long heapBytes) {
        AnalyzerLimits l = limits();
        if (l.maxPendingBytes() > heapBytes / 2) {
            throw new UsageException("--max-pending-bytes " + l.maxPendingBytes() + " is over half the heap of each analyzer ("
                    + heapBytes + " bytes): a large or hostile snapshot could exhaust it; lower the bound or raise -Xmx (EOS_JAVA_OPTS)");
        }
        return l;
    }

    /** The validated limits. */
    AnalyzerLimits limits() {
        if (maxPayloadAgeSeconds > Duration.ofDays(365).toSeconds() || datasetWaitSeconds > 3600 || datasetWaitSeconds < 0) {
            throw new UsageException("--max-payload-age-seconds must be at most a year and --dataset-wait-seconds in 0..3600, got "
                    + maxPayloadAgeSeconds + " and " + datasetWaitSeconds);
        }
        return UsageException.fromOptions(() -> new AnalyzerLimits(maxPendingBytes, Duration.ofSeconds(maxPayloadAgeSeconds),
                Duration.ofSeconds(datasetWaitSeconds), queuedSnapshots));
    }
}
