package io.eoscope.gateway;

import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.MetricsRecord.LayerField;
import io.eoscope.wire.MetricsRecord.Operator;
import io.eoscope.wire.MetricsRecord.Quantity;
import io.eoscope.wire.MetricsRecord.Spectrum;
import io.eoscope.wire.TelemetryRecord;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Per-run and per-layer gauges for Prometheus, read from the {@link RunsView} at scrape time (the live
 * analysis only). Bounded cardinality: {@code run} and {@code layer} are the only labels; a finished or
 * failed run's series go away after the grace period (counted from when the view last heard of it); at
 * most {@code maxRuns} runs have series (the most recently heard). A stale run keeps its series, with
 * {@code eos_run_stale} 1, so that its alert keeps firing until its trainer says it ended.
 *
 * <p>A run whose analyses computed a spectral density or a trace (any analysis id: a heavy view may run under one of its
 * own) also has, from the newest step that has one, {@code eos_spectral_density_bucket{run, operator, le}}: the spectral
 * mass at or below each of the fixed edges {@link RunsView#DENSITY_EDGES} and +Inf, cumulative as a histogram's buckets
 * but a fraction of the operator's eigenvalues in [0, 1] (so a gauge family with {@code le}, which Grafana's heatmap and
 * {@code histogram_quantile} read: the client's gauge histogram type counts whole observations, and a spectral mass is not
 * one); and {@code eos_trace}, {@code eos_trace_low}, {@code eos_trace_high} {@code {run, operator}} and
 * {@code eos_trace_gauss_newton_share{run}}.
 *
 * <p>The series are written straight from the view by one collector of the registry's Prometheus registry, one pass
 * per scrape, rather than held as a meter each: a thousand runs of two layers are 29,000 series, and a meter per series
 * made each scrape and each run's registration pay for every one of them.
 */
public final class GatewayMeters {
    /** Layer fields exported per layer, with their series names. */
    static final Map<LayerField, String> LAYER_FIELDS = layerFields();
    /** The series of a run, with their help texts and values; NaN where the run has no value yet. */
    static final List<RunSeries> RUN_SERIES_LIST = runSeries();
    /** Series one run has: {@value #RUN_SERIES} of the run, and {@code LAYER_FIELDS.size()} per layer. */
    public static final int RUN_SERIES = 15;
    /** Series of one operator's density: one per edge and +Inf ({@value}); a run has them for 𝓗 and G at most. */
    public static final int DENSITY_SERIES = RunsView.DENSITY_EDGES.length + 1;
    /** The most trace series of a run: value, low and high of 𝓗's and G's traces, and tr(G)/tr(𝓗). */
    public static final int TRACE_SERIES = 7;
    /** The {@code le} labels of the density's buckets, as Prometheus' clients write a histogram's. */
    static final List<String> DENSITY_LE = densityLe();
    private final RunsView view;
    private final long graceMillis;
    private final int maxRuns;
    /** The runs with series and their layer counts, as of the last {@link #refresh()}. */
    private volatile Map<String, Integer> exported = Map.of();
    private volatile int withoutSeries;

    /** One series of a run. */
    record RunSeries(String name, String help, ToDoubleFunction<RunsView.Run> value) {}

    public GatewayMeters(PrometheusMeterRegistry registry, RunsView view, long graceMillis, int maxRuns) {
        this.view = view;
        this.graceMillis = graceMillis;
        this.maxRuns = maxRuns;
        registry.getPrometheusRegistry().register(this::collect);
    }

    private static List<String> densityLe() {
        List<String> out = new ArrayList<>();
        for (double edge : RunsView.DENSITY_EDGES) {
            out.add(Double.toString(edge));
        }
        out.add("+Inf");
        return List.copyOf(out);
    }

    private static Map<LayerField, String> layerFields() {
        Map<LayerField, String> m = new EnumMap<>(LayerField.class);
        m.put(LayerField.GAUSS_NEWTON_TOP, "eos_layer_gauss_newton_top");
        m.put(LayerField.K_MAX_SQ_MEAN, "eos_layer_k_max_sq_mean");
        m.put(LayerField.PI_CHI, "eos_layer_pi_chi");
        m.put(LayerField.P_CHI_DELTA, "eos_layer_p_chi_delta");
        m.put(LayerField.PI_J, "eos_layer_pi_j");
        m.put(LayerField.P_DELTA_J, "eos_layer_p_delta_j");
        m.put(LayerField.DELTA_L_MAX_SQ_MEAN, "eos_layer_delta_l_max_sq_mean");
        return Map.copyOf(m);
    }

