package io.eoscope.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import io.eoscope.wire.GroupWorker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.junit.jupiter.api.Test;

/** Two analyzers of one group in one process (as in eos demo) both export their gauges, and take them with them when they close. */
class AnalyzerMetersTest {
    private static GroupWorker worker() {
        return new GroupWorker(new MockConsumer<>("earliest"), "snapshots", (r, out) -> { }, GroupWorker.Limits.defaults(), "w");
    }

    @Test
    void everyMemberHasItsOwnGauges() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AnalyzerMeters a = new AnalyzerMeters(registry, "g", "m1", worker());
        AnalyzerMeters b = new AnalyzerMeters(registry, "g", "m2", worker());
        a.pendingBytes.set(3);
        b.pendingBytes.set(7);
        assertThat(registry.get("eos.analyzer.pending").tag("member", "m1").gauge().value()).isEqualTo(3);
        assertThat(registry.get("eos.analyzer.pending").tag("member", "m2").gauge().value()).isEqualTo(7);
        for (String name : new String[] {"eos.analyzer.lag", "eos.analyzer.queued"}) {
            assertThat(registry.find(name).gauges()).as(name).hasSize(2);
        }
        for (String name : new String[] {"eos.analyzer.skipped", "eos.analyzer.redelivered"}) {
            assertThat(registry.find(name).functionCounters()).as(name).hasSize(2);
        }
        a.close();
        assertThat(registry.find("eos.analyzer.lag").gauges()).singleElement()
                .satisfies(g -> assertThat(g.getId().getTag("member")).isEqualTo("m2"));
        assertThat(registry.find("eos.analyzer.skipped").functionCounters()).singleElement()
                .satisfies(g -> assertThat(g.getId().getTag("member")).isEqualTo("m2"));
        a.snapshots.increment(); // the group's counters stay, shared by its members
        assertThat(registry.get("eos.analyzer.snapshots").counter().count()).isEqualTo(1);
    }
}
