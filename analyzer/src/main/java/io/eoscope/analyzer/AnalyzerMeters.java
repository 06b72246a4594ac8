package io.eoscope.analyzer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The analyzer's own meters (Micrometer names in base units, described; no per-snapshot tags):
 * {@code eos.analyzer.lag} (records behind), {@code eos.analyzer.analysis} (seconds per snapshot),
 * {@code eos.analyzer.products} (operator products; its rate is products per second),
 * {@code eos.analyzer.snapshots} (analysed), {@code eos.analyzer.deadletters} and
 * {@code eos.analyzer.skipped} (by the {@code latest} lag policy).
 */
final class AnalyzerMeters {
    final AtomicLong lag = new AtomicLong();
    final Timer analysis;
    final Counter products;
    final Counter snapshots;
    final Counter deadLetters;
    final Counter skipped;

    AnalyzerMeters(MeterRegistry registry, String group) {
        Gauge.builder("eos.analyzer.lag", lag, AtomicLong::get).description("Snapshot records not yet consumed")
                .baseUnit("records").tag("group", group).register(registry);
        analysis = Timer.builder("eos.analyzer.analysis").description("Time to analyse one snapshot")
                .tag("group", group).register(registry);
        products = Counter.builder("eos.analyzer.products").description("Curvature operator products computed")
                .baseUnit("products").tag("group", group).register(registry);
        snapshots = Counter.builder("eos.analyzer.snapshots").description("Snapshots analysed and published")
                .tag("group", group).register(registry);
        deadLetters = Counter.builder("eos.analyzer.deadletters").description("Records sent to the dead-letter topic")
                .tag("group", group).register(registry);
        skipped = Counter.builder("eos.analyzer.skipped").description("Snapshots skipped by the latest lag policy")
                .tag("group", group).register(registry);
    }

    void analysed(double seconds, long productCount) {
        analysis.record(Duration.ofNanos((long) (seconds * 1e9)));
        products.increment(productCount);
        snapshots.increment();
    }
}
