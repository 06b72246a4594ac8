package io.eoscope.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.eoscope.wire.MetricsRecord.Operator;
import io.eoscope.wire.MetricsRecord.Spectrum;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The view's densities: per operator and step, from any analysis id, bounded with the drops counted; traces as series. */
class RunsViewDensityTest {
    final AtomicLong now = new AtomicLong(1_000_000_000L);
    static final double[] NODES = {-0.5, 0.001, 2.0, 40.0};
    static final double[] WEIGHTS = {0.1, 0.3, 0.4, 0.2};

    @Test
    void theLatestDensityOfEachStepFromAnyAnalysisIdIsKeptWithItsBuckets() throws Exception {
        RunsView view = new RunsView("default", 60_000, 10, now::get, 256);
        view.run(Fixtures.run("a", "running"));
        view.metrics(Fixtures.metrics("a", 10, "default", 41)); // the live analysis, no density on this snapshot
        view.metrics(Fixtures.density("a", 10, "heavy", 41.5, NODES, WEIGHTS)); // the heavy view of the same step
        view.metrics(Fixtures.density("a", 20, "heavy", 44, NODES, WEIGHTS));
        RunsView.Run r = view.get("a").orElseThrow();
        List<RunsView.DensityStep> h = r.densities(Operator.HESSIAN);
        assertThat(h).extracting(RunsView.DensityStep::step).containsExactly(10L, 20L);
        assertThat(h.get(0).analysisId()).isEqualTo("heavy");
        assertThat(h.get(0).top()).isEqualTo(41.5);
        assertThat(h.get(0).curve()).hasSize(141);
        assertThat(h.get(0).time()).isCloseTo(0.4, within(1e-15));
        // the cumulative mass at each fixed edge, summed by hand: −0.5 (0.1) ≤ −0.1; 0.001 (0.3) ≤ 1e-3; 2 (0.4) ≤ 10; 40 (0.2) ≤ 100
        double[] expected = {0, 0, 0, 0, 0.1, 0.1, 0.1, 0.1, 0.4, 0.4, 0.4, 0.4, 0.8, 1.0, 1.0, 1.0};
        assertThat(RunsView.DENSITY_EDGES).hasSize(16);
        for (int i = 0; i < expected.length; i++) {
            assertThat(h.get(0).mass()[i]).as("≤ " + RunsView.DENSITY_EDGES[i]).isCloseTo(expected[i], within(1e-15));
        }
        assertThat(r.densities(Operator.GAUSS_NEWTON)).hasSize(2);
        assertThat(r.latestDensity(Operator.HESSIAN).orElseThrow().step()).isEqualTo(20);
        // a later record of a step replaces its density; the series keep the records without their densities
        view.metrics(Fixtures.density("a", 10, "again", 41.6, new double[] {1.0}, new double[] {1.0}));
        assertThat(r.densities(Operator.HESSIAN).get(0).analysisId()).isEqualTo("again");
        assertThat(r.densities(Operator.HESSIAN).get(0).mass()[11]).isEqualTo(1.0); // ≤ 1
        assertThat(r.metrics("heavy").orElseThrow().density(Operator.HESSIAN)).as("the latest record is whole").isNotNull();
        assertThat(r.analysisIds()).contains("default", "heavy", "again");
        assertThat(r.liveTop(10, Spectrum.HESSIAN)).isEqualTo(41.0);
        assertThat(r.liveTop(20, Spectrum.HESSIAN)).isNaN();
        // the traces: series of the analysis that computed them, and the newest traced record for the meters
        assertThat(view.series(r, SeriesMetric.of("trace_hessian"), "heavy", 0, Long.MAX_VALUE, 100))
                .extracting(ApiBodies.Point::value).containsExactly(12.3, 12.3);
        assertThat(view.series(r, SeriesMetric.of("trace_hessian_low"), "heavy", 0, Long.MAX_VALUE, 100).get(0).value()).isEqualTo(11.9);
        assertThat(view.series(r, SeriesMetric.of("trace_hessian_high"), "heavy", 0, Long.MAX_VALUE, 100).get(0).value()).isEqualTo(12.7);
        assertThat(view.series(r, SeriesMetric.of("trace_gauss_newton"), "heavy", 0, Long.MAX_VALUE, 100).get(0).value()).isEqualTo(10.1);
        assertThat(view.series(r, SeriesMetric.of("gauss_newton_share"), "heavy", 0, Long.MAX_VALUE, 100).get(0).value()).isEqualTo(0.82);
        assertThat(view.series(r, SeriesMetric.of("trace_hessian"), "default", 0, Long.MAX_VALUE, 100)).isEmpty();
        assertThat(r.traced().orElseThrow().step()).isEqualTo(20);
    }

    @Test
    void atMostMaxDensityStepsAreKeptTheOldestDroppedCountedAndLoggedOncePerBurst() throws Exception {
        RunsView view = new RunsView("default", 60_000, 10, now::get, 3);
        ListAppender<ILoggingEvent> log = RunsViewTest.capture(RunsView.class);
        for (int step = 0; step < 10; step++) {
            view.metrics(Fixtures.density("a", step * 10L, "default", 40 + step, NODES, WEIGHTS));
        }
        RunsView.Run r = view.get("a").orElseThrow();
        assertThat(r.densities(Operator.HESSIAN)).extracting(RunsView.DensityStep::step).containsExactly(70L, 80L, 90L);
        assertThat(r.densitiesDropped(Operator.HESSIAN)).isEqualTo(7);
        assertThat(r.densitiesDropped(Operator.GAUSS_NEWTON)).isEqualTo(7);
        assertThat(view.densityStepsDropped()).isEqualTo(14);
        assertThat(view.reportDensityDrops()).isEqualTo(14);
        assertThat(view.reportDensityDrops()).isZero();
        assertThat(log.list).filteredOn(e -> e.getLevel() == Level.INFO
                && e.getFormattedMessage().startsWith("dropped the spectral densities of 14 old step(s)")
                && e.getFormattedMessage().contains("--max-density-steps=3")).hasSize(1);
        // a step older than those kept is taken and dropped at once: the newest steps stay
        view.metrics(Fixtures.density("a", 5, "default", 40, NODES, WEIGHTS));
        assertThat(r.densities(Operator.HESSIAN)).extracting(RunsView.DensityStep::step).containsExactly(70L, 80L, 90L);
    }
}
