package io.eoscope.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.eoscope.wire.TelemetryRecord;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The view: status from record timestamps, heartbeats, analyses kept apart, bounded runs, finite series. */
class RunsViewTest {
    final AtomicLong now = new AtomicLong(1_000_000_000L);

    RunsView view(int maxRuns) {
        return new RunsView("default", 60_000, maxRuns, now::get);
    }

    @Test
    void tenThousandShortRunsKeepTheViewAtItsCapCountedAndLoggedOncePerBurst() throws Exception {
        RunsView view = view(1000);
        ListAppender<ILoggingEvent> log = capture(RunsView.class);
        for (int i = 0; i < 10_000; i++) {
            String run = "r" + i;
            long t = now.addAndGet(10);
            view.run(Fixtures.run(run, "running"), t);
            view.telemetry(Fixtures.step(run, 0), t);
            view.metrics(Fixtures.metrics(run, 0, "default", 40), t);
            view.run(Fixtures.run(run, "finished"), t);
            assertThat(view.size()).isLessThanOrEqualTo(1000);
        }
        assertThat(view.size()).isEqualTo(1000);
        assertThat(view.evictions()).isEqualTo(9000);
        // the newest runs stay, the oldest went
        assertThat(view.get("r9999")).isPresent();
        assertThat(view.get("r9000")).isPresent();
        assertThat(view.get("r8999")).isEmpty();
        assertThat(view.reportEvictions()).isEqualTo(9000);
        assertThat(view.reportEvictions()).isZero();
        assertThat(log.list).filteredOn(e -> e.getLevel() == Level.INFO && e.getFormattedMessage().startsWith("evicted 9000 run(s)"))
                .hasSize(1);
    }

