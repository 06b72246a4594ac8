package io.eoscope.gateway;

import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.MetricsRecord.LayerField;
import io.eoscope.wire.MetricsRecord.Quantity;
import io.eoscope.wire.MetricsRecord.Spectrum;
import io.eoscope.wire.TelemetryRecord;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * Per-run and per-layer gauges for Prometheus, read from the {@link RunsView} at scrape time (the live
 * analysis only). Bounded cardinality: {@code run} and {@code layer} are the only tags; a finished or
 * failed run's series go away after the grace period (counted from when the view last heard of it); at
 * most {@code maxRuns} runs have series (the most recently heard). A stale run keeps its series, with
 * {@code eos_run_stale} 1, so that its alert keeps firing until its trainer says it ended.
 */
public final class GatewayMeters {
    /** Layer fields exported per layer, with their meter names. */
    static final Map<LayerField, String> LAYER_FIELDS = layerFields();
    private final MeterRegistry registry;
    private final RunsView view;
    private final long graceMillis;
    private final int maxRuns;
    private final Map<String, List<Meter>> meters = new ConcurrentHashMap<>();
    private volatile int withoutSeries;

    public GatewayMeters(MeterRegistry registry, RunsView view, long graceMillis, int maxRuns) {
        this.registry = registry;
        this.view = view;
        this.graceMillis = graceMillis;
        this.maxRuns = maxRuns;
    }

    private static Map<LayerField, String> layerFields() {
        Map<LayerField, String> m = new EnumMap<>(LayerField.class);
        m.put(LayerField.GAUSS_NEWTON_TOP, "eos.layer.gauss.newton.top");
        m.put(LayerField.K_MAX_SQ_MEAN, "eos.layer.k.max.sq.mean");
        m.put(LayerField.PI_CHI, "eos.layer.pi.chi");
        m.put(LayerField.P_CHI_DELTA, "eos.layer.p.chi.delta");
        m.put(LayerField.PI_J, "eos.layer.pi.j");
        m.put(LayerField.P_DELTA_J, "eos.layer.p.delta.j");
        m.put(LayerField.DELTA_L_MAX_SQ_MEAN, "eos.layer.delta.l.max.sq.mean");
        return Map.copyOf(m);
    }

    /** Registers and retires series to match the view; called on each scrape of /metrics (nothing else calls it). */
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
        withoutSeries = live.size() - kept.size();
        java.util.Set<String> keptNames = new java.util.HashSet<>();
        kept.forEach(r -> keptNames.add(r.name()));
        for (String run : new ArrayList<>(meters.keySet())) {
            if (!keptNames.contains(run)) {
                meters.remove(run).forEach(registry::remove);
            }
        }
        for (RunsView.Run r : kept) {
            int layers = r.metrics().map(m -> m.layers().size()).orElse(0);
            List<Meter> existing = meters.get(r.name());
            int registeredLayers = existing == null ? -1 : (int) existing.stream().filter(m -> m.getId().getTag("layer") != null).count()
                    / LAYER_FIELDS.size();
            if (existing == null || registeredLayers != layers) {
                if (existing != null) {
                    existing.forEach(registry::remove);
                }
                meters.put(r.name(), register(r.name(), layers));
            }
        }
    }

    /** Runs with series, as of the last {@link #refresh()}. */
    public int seriesRuns() {
        return meters.size();
    }

    /** Live runs of the view left without series by {@code --max-runs}, as of the last {@link #refresh()}. */
    public int runsWithoutSeries() {
        return withoutSeries;
    }

    /** Series one run has: {@value #RUN_SERIES} of the run, and {@code LAYER_FIELDS.size()} per layer. */
    public static final int RUN_SERIES = 15;

    private List<Meter> register(String run, int layers) {
        List<Meter> out = new ArrayList<>();
        out.add(run(run, "eos.run.loss", "Training loss L̃(θ) at the latest step", r -> telemetry(r, TelemetryRecord.Step::loss)));
        out.add(run(run, "eos.run.accuracy", "Training accuracy at the latest step", r -> telemetry(r, TelemetryRecord.Step::accuracy)));
        out.add(run(run, "eos.run.step", "Latest training step", r -> telemetry(r, s -> s.step())));
        out.add(run(run, "eos.run.time", "Continuous time t of the gradient flow at the latest step", r -> telemetry(r, TelemetryRecord.Step::time)));
        out.add(run(run, "eos.run.sharpness", "Top Hessian eigenvalue (latest analysed snapshot)", r -> metric(r, m -> m.top(Spectrum.HESSIAN))));
        out.add(run(run, "eos.run.gauss.newton.top", "Top eigenvalue of the Gauss-Newton part G",
                r -> metric(r, m -> m.top(Spectrum.GAUSS_NEWTON))));
        out.add(run(run, "eos.run.residual.top", "Residual part H's eigenvalue of largest magnitude (signed)",
                r -> metric(r, m -> m.top(Spectrum.RESIDUAL))));
        out.add(run(run, "eos.run.two.over.eta", "2/η, GD's threshold at the run's step size (eos_run_stability_threshold is the"
                + " run's own optimizer's)", RunsView.Run::twoOverEta));
        out.add(run(run, "eos.run.stability", "The run's stability quantity (λmax(𝓗), λmax(P⁻¹𝓗) or the batch sharpness, as its"
                + " optimizer is judged: docs/science.md#other-optimizers), the analyzer's where it has one, else the trainer's",
                r -> r.stability().value()));
        out.add(run(run, "eos.run.stability.threshold", "The threshold of the run's own optimizer (2/η for GD, (2+2β)/η with"
                + " momentum, (2+2β1)/((1−β1)η) for Adam, …)", r -> r.stability().threshold()));
        out.add(run(run, "eos.run.stability.ratio", "The stability quantity ÷ its optimizer's threshold: 1 at the edge of"
                + " stability for every optimizer (η·sharpness/2 for GD)", r -> r.stability().ratio()));
        out.add(run(run, "eos.run.rho.k", "ρ(K) = λ_max(G)", r -> metric(r, m -> m.value(Quantity.RHO_K))));
        out.add(run(run, "eos.run.k.max.sq.mean", "E‖K‖²_max over the samples", r -> metric(r, m -> m.value(Quantity.K_MAX_SQ_MEAN))));
        out.add(run(run, "eos.run.analysis.lag.steps", "Steps the run's latest telemetry step is ahead of its latest analysed snapshot "
                + "(the live analysis): how far the analyzers are behind this run", GatewayMeters::analysisLagSteps));
        out.add(run(run, "eos.run.stale", "1 when the run says it is running but nothing was heard of it for longer than "
                + "--stale-seconds (its trainer died), else 0", r -> "stale".equals(r.status()) ? 1 : 0));
        for (int l = 1; l <= layers; l++) {
            int layer = l;
            for (Map.Entry<LayerField, String> f : LAYER_FIELDS.entrySet()) {
                out.add(Gauge.builder(f.getValue(), view, v -> v.get(run).flatMap(RunsView.Run::metrics)
                        .map(m -> m.layer(layer, f.getKey())).orElse(Double.NaN))
                        .description("Layer " + f.getKey().wire() + " of docs/science.md#layerwise-alignment (latest analysed snapshot)")
                        .tags("run", run, "layer", Integer.toString(l)).register(registry));
            }
        }
        return out;
    }

    private Meter run(String run, String name, String description, ToDoubleFunction<RunsView.Run> f) {
        return Gauge.builder(name, view, v -> v.get(run).map(f::applyAsDouble).orElse(Double.NaN))
                .description(description).tag("run", run).register(registry);
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