    private static List<RunSeries> runSeries() {
        List<RunSeries> out = new ArrayList<>();
        out.add(new RunSeries("eos_run_loss", "Training loss L̃(θ) at the latest step", r -> telemetry(r, TelemetryRecord.Step::loss)));
        out.add(new RunSeries("eos_run_accuracy", "Training accuracy at the latest step", r -> telemetry(r, TelemetryRecord.Step::accuracy)));
        out.add(new RunSeries("eos_run_step", "Latest training step", r -> telemetry(r, s -> s.step())));
        out.add(new RunSeries("eos_run_time", "Continuous time t of the gradient flow at the latest step",
                r -> telemetry(r, TelemetryRecord.Step::time)));
        out.add(new RunSeries("eos_run_sharpness", "Top Hessian eigenvalue (latest analysed snapshot)",
                r -> metric(r, m -> m.top(Spectrum.HESSIAN))));
        out.add(new RunSeries("eos_run_gauss_newton_top", "Top eigenvalue of the Gauss-Newton part G",
                r -> metric(r, m -> m.top(Spectrum.GAUSS_NEWTON))));
        out.add(new RunSeries("eos_run_residual_top", "Residual part H's eigenvalue of largest magnitude (signed)",
                r -> metric(r, m -> m.top(Spectrum.RESIDUAL))));
        out.add(new RunSeries("eos_run_two_over_eta", "2/η, GD's threshold at the run's step size (eos_run_stability_threshold is the"
                + " run's own optimizer's)", RunsView.Run::twoOverEta));
        out.add(new RunSeries("eos_run_stability", "The run's stability quantity (λmax(𝓗), λmax(P⁻¹𝓗) or the batch sharpness, as its"
                + " optimizer is judged: docs/science.md#other-optimizers), the analyzer's where it has one, else the trainer's",
                r -> r.stability().value()));
        out.add(new RunSeries("eos_run_stability_threshold", "The threshold of the run's own optimizer (2/η for GD, (2+2β)/η with"
                + " momentum, (2+2β1)/((1−β1)η) for Adam, …)", r -> r.stability().threshold()));
        out.add(new RunSeries("eos_run_stability_ratio", "The stability quantity ÷ its optimizer's threshold: 1 at the edge of"
                + " stability for every optimizer (η·sharpness/2 for GD)", r -> r.stability().ratio()));
        out.add(new RunSeries("eos_run_rho_k", "ρ(K) = λ_max(G)", r -> metric(r, m -> m.value(Quantity.RHO_K))));
        out.add(new RunSeries("eos_run_k_max_sq_mean", "E‖K‖²_max over the samples", r -> metric(r, m -> m.value(Quantity.K_MAX_SQ_MEAN))));
        out.add(new RunSeries("eos_run_analysis_lag_steps", "Steps the run's latest telemetry step is ahead of its latest analysed "
                + "snapshot (the live analysis): how far the analyzers are behind this run", GatewayMeters::analysisLagSteps));
        out.add(new RunSeries("eos_run_stale", "1 when the run says it is running but nothing was heard of it for longer than "
                + "--stale-seconds (its trainer died), else 0", r -> "stale".equals(r.status()) ? 1 : 0));
        return List.copyOf(out);
    }

    /** Chooses the runs that have series to match the view; called on each scrape of /metrics (nothing else calls it). */
    public synchronized void refresh() {
        long now = view.now();
        List<RunsView.Run> live = new ArrayList<>();
        for (RunsView.Run r : view.all()) {
            if (!(r.ended() && now - r.lastHeardMillis() > graceMillis)) {
                live.add(r);
            }
        }
        live.sort((a, b) -> Long.compare(b.lastHeardMillis(), a.lastHeardMillis()));
        List<RunsView.Run> kept = live.subList(0, Math.min(maxRuns, live.size()));
        Map<String, Integer> next = new LinkedHashMap<>();
        for (RunsView.Run r : kept) {
            next.put(r.name(), r.metrics().map(m -> m.layers().size()).orElse(0));
        }
        exported = next;
        withoutSeries = live.size() - kept.size();
    }

