package io.eoscope.gateway;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * Per-run and per-layer gauges for Prometheus, read from the {@link RunsView} at scrape time. Bounded
 * cardinality: {@code run} and {@code layer} are the only tags; a finished run's series go away after
 * the grace period; at most {@code maxRuns} runs have series (the most recently updated).
 */
public final class GatewayMeters {
    /** Layer fields exported per layer, with their meter names. */
    static final Map<String, String> LAYER_FIELDS = Map.of(
            "gauss_newton_top", "eos.layer.gauss.newton.top",
            "K_max_sq_mean", "eos.layer.k.max.sq.mean",
            "pi_chi", "eos.layer.pi.chi",
            "p_chi_delta", "eos.layer.p.chi.delta",
            "pi_J", "eos.layer.pi.j",
            "p_delta_J", "eos.layer.p.delta.j",
            "delta_L_max_sq_mean", "eos.layer.delta.l.max.sq.mean");
    private final MeterRegistry registry;
    private final RunsView view;
    private final long graceMillis;
    private final int maxRuns;
    private final Map<String, List<Meter>> meters = new ConcurrentHashMap<>();

    public GatewayMeters(MeterRegistry registry, RunsView view, long graceMillis, int maxRuns) {
        this.registry = registry;
        this.view = view;
        this.graceMillis = graceMillis;
        this.maxRuns = maxRuns;
    }

    /** Registers and retires series to match the view (call before each scrape, and periodically). */
    public synchronized void refresh() {
        long now = System.currentTimeMillis();
        List<RunsView.Run> live = new ArrayList<>();
        for (RunsView.Run r : view.all()) {
            if (!(r.finished() && now - r.lastUpdateMillis() > graceMillis)) {
                live.add(r);
            }
        }
        live.sort((a, b) -> Long.compare(b.lastUpdateMillis(), a.lastUpdateMillis()));
        List<RunsView.Run> kept = live.subList(0, Math.min(maxRuns, live.size()));
        List<String> keptNames = kept.stream().map(RunsView.Run::name).toList();
        for (String run : new ArrayList<>(meters.keySet())) {
            if (!keptNames.contains(run)) {
                meters.remove(run).forEach(registry::remove);
            }
        }
        for (RunsView.Run r : kept) {
            int layers = r.metrics().map(m -> m.has("layers") ? m.getAsJsonArray("layers").size() : 0).orElse(0);
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

    private List<Meter> register(String run, int layers) {
        List<Meter> out = new ArrayList<>();
        out.add(run(run, "eos.run.loss", "Training loss L̃(θ) at the latest step", t -> telemetry(t, "loss"), null));
        out.add(run(run, "eos.run.accuracy", "Training accuracy at the latest step", t -> telemetry(t, "accuracy"), null));
        out.add(run(run, "eos.run.step", "Latest training step", t -> telemetry(t, "step"), null));
        out.add(run(run, "eos.run.time", "Continuous time t of the gradient flow at the latest step", t -> telemetry(t, "time"), null));
        out.add(run(run, "eos.run.sharpness", "Top Hessian eigenvalue (latest analysed snapshot)", r -> metric(r, "hessian"), null));
        out.add(run(run, "eos.run.gauss.newton.top", "Top eigenvalue of the Gauss-Newton part G", r -> metric(r, "gauss_newton"), null));
        out.add(run(run, "eos.run.residual.top", "Residual part H's eigenvalue of largest magnitude (signed)", r -> metric(r, "residual"), null));
        out.add(run(run, "eos.run.two.over.eta", "2/η, the edge of stability of the run's step size", RunsView.Run::twoOverEta, null));
        out.add(run(run, "eos.run.stability.ratio", "η·sharpness/2: 1 at the edge of stability",
                r -> metric(r, "hessian") / r.twoOverEta(), null));
        out.add(run(run, "eos.run.rho.k", "ρ(K) = λ_max(G)", r -> metric(r, "rho_K"), null));
        out.add(run(run, "eos.run.k.max.sq.mean", "E‖K‖²_max over the samples", r -> metric(r, "K_max_sq_mean"), null));
        for (int l = 1; l <= layers; l++) {
            for (Map.Entry<String, String> f : LAYER_FIELDS.entrySet()) {
                String field = "layer" + l + "." + f.getKey();
                out.add(Gauge.builder(f.getValue(), view, v -> v.get(run).flatMap(RunsView.Run::metrics)
                        .map(m -> orNaN(RunsView.value(m, field))).orElse(Double.NaN))
                        .description("Layer " + f.getKey() + " of SCIENCE.md section 6 (latest analysed snapshot)")
                        .tags("run", run, "layer", Integer.toString(l)).register(registry));
            }
        }
        return out;
    }

    private Meter run(String run, String name, String description, ToDoubleFunction<RunsView.Run> f, String unit) {
        Gauge.Builder<RunsView> b = Gauge.builder(name, view, v -> v.get(run).map(f::applyAsDouble).orElse(Double.NaN))
                .description(description).tag("run", run);
        if (unit != null) {
            b.baseUnit(unit);
        }
        return b.register(registry);
    }

    private static double telemetry(RunsView.Run r, String field) {
        return r.telemetry().map(t -> orNaN(RunsView.value(t, field))).orElse(Double.NaN);
    }

    private static double metric(RunsView.Run r, String field) {
        return r.metrics().map(m -> orNaN(RunsView.value(m, field))).orElse(Double.NaN);
    }

    private static double orNaN(Double d) {
        return d == null ? Double.NaN : d;
    }
}