    @Test
    void aReaderNeverSeesMoreRunsThanTheCapWhileRunsAreBeingAddedAndEvicted() throws Exception {
        RunsView view = view(1000);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; i < 30_000; i++) {
                    view.run(Fixtures.run("r" + i, "finished"), now.get());
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                done.set(true);
            }
        });
        writer.start();
        int largest = 0;
        int reads = 0;
        while (!done.get() || reads == 0) {
            largest = Math.max(largest, view.all().size());
            reads++;
            java.util.concurrent.locks.LockSupport.parkNanos(50_000); // a reader, not a lock hog
        }
        writer.join();
        assertThat(reads).isPositive();
        assertThat(largest).as("runs in one answer of /api/runs, over %d reads", reads).isLessThanOrEqualTo(1000);
        assertThat(view.all()).hasSize(1000);
    }

    @Test
    void overRunsAreEvictedBeforeRunningOnesOldestFirst() throws Exception {
        RunsView view = view(3);
        view.run(Fixtures.run("live-old", "running"), now.get() - 50);
        view.run(Fixtures.run("done-old", "finished"), now.get() - 40);
        view.run(Fixtures.run("done-new", "failed"), now.get() - 30);
        view.run(Fixtures.run("next", "running"), now.get() - 20);
        assertThat(view.get("done-old")).isEmpty();
        assertThat(view.get("live-old")).isPresent();
        view.run(Fixtures.run("next2", "running"), now.get() - 10);
        assertThat(view.get("done-new")).isEmpty();
        view.run(Fixtures.run("next3", "running"), now.get());
        assertThat(view.get("live-old")).as("no over run left: the oldest running one goes").isEmpty();
        assertThat(view.evictions()).isEqualTo(3);
    }

    @Test
    void aRunSilentLongerThanTheStalePeriodIsStaleFromItsRecordTimestamps() throws Exception {
        RunsView view = view(10);
        // history read by a restarted gateway: the record is two minutes old
        view.run(Fixtures.run("crashed", "running"), now.get() - 120_000);
        view.run(Fixtures.run("alive", "running"), now.get() - 1_000);
        view.run(Fixtures.run("ended", "finished"), now.get() - 120_000);
        view.run(Fixtures.run("broke", "failed"), now.get() - 120_000);
        assertThat(view.get("crashed").orElseThrow().status()).isEqualTo("stale");
        assertThat(view.get("alive").orElseThrow().status()).isEqualTo("running");
        assertThat(view.get("ended").orElseThrow().status()).isEqualTo("finished");
        assertThat(view.get("broke").orElseThrow().status()).isEqualTo("failed");
        assertThat(view.get("broke").orElseThrow().failure()).isEqualTo("loss diverged");
        // a heartbeat revives it and adds no point
        view.telemetry(new TelemetryRecord.Heartbeat("crashed", 41, now.get()), now.get());
        RunsView.Run crashed = view.get("crashed").orElseThrow();
        assertThat(crashed.status()).isEqualTo("running");
        assertThat(crashed.lastHeardMillis()).isEqualTo(now.get());
        assertThat(crashed.telemetry()).isEmpty();
        assertThat(view.series(crashed, "loss", 0, Long.MAX_VALUE, 100)).isEmpty();
        now.addAndGet(60_001);
        assertThat(crashed.status()).isEqualTo("stale");
        // an older record read late does not make a run look younger
        view.telemetry(Fixtures.step("crashed", 1), now.get() - 500_000);
        assertThat(crashed.status()).isEqualTo("stale");
        // a producer whose clock runs an hour ahead cannot keep its dead run from going stale
        view.run(Fixtures.run("ahead", "running"), now.get() + 3_600_000);
        assertThat(view.get("ahead").orElseThrow().status()).isEqualTo("running");
        now.addAndGet(60_001);
        assertThat(view.get("ahead").orElseThrow().status()).isEqualTo("stale");
    }

    @Test
    void aReplaysAnalysisDoesNotReplaceTheLiveOne() throws Exception {
        RunsView view = view(10);
        view.run(Fixtures.run("a", "running"));
        view.metrics(Fixtures.metrics("a", 10, "default", 40));
        view.metrics(Fixtures.metrics("a", 20, "topk3", 99));
        RunsView.Run a = view.get("a").orElseThrow();
        assertThat(a.metrics().orElseThrow().analysisId()).isEqualTo("default");
        assertThat(a.metrics().orElseThrow().step()).isEqualTo(10);
        assertThat(a.metrics("topk3").orElseThrow().step()).isEqualTo(20);
        assertThat(a.analysisIds()).containsExactlyInAnyOrder("default", "topk3");
        var live = view.series(a, SeriesMetric.of("hessian"), "default", 0, Long.MAX_VALUE, 100);
        assertThat(live).hasSize(1);
        assertThat(live.get(0).value()).isEqualTo(40.0);
        var replay = view.series(a, SeriesMetric.of("hessian"), "topk3", 0, Long.MAX_VALUE, 100);
        assertThat(replay.get(0).value()).isEqualTo(99.0);
        // at most MAX_ANALYSES ids per run, the live one always kept
        for (int i = 0; i < RunsView.MAX_ANALYSES + 5; i++) {
            view.metrics(Fixtures.metrics("a", 30, "r" + i, 1), now.incrementAndGet());
        }
        assertThat(a.analysisIds()).hasSize(RunsView.MAX_ANALYSES).contains("default", "r" + (RunsView.MAX_ANALYSES + 4));
    }

    @Test
    void seriesLeaveOutNonFiniteValuesAndWriteUnknownTimesAsNull() throws Exception {
        RunsView view = view(10);
        view.run(Fixtures.run("a", "running"));
        view.telemetry(TelemetryRecord.parse(Fixtures.stepJson("a", 0, "NaN").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        view.telemetry(Fixtures.step("a", 1));
        view.telemetry(new TelemetryRecord.Step("a", 2, Double.NaN, 0.25, 1, 0.04, Double.NaN, 0));
        var loss = view.series(view.get("a").orElseThrow(), "loss", 0, Long.MAX_VALUE, 100);
        assertThat(loss).hasSize(2);
        String json = new ApiBodies.Series("a", "loss", null, loss).toJson().toString();
        assertThat(json).doesNotContain("NaN").doesNotContain("Infinity");
        assertThat(com.google.gson.JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("points").get(1)
                .getAsJsonArray().get(1).isJsonNull()).isTrue();
        assertThat(view.series(view.get("a").orElseThrow(), "sharpness", 0, Long.MAX_VALUE, 100)).hasSize(2);
    }

    @Test
    void metricNamesResolveInOnePlaceAndUnknownOnesAreRefused() throws Exception {
        var m = Fixtures.metrics("a", 1, "default", 41);
        assertThat(SeriesMetric.of("hessian").onAnalysis().applyAsDouble(m)).isEqualTo(41.0);
        assertThat(SeriesMetric.of("rho_K").onAnalysis().applyAsDouble(m)).isEqualTo(44.0);
        assertThat(SeriesMetric.of("layer1.p_delta_J").onAnalysis().applyAsDouble(m)).isEqualTo(0.4);
        assertThat(SeriesMetric.of("layer2.p_delta_J").onAnalysis().applyAsDouble(m)).isNaN();
        assertThat(SeriesMetric.of("loss").fromTelemetry()).isTrue();
        assertThat(SeriesMetric.of("loss").onAnalysis().applyAsDouble(m)).isEqualTo(0.5);
        assertThatThrownBy(() -> SeriesMetric.of("layer1.nope")).hasMessageContaining("unknown metric");
        assertThatThrownBy(() -> SeriesMetric.of("layer0.pi_J")).hasMessageContaining("unknown metric");
        assertThatThrownBy(() -> SeriesMetric.of("bogus")).hasMessageContaining("p_delta_J");
    }

    static ListAppender<ILoggingEvent> capture(Class<?> type) {
        Logger logger = (Logger) LoggerFactory.getLogger(type);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        return appender;
    }

    /**
     * Finding 14: a snapshot's metrics (or telemetry) without a runs record made a {@code running} run with an empty
     * configuration. Nothing says what such a run is or whether it runs: it is {@code unknown}, with no configuration,
     * until its runs record arrives.
     */
    @Test
    void aRunWithoutARunsRecordIsUnknownWithNoConfigurationUntilItsRecordArrives() throws Exception {
        RunsView view = view(10);
        view.metrics(Fixtures.metrics("orphan", 10, "default", 40), now.get());
        view.telemetry(Fixtures.step("orphan", 10), now.get());
        RunsView.Run r = view.get("orphan").orElseThrow();
        assertThat(r.status()).isEqualTo("unknown");
        assertThat(r.record()).isEmpty();
        com.google.gson.JsonObject detail = new ApiBodies.RunDetail(ApiBodies.RunSummary.of(r, "default", now.get()), null,
                r.telemetry().orElse(null), r.metrics().orElse(null), java.util.List.of("default")).toJson();
        assertThat(detail.get("status").getAsString()).isEqualTo("unknown");
        assertThat(detail.get("finished").getAsBoolean()).isFalse();
        assertThat(detail.has("config")).as("no invented configuration").isFalse();
        assertThat(detail.get("analysed_step").getAsLong()).isEqualTo(10);
        // silent for longer than the stale period: still unknown, never stale (it never said it was running)
        now.addAndGet(120_000);
        assertThat(r.status()).isEqualTo("unknown");
        view.run(Fixtures.run("orphan", "running"), now.get());
        assertThat(r.status()).isEqualTo("running");
        assertThat(new ApiBodies.RunDetail(ApiBodies.RunSummary.of(r, "default", now.get()), r.record().orElse(null), null, null,
                java.util.List.of()).toJson().getAsJsonObject("config").get("solver").getAsString()).isEqualTo("gd");
    }
}
