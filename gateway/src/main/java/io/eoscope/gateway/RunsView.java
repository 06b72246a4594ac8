package io.eoscope.gateway;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The gateway's view of every run, rebuilt from the {@code runs}, {@code telemetry} and {@code metrics}
 * topics (the gateway keeps no state of its own). Series are kept per step and thinned to at most
 * {@link #MAX_POINTS} points per run by dropping every other older point, so memory stays bounded.
 * Thread-safe: one writer (the consumer), many readers (HTTP handlers).
 */
public final class RunsView {
    /** Most points kept per run and source. */
    public static final int MAX_POINTS = 20_000;
    private final Map<String, Run> runs = new ConcurrentHashMap<>();
    private final List<Consumer<Update>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** One new record for a run: {@code kind} is {@code telemetry}, {@code metrics} or {@code run}. */
    public record Update(String run, String kind, JsonObject value) {}

    /** A run's state. */
    public static final class Run {
        final String name;
        volatile JsonObject config = new JsonObject();
        volatile JsonObject telemetry;
        volatile JsonObject metrics;
        volatile long lastUpdateMillis = System.currentTimeMillis();
        final TreeMap<Long, JsonObject> telemetrySeries = new TreeMap<>();
        final TreeMap<Long, JsonObject> metricsSeries = new TreeMap<>();

        Run(String name) {
            this.name = name;
        }

        public String name() {
            return name;
        }

        public JsonObject config() {
            return config;
        }

        public Optional<JsonObject> telemetry() {
            return Optional.ofNullable(telemetry);
        }

        public Optional<JsonObject> metrics() {
            return Optional.ofNullable(metrics);
        }

        /** Whether the trainer has said the run is over. */
        public boolean finished() {
            return config.has("status") && "finished".equals(config.get("status").getAsString());
        }

        public long lastUpdateMillis() {
            return lastUpdateMillis;
        }

        /** 2/η of a GD run (from its configuration), or NaN. */
        public double twoOverEta() {
            if (config.has("solver") && config.get("solver").getAsString().equals("gd") && config.has("learningRate")) {
                return 2 / config.get("learningRate").getAsDouble();
            }
            JsonObject t = telemetry;
            return t != null && t.has("step_size") ? 2 / t.get("step_size").getAsDouble() : Double.NaN;
        }
    }

    /** Applies a record from the {@code runs} topic. */
    public void run(String run, JsonObject config) {
        Run r = runs.computeIfAbsent(run, Run::new);
        r.config = config;
        r.lastUpdateMillis = System.currentTimeMillis();
        notify(new Update(run, "run", config));
    }

    /** Applies a record from the {@code telemetry} topic. */
    public void telemetry(JsonObject t) {
        record(t, "telemetry");
    }

    /** Applies a record from the {@code metrics} topic (the latest analysis of each step wins). */
    public void metrics(JsonObject m) {
        record(m, "metrics");
    }

    private void record(JsonObject value, String kind) {
        String run = value.get("run").getAsString();
        long step = value.get("step").getAsLong();
        Run r = runs.computeIfAbsent(run, Run::new);
        boolean telemetry = kind.equals("telemetry");
        synchronized (r) {
            TreeMap<Long, JsonObject> series = telemetry ? r.telemetrySeries : r.metricsSeries;
            series.put(step, value);
            thin(series);
            JsonObject latest = telemetry ? r.telemetry : r.metrics;
            if (latest == null || step >= latest.get("step").getAsLong()) {
                if (telemetry) {
                    r.telemetry = value;
                } else {
                    r.metrics = value;
                }
            }
        }
        r.lastUpdateMillis = System.currentTimeMillis();
        notify(new Update(run, kind, value));
    }

    private static void thin(TreeMap<Long, JsonObject> series) {
        if (series.size() <= MAX_POINTS) {
            return;
        }
        boolean drop = false;
        List<Long> keys = new ArrayList<>(series.headMap(series.lastKey()).keySet());
        for (Long k : keys) {
            if (drop) {
                series.remove(k);
            }
            drop = !drop;
        }
    }

    public Optional<Run> get(String run) {
        return Optional.ofNullable(runs.get(run));
    }

    public Collection<Run> all() {
        return runs.values();
    }

    /** Forgets a run (its series and meters go). */
    public void remove(String run) {
        runs.remove(run);
    }

    /** Registers a listener of every update (SSE streams, meters). */
    public void listen(Consumer<Update> listener) {
        listeners.add(listener);
    }

    public void unlisten(Consumer<Update> listener) {
        listeners.remove(listener);
    }

    private void notify(Update u) {
        for (Consumer<Update> l : listeners) {
            l.accept(u);
        }
    }

    /**
     * The series of {@code metric} for a run over steps [from, to], thinned to at most {@code maxPoints}:
     * rows [step, time, value]. Metric names: telemetry fields ({@code loss}, {@code accuracy},
     * {@code step_size}, {@code sharpness}); analysis fields ({@code rho_K}, {@code K_max_sq_mean},
     * {@code hessian}, {@code gauss_newton}, {@code residual} for the top eigenvalue); layer fields as
     * {@code layerL.FIELD} (for example {@code layer1.p_delta_J}).
     */
    public JsonArray series(Run r, String metric, long from, long to, int maxPoints) {
        boolean telemetryMetric = List.of("loss", "accuracy", "step_size", "sharpness").contains(metric);
        List<JsonArray> rows = new ArrayList<>();
        synchronized (r) {
            Map<Long, JsonObject> source = (telemetryMetric ? r.telemetrySeries : r.metricsSeries).subMap(from, true, to, true);
            for (Map.Entry<Long, JsonObject> e : source.entrySet()) {
                Double v = value(e.getValue(), metric);
                if (v != null && Double.isFinite(v)) {
                    JsonArray row = new JsonArray();
                    row.add(e.getKey());
                    row.add(e.getValue().has("time") ? e.getValue().get("time").getAsDouble() : Double.NaN);
                    row.add(v);
                    rows.add(row);
                }
            }
        }
        JsonArray out = new JsonArray();
        double stride = Math.max(1.0, rows.size() / (double) maxPoints);
        for (double i = 0; i < rows.size(); i += stride) {
            out.add(rows.get((int) i));
        }
        if (!rows.isEmpty() && (out.isEmpty() || out.get(out.size() - 1) != rows.get(rows.size() - 1))) {
            if (out.size() >= maxPoints && !out.isEmpty()) {
                out.remove(out.size() - 1);
            }
            out.add(rows.get(rows.size() - 1)); // always end at the newest point
        }
        return out;
    }

    /** A named value of a telemetry or metrics record, or null. */
    public static Double value(JsonObject record, String metric) {
        if (metric.startsWith("layer")) {
            int dot = metric.indexOf('.');
            if (dot < 0 || !record.has("layers")) {
                return null;
            }
            int layer;
            try {
                layer = Integer.parseInt(metric.substring(5, dot));
            } catch (NumberFormatException e) {
                return null;
            }
            JsonArray layers = record.getAsJsonArray("layers");
            if (layer < 1 || layer > layers.size()) {
                return null;
            }
            return number(layers.get(layer - 1).getAsJsonObject().get(metric.substring(dot + 1)));
        }
        JsonElement e = record.get(metric);
        if (e != null && e.isJsonObject() && e.getAsJsonObject().has("eigenvalues")) {
            JsonArray ev = e.getAsJsonObject().getAsJsonArray("eigenvalues");
            return ev.isEmpty() ? null : number(ev.get(0));
        }
        return number(e);
    }

    private static Double number(JsonElement e) {
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() ? e.getAsDouble() : null;
    }
}
