package io.eoscope.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.RunRecord;
import io.eoscope.wire.TelemetryRecord;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/** Prometheus series per run and layer; bounded cardinality: finished runs go after the grace period, a cap holds. */
class GatewayMetersTest {

    static void feed(RunsView view, String run, boolean finished) throws Exception {
        view.run(RunRecord.parse(run, JsonParser.parseString("{\"solver\":\"gd\",\"learningRate\":0.04,\"n\":64,\"status\":\""
                + (finished ? "finished" : "running") + "\"}").getAsJsonObject()));
        view.telemetry(TelemetryRecord.parse(JsonParser.parseString("{\"run\":\"" + run + "\",\"step\":10,\"time\":0.4,\"loss\":0.5,"
                + "\"accuracy\":0.75,\"step_size\":0.04,\"sharpness\":45.0,\"products\":3}").getAsJsonObject()));
        view.metrics(MetricsRecord.parse(JsonParser.parseString("{\"run\":\"" + run + "\",\"step\":10,\"time\":0.4,\"loss\":0.5,"
                + "\"analysis_id\":\"default\","
                + "\"hessian\":{\"eigenvalues\":[45.0]},\"gauss_newton\":{\"eigenvalues\":[44.0]},"
                + "\"residual\":{\"eigenvalues\":[-2.0]},\"rho_K\":44.0,\"K_max_sq_mean\":60.0,\"layers\":["
                + "{\"layer\":1,\"gauss_newton_top\":30,\"K_max_sq_mean\":40,\"pi_chi\":1.5,\"p_chi_delta\":0.9,\"pi_J\":20,"
                + "\"p_delta_J\":0.4,\"delta_L_max_sq_mean\":2},"
                + "{\"layer\":2,\"gauss_newton_top\":10,\"K_max_sq_mean\":12,\"pi_chi\":3,\"p_chi_delta\":1,\"pi_J\":1,"
                + "\"p_delta_J\":1,\"delta_L_max_sq_mean\":2}]}").getAsJsonObject()));
    }

