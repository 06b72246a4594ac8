package io.eoscope.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** Two analyzers of one group in one process (as in eos demo) both export their lag, and take it with them when they close. */
class AnalyzerMetersTest {
    @Test
    void everyMemberHasItsOwnLagAndPendingGauges() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AnalyzerMeters a = new AnalyzerMeters(registry, "g", "m1");
        AnalyzerMeters b = new AnalyzerMeters(registry, "g", "m2");
        a.lag.set(3);
        b.lag.set(5);
        b.pendingBytes.set(7);
        assertThat(registry.get("eos.analyzer.lag").tag("member", "m1").gauge().value()).isEqualTo(3);
        assertThat(registry.get("eos.analyzer.lag").tag("member", "m2").gauge().value()).isEqualTo(5);
        assertThat(registry.get("eos.analyzer.pending").tag("member", "m2").gauge().value()).isEqualTo(7);
        a.close();
        assertThat(registry.find("eos.analyzer.lag").gauges()).singleElement()
                .satisfies(g -> assertThat(g.getId().getTag("member")).isEqualTo("m2"));
        a.snapshots.increment(); // the group's counters stay, shared by its members
        assertThat(registry.get("eos.analyzer.snapshots").counter().count()).isEqualTo(1);
    }
}