    /** The series of the runs chosen at the last {@link #refresh()}, with their values now. */
    private MetricSnapshots collect() {
        Map<String, Integer> runs = exported;
        Map<String, RunsView.Run> current = new HashMap<>();
        for (String name : runs.keySet()) {
            view.get(name).ifPresent(r -> current.put(name, r));
        }
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        if (runs.isEmpty()) {
            return out.build();
        }
        for (RunSeries series : RUN_SERIES_LIST) {
            GaugeSnapshot.Builder g = GaugeSnapshot.builder().name(series.name()).help(series.help());
            for (String name : runs.keySet()) {
                RunsView.Run r = current.get(name);
                g.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.of("run", name))
                        .value(r == null ? Double.NaN : series.value().applyAsDouble(r)).build());
            }
            out.metricSnapshot(g.build());
        }
        for (Map.Entry<LayerField, String> f : LAYER_FIELDS.entrySet()) {
            GaugeSnapshot.Builder g = GaugeSnapshot.builder().name(f.getValue())
                    .help("Layer " + f.getKey().wire() + " of docs/science.md#layerwise-alignment (latest analysed snapshot)");
            boolean any = false;
            for (Map.Entry<String, Integer> run : runs.entrySet()) {
                RunsView.Run r = current.get(run.getKey());
                for (int l = 1; l <= run.getValue(); l++) {
                    int layer = l;
                    double v = r == null ? Double.NaN : r.metrics().map(m -> m.layer(layer, f.getKey())).orElse(Double.NaN);
                    g.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                            .labels(Labels.of("layer", Integer.toString(l), "run", run.getKey())).value(v).build());
                    any = true;
                }
            }
            if (any) {
                out.metricSnapshot(g.build());
            }
        }
        density(out, runs.keySet(), current);
        traces(out, runs.keySet(), current);
        return out.build();
    }

    /** The spectral density buckets of each run's newest density, per operator. */
    private static void density(MetricSnapshots.Builder out, Iterable<String> runs, Map<String, RunsView.Run> current) {
        GaugeSnapshot.Builder g = GaugeSnapshot.builder().name("eos_spectral_density_bucket")
                .help("Spectral mass of the operator (the fraction of its eigenvalues, by stochastic Lanczos quadrature) at or below le,"
                        + " at the newest step with a density: cumulative buckets with fixed edges (docs/contracts.md#prometheus)");
        boolean any = false;
        for (String name : runs) {
            RunsView.Run r = current.get(name);
            if (r == null) {
                continue;
            }
            for (Operator op : Operator.values()) {
                RunsView.DensityStep d = r.latestDensity(op).orElse(null);
                if (d == null) {
                    continue;
                }
                for (int i = 0; i < DENSITY_SERIES; i++) {
                    double mass = i < d.mass().length ? d.mass()[i] : 1.0; // +Inf holds every eigenvalue
                    g.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                            .labels(Labels.of("le", DENSITY_LE.get(i), "operator", op.wire(), "run", name)).value(mass).build());
                }
                any = true;
            }
        }
        if (any) {
            out.metricSnapshot(g.build());
        }
    }

    /** The traces of each run's newest record with a trace. */
    private static void traces(MetricSnapshots.Builder out, Iterable<String> runs, Map<String, RunsView.Run> current) {
        GaugeSnapshot.Builder value = GaugeSnapshot.builder().name("eos_trace")
                .help("Trace of the operator at the newest step with one: tr(𝓗) by Hutch++, tr(G) exactly for MLPs");
        GaugeSnapshot.Builder low = GaugeSnapshot.builder().name("eos_trace_low")
                .help("Lower end of the trace's interval (its stated coverage, 95% by default; the value itself when exact)");
        GaugeSnapshot.Builder high = GaugeSnapshot.builder().name("eos_trace_high").help("Upper end of the trace's interval");
        GaugeSnapshot.Builder share = GaugeSnapshot.builder().name("eos_trace_gauss_newton_share")
                .help("tr(G)/tr(𝓗) at the newest step with a trace");
        boolean any = false;
        boolean anyShare = false;
        for (String name : runs) {
            RunsView.Run r = current.get(name);
            MetricsRecord m = r == null ? null : r.traced().orElse(null);
            if (m == null) {
                continue;
            }
            for (Operator op : Operator.values()) {
                MetricsRecord.Trace.Estimate e = m.trace().estimate(op);
                if (e == null) {
                    continue;
                }
                Labels labels = Labels.of("operator", op.wire(), "run", name);
                value.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(e.value()).build());
                low.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(e.low()).build());
                high.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(e.high()).build());
                any = true;
            }
            if (!Double.isNaN(m.trace().gaussNewtonShare())) {
                share.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.of("run", name))
                        .value(m.trace().gaussNewtonShare()).build());
                anyShare = true;
            }
        }
        if (any) {
            out.metricSnapshot(value.build());
            out.metricSnapshot(low.build());
            out.metricSnapshot(high.build());
        }
        if (anyShare) {
            out.metricSnapshot(share.build());
        }
    }

    /** Runs with series, as of the last {@link #refresh()}. */
    public int seriesRuns() {
        return exported.size();
    }

    /** Live runs of the view left without series by {@code --max-runs}, as of the last {@link #refresh()}. */
    public int runsWithoutSeries() {
        return withoutSeries;
    }

    private static double analysisLagSteps(RunsView.Run r) {
        if (r.metrics().isEmpty() || r.telemetry().isEmpty()) {
            return Double.NaN;
        }
        return Math.max(0, r.telemetry().get().step() - r.metrics().get().step());
    }

    private static double telemetry(RunsView.Run r, ToDoubleFunction<TelemetryRecord.Step> f) {
        return r.telemetry().map(f::applyAsDouble).orElse(Double.NaN);
    }

    private static double metric(RunsView.Run r, ToDoubleFunction<MetricsRecord> f) {
        return r.metrics().map(f::applyAsDouble).orElse(Double.NaN);
    }
}