    @Test
    void everyRunAndLayerHasItsSeriesWithRunAndLayerLabelsOnly() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RunsView view = new RunsView();
        GatewayMeters meters = new GatewayMeters(registry, view, 60_000, 10);
        feed(view, "a", false);
        meters.refresh();
        String scrape = registry.scrape();
        assertThat(scrape).contains("eos_run_loss{run=\"a\"} 0.5", "eos_run_sharpness{run=\"a\"} 45.0",
                "eos_run_two_over_eta{run=\"a\"} 50.0", "eos_run_stability_ratio{run=\"a\"} 0.9",
                "eos_run_gauss_newton_top{run=\"a\"} 44.0", "eos_run_residual_top{run=\"a\"} -2.0",
                "eos_run_rho_k{run=\"a\"} 44.0", "eos_run_k_max_sq_mean{run=\"a\"} 60.0",
                "eos_layer_p_delta_j{layer=\"1\",run=\"a\"} 0.4", "eos_layer_gauss_newton_top{layer=\"2\",run=\"a\"} 10.0",
                "# HELP eos_run_loss");
        for (String line : scrape.lines().filter(l -> l.startsWith("eos_")).toList()) {
            assertThat(line).matches("eos_[a-z_]+\\{(layer=\"[0-9]+\",)?run=\"a\"\\} .*");
        }
        // the documented budget: RUN_SERIES per run and seven per layer (two layers here)
        assertThat(scrape.lines().filter(l -> l.startsWith("eos_")).count())
                .isEqualTo(GatewayMeters.RUN_SERIES + 2L * GatewayMeters.LAYER_FIELDS.size());
        assertThat(scrape).contains("eos_run_analysis_lag_steps{run=\"a\"} 0.0");
        // telemetry ahead of the latest analysed snapshot: the run's analysis lag in steps
        view.telemetry(TelemetryRecord.parse(JsonParser.parseString("{\"run\":\"a\",\"step\":25,\"time\":1.0,\"loss\":0.4,"
                + "\"accuracy\":0.75,\"step_size\":0.04,\"products\":3}").getAsJsonObject()));
        assertThat(registry.scrape()).contains("eos_run_analysis_lag_steps{run=\"a\"} 15.0");
        assertThat(meters.seriesRuns()).isEqualTo(1);
        assertThat(meters.runsWithoutSeries()).isZero();
    }

    /** The scrape's samples: series (name and labels as written) → value. */
    static java.util.Map<String, Double> samples(String scrape) {
        java.util.Map<String, Double> out = new java.util.LinkedHashMap<>();
        for (String line : scrape.lines().filter(l -> l.startsWith("eos_")).toList()) {
            int space = line.lastIndexOf(' ');
            out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return out;
    }

    /**
     * A heavy analysis' density and traces: 𝓗's cumulative spectral mass at the fixed edges (summed by hand from the
     * nodes and weights), G's, the traces with their intervals; counted in the run's series budget.
     */
    @Test
    void theDensityIsCumulativeBucketsWithFixedEdgesAndTheTracesAreGauges() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RunsView view = new RunsView();
        GatewayMeters meters = new GatewayMeters(registry, view, 60_000, 10);
        feed(view, "a", false);
        // −0.5 (0.1), 0.001 (0.3), 2 (0.4), 40 (0.2)
        view.metrics(Fixtures.density("a", 10, "heavy", 45.5, new double[] {-0.5, 0.001, 2.0, 40.0}, new double[] {0.1, 0.3, 0.4, 0.2}));
        meters.refresh();
        String scrape = registry.scrape();
        assertThat(scrape).contains("# TYPE eos_spectral_density_bucket gauge", "# TYPE eos_trace gauge");
        java.util.Map<String, Double> v = samples(scrape);
        String[] le = {"-1000.0", "-100.0", "-10.0", "-1.0", "-0.1", "-0.01", "-0.001", "0.0", "0.001", "0.01", "0.1", "1.0", "10.0",
            "100.0", "1000.0", "10000.0", "+Inf"};
        double[] mass = {0, 0, 0, 0, 0.1, 0.1, 0.1, 0.1, 0.4, 0.4, 0.4, 0.4, 0.8, 1, 1, 1, 1};
        for (int i = 0; i < le.length; i++) {
            assertThat(v.get("eos_spectral_density_bucket{le=\"" + le[i] + "\",operator=\"hessian\",run=\"a\"}")).as("le " + le[i])
                    .isCloseTo(mass[i], org.assertj.core.data.Offset.offset(1e-15));
        }
        // G's two nodes: 0 (0.75) and 39 (0.25)
        assertThat(v.get("eos_spectral_density_bucket{le=\"-0.001\",operator=\"gauss_newton\",run=\"a\"}")).isEqualTo(0.0);
        assertThat(v.get("eos_spectral_density_bucket{le=\"0.0\",operator=\"gauss_newton\",run=\"a\"}")).isEqualTo(0.75);
        assertThat(v.get("eos_spectral_density_bucket{le=\"10.0\",operator=\"gauss_newton\",run=\"a\"}")).isEqualTo(0.75);
        assertThat(v.get("eos_spectral_density_bucket{le=\"100.0\",operator=\"gauss_newton\",run=\"a\"}")).isEqualTo(1.0);
        assertThat(v.get("eos_trace{operator=\"hessian\",run=\"a\"}")).isEqualTo(12.3);
        assertThat(v.get("eos_trace_low{operator=\"hessian\",run=\"a\"}")).isEqualTo(11.9);
        assertThat(v.get("eos_trace_high{operator=\"hessian\",run=\"a\"}")).isEqualTo(12.7);
        assertThat(v.get("eos_trace{operator=\"gauss_newton\",run=\"a\"}")).isEqualTo(10.1);
        assertThat(v.get("eos_trace_low{operator=\"gauss_newton\",run=\"a\"}")).isEqualTo(10.1);
        assertThat(v.get("eos_trace_gauss_newton_share{run=\"a\"}")).isEqualTo(0.82);
        // the documented budget: the run's, its two layers', two operators' densities and the seven trace series
        assertThat(v).hasSize(GatewayMeters.RUN_SERIES + 2 * GatewayMeters.LAYER_FIELDS.size() + 2 * GatewayMeters.DENSITY_SERIES
                + GatewayMeters.TRACE_SERIES);
        assertThat(GatewayMeters.DENSITY_SERIES).isEqualTo(17);
        // a newer density replaces the buckets; a run without any has none
        view.metrics(Fixtures.density("a", 20, "heavy", 45.5, new double[] {5.0}, new double[] {1.0}));
        feed(view, "b", false);
        meters.refresh();
        v = samples(registry.scrape());
        assertThat(v.get("eos_spectral_density_bucket{le=\"1.0\",operator=\"hessian\",run=\"a\"}")).isEqualTo(0.0);
        assertThat(v.get("eos_spectral_density_bucket{le=\"10.0\",operator=\"hessian\",run=\"a\"}")).isEqualTo(1.0);
        assertThat(v.keySet()).filteredOn(k -> k.contains("run=\"b\"") && (k.startsWith("eos_spectral") || k.startsWith("eos_trace")))
                .isEmpty();
    }

    @Test
    void finishedRunsLeaveAfterTheGracePeriodAndTheCapHolds() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        long[] now = {1_000};
        RunsView view = new RunsView(RunsView.DEFAULT_ANALYSIS, 60_000, 1000, () -> now[0]);
        GatewayMeters meters = new GatewayMeters(registry, view, 0, 2);
        feed(view, "done", true);
        now[0]++;
        feed(view, "r1", false);
        now[0]++;
        feed(view, "r2", false);
        now[0]++;
        feed(view, "r3", false);
        now[0]++; // the finished run last heard 4 ms ago: past its grace of 0
        meters.refresh();
        String scrape = registry.scrape();
        assertThat(scrape).doesNotContain("run=\"done\"");
        assertThat(scrape.lines().filter(l -> l.startsWith("eos_run_loss{")).count()).isEqualTo(2);
        assertThat(meters.seriesRuns()).isEqualTo(2);
        assertThat(meters.runsWithoutSeries()).isEqualTo(1); // r1..r3 live, two kept; the finished one is past its grace
        view.remove("r3");
        view.remove("r2");
        meters.refresh();
        assertThat(registry.scrape()).contains("run=\"r1\"").doesNotContain("run=\"r2\"").doesNotContain("run=\"r3\"");
    }

    @Test
    void seriesAreDownSampledAndBounded() throws Exception {
        RunsView view = new RunsView();
        view.run(RunRecord.parse("s", JsonParser.parseString("{\"status\":\"running\"}").getAsJsonObject()));
        for (int step = 0; step < RunsView.MAX_POINTS + 5000; step++) {
            view.telemetry(TelemetryRecord.parse(JsonParser.parseString("{\"run\":\"s\",\"step\":" + step + ",\"time\":" + step * 0.1
                    + ",\"loss\":" + (1.0 / (1 + step)) + ",\"accuracy\":0.5,\"step_size\":0.1,\"products\":0}").getAsJsonObject()));
        }
        RunsView.Run run = view.get("s").orElseThrow();
        var all = view.series(run, "loss", 0, Long.MAX_VALUE, 100_000);
        assertThat(all.size()).isLessThanOrEqualTo(RunsView.MAX_POINTS);
        assertThat(all.get(all.size() - 1).step()).isEqualTo(RunsView.MAX_POINTS + 4999);
        var few = view.series(run, "loss", 100, 200, 10);
        assertThat(few.size()).isLessThanOrEqualTo(11);
        assertThat(few.get(0).step()).isGreaterThanOrEqualTo(100);
        assertThat(view.series(run, "layer1.p_delta_J", 0, 10, 10)).isEmpty();
    }
}
