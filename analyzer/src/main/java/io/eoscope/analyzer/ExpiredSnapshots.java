package io.eoscope.analyzer;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The snapshots of one run that a replay asked for and did not find: their steps are named by the run's metrics (the
 * compacted {@code metrics} topic keeps a record of every step that was ever analysed), or a snapshot's first chunks
 * are gone while its last ones remain. Almost always retention removed them (docs/contracts.md#retention): the run's
 * partition then no longer starts at offset 0.
 *
 * @param topic the snapshots topic
 * @param steps the missing steps, ascending (never empty)
 * @param known every step of the run in the replay's range that is known to have had a snapshot: the missing ones and
 *     those still there
 * @param partition the partition the run's snapshots go to
 * @param logStartOffset that partition's first offset now: above 0 when retention (or a deletion) removed records
 * @param retention the topic's {@code retention.ms} and {@code retention.bytes}, as {@code retention.ms=…,
 *     retention.bytes=…}, or why they could not be read
 */
public record ExpiredSnapshots(String topic, SortedSet<Long> steps, SortedSet<Long> known, int partition, long logStartOffset,
        String retention) {
    /** The most ranges of steps a message names; the others are counted. */
    static final int MOST_RANGES = 6;

    /** Checks and copies. */
    public ExpiredSnapshots {
        if (steps.isEmpty() || !known.containsAll(steps)) {
            throw new IllegalArgumentException("the expired steps must be a non-empty part of the known steps");
        }
        steps = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(steps));
        known = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(known));
    }

    /** Whether retention (or a deletion of records) explains the gap: the partition's log no longer starts at 0. */
    public boolean byRetention() {
        return logStartOffset > 0;
    }

    /**
     * What is gone and why, for a log line, a dead letter and the command line:
     * {@code 28 have expired from eos.snapshots: steps 0..270 (retention.ms=604800000, retention.bytes=-1; partition 3
     * starts at offset 1234)}.
     */
    public String describe() {
        String what = steps.size() == 1 ? "1 has" : steps.size() + " have";
        if (byRetention()) {
            return what + " expired from " + topic + ": " + ranges() + " (" + retention + "; partition " + partition
                    + " starts at offset " + logStartOffset + ")";
        }
        return what + " gone from " + topic + " though the run's metrics name " + (steps.size() == 1 ? "it" : "them") + ": " + ranges() + " (partition " + partition
                + " still starts at offset 0, so not by retention: was the topic deleted and created again?)";
    }

    /**
     * The missing steps as ranges of consecutive known steps: with snapshots every 10 steps, {@code steps 0..270, 500}
     * (0, 10, …, 270 and 500 missing; 280 … 490 still there).
     */
    String ranges() {
        List<String> out = new ArrayList<>();
        int ranges = 0;
        Long first = null;
        Long last = null;
        for (long k : known) {
            if (steps.contains(k)) {
                if (first == null) {
                    first = k;
                }
                last = k;
            } else if (first != null) {
                ranges++;
                add(out, first, last);
                first = null;
            }
        }
        if (first != null) {
            ranges++;
            add(out, first, last);
        }
        String shown = String.join(", ", out);
        String word = steps.size() == 1 ? "step " : "steps ";
        return ranges > MOST_RANGES ? word + shown + " and " + (ranges - MOST_RANGES) + " more ranges" : word + shown;
    }

    private static void add(List<String> out, long first, long last) {
        if (out.size() < MOST_RANGES) {
            out.add(first == last ? Long.toString(first) : first + ".." + last);
        }
    }
}
