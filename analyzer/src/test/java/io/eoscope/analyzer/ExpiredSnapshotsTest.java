package io.eoscope.analyzer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** How a replay names the snapshots that have expired: ranges of the run's own steps, the retention, the partition. */
class ExpiredSnapshotsTest {
    private static SortedSet<Long> steps(long... s) {
        return new TreeSet<>(LongStream.of(s).boxed().toList());
    }

    private static SortedSet<Long> every(long step, long from, long to) {
        return new TreeSet<>(LongStream.iterate(from, k -> k <= to, k -> k + step).boxed().toList());
    }

    private static ExpiredSnapshots expired(SortedSet<Long> missing, SortedSet<Long> known, long logStart) {
        return new ExpiredSnapshots("eos.snapshots", missing, known, 3, logStart, "retention.ms=604800000, retention.bytes=-1");
    }

    @Test
    void theOldestSnapshotsGoneAreOneRangeOfTheRunsSteps() {
        ExpiredSnapshots e = expired(every(10, 0, 270), every(10, 0, 390), 1234);
        assertThat(e.byRetention()).isTrue();
        assertThat(e.describe()).isEqualTo("28 have expired from eos.snapshots: steps 0..270 (retention.ms=604800000,"
                + " retention.bytes=-1; partition 3 starts at offset 1234)");
    }

    @Test
    void gapsMakeSeveralRangesAndOneStepIsNamedAlone() {
        assertThat(expired(steps(0, 10, 40, 60, 70), every(10, 0, 80), 9).ranges()).isEqualTo("steps 0..10, 40, 60..70");
        assertThat(expired(steps(50), every(10, 0, 80), 9).describe()).startsWith("1 has expired from eos.snapshots: step 50 (");
    }

    @Test
    void manyRangesAreCounted() {
        SortedSet<Long> odd = every(2, 1, 29); // 15 separate steps among 0..29
        assertThat(expired(odd, every(1, 0, 29), 1).ranges()).isEqualTo("steps 1, 3, 5, 7, 9, 11 and 9 more ranges");
    }

    @Test
    void aGapWithTheLogStillStartingAtZeroIsNotBlamedOnRetention() {
        ExpiredSnapshots e = expired(steps(0), steps(0, 10), 0);
        assertThat(e.byRetention()).isFalse();
        assertThat(e.describe()).isEqualTo("1 has gone from eos.snapshots though the run's metrics name it: step 0 (partition 3"
                + " still starts at offset 0, so not by retention: was the topic deleted and created again?)");
    }

    @Test
    void theExpiredStepsMustBeKnownSteps() {
        assertThatThrownBy(() -> expired(steps(), steps(0), 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> expired(steps(5), steps(0), 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
