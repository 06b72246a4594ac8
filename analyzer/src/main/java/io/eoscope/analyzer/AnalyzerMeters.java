package io.eoscope.analyzer;

import io.eoscope.wire.GroupWorker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The analyzer's own meters (Micrometer names in base units, described; no per-snapshot tags):
 * {@code eos.analyzer.lag} (records behind), {@code eos.analyzer.pending} (bytes of chunks in
 * assembly), {@code eos.analyzer.queued} (whole snapshots waiting or in analysis), {@code eos.analyzer.skipped}
 * (by the {@code latest} lag policy) and {@code eos.analyzer.redelivered} (commits refused in a rebalance: those
 * snapshots are analysed again), one series per member ({@code member} tag: each analyzer's client id, so two analyzers of
 * one group in one process are both exported; sum by group for the group's lag);
 * {@code eos.analyzer.analysis} (seconds per snapshot), {@code eos.analyzer.stage} (seconds per snapshot in each
 * stage of the analysis, tag {@code stage}: loss, hessian, gauss_newton, residual, layerwise), {@code eos.analyzer.products} (operator products;
 * its rate is products per second), {@code eos.analyzer.snapshots} (analysed),
 * {@code eos.analyzer.deadletters}, {@code eos.analyzer.abandoned} (payloads given up: over the
 * pending-bytes bound or waiting too long for a chunk). Per-member meters are removed by {@link #close}.
 */
final class AnalyzerMeters implements AutoCloseable {
    final AtomicLong pendingBytes = new AtomicLong();
    final Timer analysis;
    final Counter products;
    final Counter snapshots;
    final Counter deadLetters;
    final Counter abandoned;
    private final MeterRegistry registry;
    private final String group;
    private final List<Meter> own = new ArrayList<>();

    AnalyzerMeters(MeterRegistry registry, String group, String member, GroupWorker worker) {
        this.registry = registry;
        this.group = group;
        own.add(Gauge.builder("eos.analyzer.lag", worker, GroupWorker::lag).description("Snapshot records not yet consumed")
                .baseUnit("records").tag("group", group).tag("member", member).register(registry));
        own.add(Gauge.builder("eos.analyzer.queued", worker, GroupWorker::outstanding)
                .description("Whole snapshots waiting for or in analysis (the partitions pause at --max-queued-snapshots waiting)")
                .baseUnit("snapshots").tag("group", group).tag("member", member).register(registry));
        own.add(FunctionCounter.builder("eos.analyzer.skipped", worker, GroupWorker::skipped)
                .description("Snapshots skipped by the latest lag policy").tag("group", group).tag("member", member).register(registry));
        own.add(FunctionCounter.builder("eos.analyzer.redelivered", worker, GroupWorker::commitsLost)
                .description("Commits the group refused during a rebalance (their snapshots are analysed again: at-least-once)")
                .tag("group", group).tag("member", member).register(registry));
        own.add(Gauge.builder("eos.analyzer.pending", pendingBytes, AtomicLong::get)
                .description("Bytes of snapshot chunks held while their payloads are assembled")
                .baseUnit("bytes").tag("group", group).tag("member", member).register(registry));
        analysis = Timer.builder("eos.analyzer.analysis").description("Time to analyse one snapshot")
                .tag("group", group).register(registry);
        products = Counter.builder("eos.analyzer.products").description("Curvature operator products computed")
                .baseUnit("products").tag("group", group).register(registry);
        snapshots = Counter.builder("eos.analyzer.snapshots").description("Snapshots analysed and published")
                .tag("group", group).register(registry);
        deadLetters = Counter.builder("eos.analyzer.deadletters").description("Records sent to the dead-letter topic")
                .tag("group", group).register(registry);
        abandoned = Counter.builder("eos.analyzer.abandoned")
                .description("Chunked payloads given up (over the pending-bytes bound, or a chunk that never came)")
                .tag("group", group).register(registry);
    }

    void analysed(double seconds, long productCount, java.util.Map<String, Double> stageSeconds) {
        analysis.record(Duration.ofNanos((long) (seconds * 1e9)));
        products.increment(productCount);
        snapshots.increment();
        // a handful of stages, named by the analysis itself: bounded tags
        stageSeconds.forEach((stage, s) -> Timer.builder("eos.analyzer.stage").description("Time of one stage of a snapshot's analysis")
                .tag("group", group).tag("stage", stage).register(registry).record(Duration.ofNanos((long) (s * 1e9))));
    }

    @Override
    public void close() {
        own.forEach(registry::remove);
    }
}
