package io.eoscope.gateway;

import com.google.gson.JsonObject;
import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.MetricsRecord.Spectrum;
import io.eoscope.wire.RunRecord;
import io.eoscope.wire.TelemetryRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's view of every run, rebuilt from the {@code runs}, {@code telemetry} and {@code metrics}
 * topics (the gateway keeps no state of its own), holding only validated, typed records.
 *
 * <p>Bounds: series are kept per step and thinned to at most {@link #MAX_POINTS} points per run and source
 * by dropping every other older point; at most {@code maxRuns} runs are kept (finished, failed and stale
 * runs are evicted first, oldest first; evictions are counted and logged once per burst); at most
 * {@link #MAX_ANALYSES} analysis ids per run (the live one is never dropped). The spectral densities of a run are kept
 * apart from its series, per operator and step, from any analysis id (a heavy view may run under one of its own), and
 * only their curves and bucket masses: at most {@code maxDensitySteps} steps per run and operator, the oldest dropped
 * (counted, and logged once per burst); the series keep each record without its densities.
 *
 * <p>Status: a run is {@code finished} or {@code failed} when its trainer said so; {@code stale} when its
 * trainer says it is running but the view has heard nothing of it (any record, heartbeats included) for
 * longer than the stale period, measured from the Kafka record timestamps, so a gateway reading old history
 * sees long-dead runs as stale at once; {@code running} when its trainer says so and was heard of within that
 * period; {@code unknown} while the view has no runs record of it (telemetry or metrics alone never make a run
 * {@code running}, and it has no configuration). Unknown runs are evicted with the finished, failed and stale ones.
 *
 * <p>Thread-safe: one writer (the consumer), many readers (HTTP handlers, meters).
 */
public final class RunsView {
    /** Most points kept per run and source. */
    public static final int MAX_POINTS = 20_000;
    /** Most analysis ids kept per run (the live one and the most recently updated others). */
    public static final int MAX_ANALYSES = 16;
    /** The analyzer's default analysis id. */
    public static final String DEFAULT_ANALYSIS = "default";
    private static final Logger LOG = LoggerFactory.getLogger(RunsView.class);

    private final String liveAnalysis;
    private final long staleMillis;
    private final int maxRuns;
    private final LongSupplier clock;
    private final int maxDensitySteps;
    private volatile long densityStepsDropped;
    private long densityBurst;
    private String densityBurstLast;
    private final Map<String, Run> runs = new ConcurrentHashMap<>();
    private final List<Consumer<Update>> listeners = new CopyOnWriteArrayList<>();
    private volatile long evictions;
    private long burst;
    private String burstLast;

    /** One new record for a run: {@code kind} is {@code telemetry}, {@code metrics} or {@code run}. */
    public record Update(String run, String kind, JsonObject value) {}

    /** A view with the defaults: live analysis {@code default}, stale after 60 s, 1000 runs, the system clock. */
    public RunsView() {
        this(DEFAULT_ANALYSIS, 60_000, 1000, System::currentTimeMillis);
    }

    /**
     * @param liveAnalysis the analysis id shown by default (summaries, Prometheus, the live stream)
     * @param staleMillis how long a running run may be silent before it is stale
     * @param maxRuns most runs kept
     * @param clock epoch milliseconds now
     */
    public RunsView(String liveAnalysis, long staleMillis, int maxRuns, LongSupplier clock) {
        this(liveAnalysis, staleMillis, maxRuns, clock, DEFAULT_DENSITY_STEPS);
    }

    /**
     * @param liveAnalysis the analysis id shown by default (summaries, Prometheus, the live stream)
     * @param staleMillis how long a running run may be silent before it is stale
     * @param maxRuns most runs kept
     * @param clock epoch milliseconds now
     * @param maxDensitySteps most steps whose spectral densities are kept per run and operator ({@code --max-density-steps})
     */
    public RunsView(String liveAnalysis, long staleMillis, int maxRuns, LongSupplier clock, int maxDensitySteps) {
        if (maxRuns < 1 || staleMillis < 1 || maxDensitySteps < 1) {
            throw new IllegalArgumentException("maxRuns, staleMillis and maxDensitySteps must be positive");
        }
        this.liveAnalysis = liveAnalysis;
        this.staleMillis = staleMillis;
        this.maxRuns = maxRuns;
        this.clock = clock;
        this.maxDensitySteps = maxDensitySteps;
    }

    /** The default of {@code --max-density-steps}: the columns of a run's density heatmap. */
    public static final int DEFAULT_DENSITY_STEPS = 256;

    /**
     * Prometheus' bucket edges of the spectral density (docs/contracts.md#prometheus), symmetric-log like the density
     * grid: ±10³, ±10², ±10, ±1, ±0.1, ±0.01, ±10⁻³, 0 and 10⁴; +Inf is the last bucket (mass 1).
     */
    public static final double[] DENSITY_EDGES = {-1e3, -1e2, -10, -1, -0.1, -0.01, -1e-3, 0, 1e-3, 0.01, 0.1, 1, 10, 1e2, 1e3, 1e4};

    /**
     * One step's spectral density of one operator, as the view keeps it: the curve on the density grid and the
     * cumulative mass at each of {@link #DENSITY_EDGES} (the nodes and weights are read once, not kept).
     *
     * @param step the snapshot's step
     * @param time its continuous time (NaN: unknown)
     * @param analysisId the analysis whose record carried it
     * @param probes the probes it was estimated with
     * @param curve p(u_i) on the density grid
     * @param mass the spectral mass ≤ each edge
     * @param top the record's own top eigenvalue of the operator, NaN when it had none
     */
    public record DensityStep(long step, double time, String analysisId, int probes, double[] curve, double[] mass, double top) {
        static DensityStep of(MetricsRecord m, MetricsRecord.Operator op, MetricsRecord.Density d) {
            double[] mass = new double[DENSITY_EDGES.length];
            for (int i = 0; i < mass.length; i++) {
                mass[i] = d.cumulativeMass(DENSITY_EDGES[i]);
            }
            return new DensityStep(m.step(), m.time(), m.analysisId(), d.probes(), d.curve(), mass,
                    m.top(op == MetricsRecord.Operator.HESSIAN ? Spectrum.HESSIAN : Spectrum.GAUSS_NEWTON));
        }
    }

    /** One analysis id's metrics of a run: the latest and the series by step. */
    static final class Analysis {
        volatile MetricsRecord latest;
        volatile long lastHeard;
        final TreeMap<Long, MetricsRecord> series = new TreeMap<>();
    }

    /** A run's state. */
    public final class Run {
        final String name;
        volatile RunRecord record;
        volatile TelemetryRecord.Step telemetry;
        volatile TelemetryRecord.Step estimated; // the latest step with the trainer's own sharpness estimate
        volatile TelemetryRecord.Step stepped; // the latest step that took a step (a step size)
        volatile TelemetryRecord.Step stable; // the latest step with the trainer's own value of the stability quantity
        volatile long lastHeard = Long.MIN_VALUE;
        final TreeMap<Long, TelemetryRecord.Step> telemetrySeries = new TreeMap<>();
        final Map<String, Analysis> analyses = new ConcurrentHashMap<>();
        /** Spectral densities by operator and step (guarded by the run), and how many old steps were dropped. */
        final Map<MetricsRecord.Operator, TreeMap<Long, DensityStep>> densities = new java.util.EnumMap<>(MetricsRecord.Operator.class);
        final Map<MetricsRecord.Operator, Long> densitiesDropped = new java.util.EnumMap<>(MetricsRecord.Operator.class);
        /** The record with the newest step that carried a trace, of any analysis id. */
        volatile MetricsRecord traced;

        Run(String name) {
            this.name = name;
        }

        public String name() {
            return name;
        }

        /** The runs topic's record, if one has arrived. */
        public Optional<RunRecord> record() {
            return Optional.ofNullable(record);
        }

        /** The configuration (empty until the runs record arrives; {@link #record()} says whether it has). */
        public JsonObject config() {
            RunRecord r = record;
            return r == null ? new JsonObject() : r.config();
        }

        /** The latest training step. */
        public Optional<TelemetryRecord.Step> telemetry() {
            return Optional.ofNullable(telemetry);
        }

        /** The latest step with the trainer's own sharpness estimate (the final state, step N, has none). */
        public Optional<TelemetryRecord.Step> estimated() {
            return Optional.ofNullable(estimated);
        }

        /** The latest step that was taken (it has a step size: the final state, step N, has none). */
        public Optional<TelemetryRecord.Step> stepped() {
            return Optional.ofNullable(stepped);
        }

        /** The latest step with the trainer's own value of the run's stability quantity. */
        public Optional<TelemetryRecord.Step> stable() {
            return Optional.ofNullable(stable);
        }

        /** The run against its own optimizer's edge, with the live analysis' metrics ({@link RunStability}). */
        public RunStability stability() {
            return RunStability.of(this, liveAnalysis);
        }

        /** The latest analysis of the live analysis id. */
        public Optional<MetricsRecord> metrics() {
            return metrics(liveAnalysis);
        }

        /** The latest analysis of {@code analysisId}. */
        public Optional<MetricsRecord> metrics(String analysisId) {
            Analysis a = analyses.get(analysisId);
            return a == null ? Optional.empty() : Optional.ofNullable(a.latest);
        }

        /**
         * The kept densities of an operator, by step (oldest first), from any analysis id: of each step the latest
         * record that carried one.
         */
        public List<DensityStep> densities(MetricsRecord.Operator op) {
            synchronized (this) {
                TreeMap<Long, DensityStep> d = densities.get(op);
                return d == null ? List.of() : List.copyOf(d.values());
            }
        }

        /** The density of an operator at the newest step that has one, if any. */
        public Optional<DensityStep> latestDensity(MetricsRecord.Operator op) {
            synchronized (this) {
                TreeMap<Long, DensityStep> d = densities.get(op);
                return d == null || d.isEmpty() ? Optional.empty() : Optional.of(d.lastEntry().getValue());
            }
        }

        /** How many old steps of an operator's densities were dropped to keep within {@code --max-density-steps}. */
        public long densitiesDropped(MetricsRecord.Operator op) {
            synchronized (this) {
                return densitiesDropped.getOrDefault(op, 0L);
            }
        }

        /** The metrics record with the newest step that carried a trace, of any analysis id. */
        public Optional<MetricsRecord> traced() {
            return Optional.ofNullable(traced);
        }

        /** The top eigenvalue of a spectrum at a step in the live analysis' series, NaN when it has none. */
        double liveTop(long step, Spectrum s) {
            Analysis a = analyses.get(liveAnalysis);
            synchronized (this) {
                MetricsRecord m = a == null ? null : a.series.get(step);
                return m == null ? Double.NaN : m.top(s);
            }
        }

        /** The analysis ids with metrics. */
        public Set<String> analysisIds() {
            return Set.copyOf(analyses.keySet());
        }

        /** Whether the trainer has said the run finished. */
        public boolean finished() {
            RunRecord r = record;
            return r != null && r.status() == RunRecord.Status.FINISHED;
        }

        /** Whether the trainer has said the run is over (finished or failed). */
        public boolean ended() {
            RunRecord r = record;
            return r != null && r.status() != RunRecord.Status.RUNNING;
        }

        /**
         * {@code running}, {@code finished}, {@code failed}, {@code stale} (at {@code now}, epoch ms), or {@code unknown}
         * while the view has no runs record of the run: its telemetry or metrics arrived, but nothing says what it is
         * or whether it runs (its producer published no runs record, or the record is not read yet).
         */
        public String status(long now) {
            RunRecord r = record;
            if (r == null) {
                return "unknown";
            }
            if (r.status() != RunRecord.Status.RUNNING) {
                return r.status().wire();
            }
            return now - lastHeard > staleMillis ? "stale" : "running";
        }

        /** {@link #status(long)} now. */
        public String status() {
            return status(clock.getAsLong());
        }

        /** Why the run failed, or null. */
        public String failure() {
            RunRecord r = record;
            return r == null ? null : r.failure();
        }

        /** When the view last heard of the run: the newest Kafka record timestamp of any of its records (epoch ms). */
        public long lastHeardMillis() {
            return lastHeard;
        }

        /** 2/η of a GD run (from its configuration), else from the latest step size, or NaN. */
        public double twoOverEta() {
            RunRecord r = record;
            double fromConfig = r == null ? Double.NaN : r.twoOverEta();
            if (!Double.isNaN(fromConfig)) {
                return fromConfig;
            }
            TelemetryRecord.Step t = telemetry;
            return t != null && t.stepSize() > 0 ? 2 / t.stepSize() : Double.NaN;
        }

        void heard(long timestamp) {
            if (timestamp > lastHeard) {
                lastHeard = timestamp;
            }
        }
    }

    /** Applies a runs record at the system clock's time (tests). */
    public void run(RunRecord record) {
        run(record, clock.getAsLong());
    }

    /** Applies a runs record whose Kafka timestamp is {@code timestamp} (epoch ms). */
    public synchronized void run(RunRecord record, long timestamp) {
        Run r = runFor(record.run(), timestamp);
        r.record = record;
        if (!listeners.isEmpty()) {
            notify(new Update(record.run(), "run", record.toJson()));
        }
    }

    /** Applies a telemetry record at the system clock's time (tests). */
    public void telemetry(TelemetryRecord t) {
        telemetry(t, clock.getAsLong());
    }

    /** Applies a telemetry record: a step adds a point; a heartbeat only says the run is alive. */
    public synchronized void telemetry(TelemetryRecord t, long timestamp) {
        Run r = runFor(t.run(), timestamp);
        if (t instanceof TelemetryRecord.Step s) {
            synchronized (r) {
                r.telemetrySeries.put(s.step(), s);
                thin(r.telemetrySeries);
                TelemetryRecord.Step latest = r.telemetry;
                if (latest == null || s.step() >= latest.step()) {
                    r.telemetry = s;
                }
                TelemetryRecord.Step estimate = r.estimated;
                if (Double.isFinite(s.sharpness()) && (estimate == null || s.step() >= estimate.step())) {
                    r.estimated = s;
                }
                r.stepped = later(r.stepped, s, s.stepSize() > 0);
                r.stable = later(r.stable, s, Double.isFinite(s.stability()));
            }
            if (!listeners.isEmpty()) {
                notify(new Update(s.run(), "telemetry", s.toJson()));
            }
        }
    }

    /** {@code s} when it qualifies and is not older than {@code kept}, else {@code kept}. */
    private static TelemetryRecord.Step later(TelemetryRecord.Step kept, TelemetryRecord.Step s, boolean qualifies) {
        return qualifies && (kept == null || s.step() >= kept.step()) ? s : kept;
    }

    /** Applies a metrics record at the system clock's time (tests). */
    public void metrics(MetricsRecord m) {
        metrics(m, clock.getAsLong());
    }

    /** Applies a metrics record under its analysis id (the latest analysis of each step wins). */
    public synchronized void metrics(MetricsRecord m, long timestamp) {
        Run r = runFor(m.run(), timestamp);
        Analysis a = r.analyses.computeIfAbsent(m.analysisId(), id -> new Analysis());
        a.lastHeard = Math.max(a.lastHeard, timestamp);
        synchronized (r) {
            keepDensities(r, m);
            if (m.trace() != null && (r.traced == null || m.step() >= r.traced.step())) {
                r.traced = m;
            }
            a.series.put(m.step(), m.withoutDensity()); // the densities are kept apart, curves only
            thin(a.series);
            if (a.latest == null || m.step() >= a.latest.step()) {
                a.latest = m;
            }
            if (r.analyses.size() > MAX_ANALYSES) {
                String oldest = null;
                for (Map.Entry<String, Analysis> e : r.analyses.entrySet()) {
                    if (!e.getKey().equals(liveAnalysis) && !e.getKey().equals(m.analysisId())
                            && (oldest == null || e.getValue().lastHeard < r.analyses.get(oldest).lastHeard)) {
                        oldest = e.getKey();
                    }
                }
                if (oldest != null) {
                    r.analyses.remove(oldest);
                }
            }
        }
        if (m.analysisId().equals(liveAnalysis) && !listeners.isEmpty()) {
            notify(new Update(m.run(), "metrics", m.toJson()));
        }
    }

    /** Keeps the densities of {@code m} (the caller holds the run's lock); drops the oldest steps beyond the bound. */
    private void keepDensities(Run r, MetricsRecord m) {
        for (Map.Entry<MetricsRecord.Operator, MetricsRecord.Density> e : m.density().entrySet()) {
            if (e.getValue().failed()) {
                continue; // no numbers to draw: the step keeps whatever density it had
            }
            TreeMap<Long, DensityStep> kept = r.densities.computeIfAbsent(e.getKey(), op -> new TreeMap<>());
            kept.put(m.step(), DensityStep.of(m, e.getKey(), e.getValue()));
            while (kept.size() > maxDensitySteps) {
                long dropped = kept.pollFirstEntry().getKey();
                r.densitiesDropped.merge(e.getKey(), 1L, Long::sum);
                densityStepsDropped++;
                densityBurst++;
                densityBurstLast = r.name + " " + e.getKey().wire() + " step " + dropped;
            }
        }
    }

    /**
     * Logs the density steps dropped since the last call in one INFO line (the consumer calls it after each batch, as
     * {@link #reportEvictions()}); returns how many there were.
     */
    public synchronized long reportDensityDrops() {
        long n = densityBurst;
        if (n > 0) {
            LOG.info("dropped the spectral densities of {} old step(s) to keep at most --max-density-steps={} per run and operator "
                    + "(oldest first; last dropped: {}); {} dropped since start", n, maxDensitySteps, densityBurstLast,
                    densityStepsDropped);
            densityBurst = 0;
            densityBurstLast = null;
        }
        return n;
    }

    /** Density steps dropped since start (all runs and operators). */
    public long densityStepsDropped() {
        return densityStepsDropped;
    }

    /** The most density steps kept per run and operator. */
    public int maxDensitySteps() {
        return maxDensitySteps;
    }

    private Run runFor(String name, long recordTimestamp) {
        // a producer whose clock runs ahead must not keep a dead run from going stale: never later than now
        long timestamp = Math.min(recordTimestamp, clock.getAsLong());
        Run r = runs.get(name);
        if (r == null) {
            r = new Run(name);
            runs.put(name, r);
            r.heard(timestamp);
            while (runs.size() > maxRuns) {
                evictOne(name);
            }
        } else {
            r.heard(timestamp);
        }
        return r;
    }

    /** Evicts the oldest over run (finished, failed, stale), else the oldest running one; never {@code keep}. */
    private void evictOne(String keep) {
        long now = clock.getAsLong();
        Run victim = null;
        boolean victimOver = false;
        for (Run r : runs.values()) {
            if (r.name.equals(keep)) {
                continue;
            }
            boolean over = !r.status(now).equals("running");
            if (victim == null || over && !victimOver || over == victimOver && r.lastHeard < victim.lastHeard) {
                victim = r;
                victimOver = over;
            }
        }
        if (victim == null) {
            return;
        }
        runs.remove(victim.name);
        evictions++;
        burst++;
        burstLast = victim.name + " (" + victim.status(now) + ")";
    }

    /**
     * Logs the evictions since the last call in one INFO line (the consumer calls it after each batch of
     * records, so a burst of evictions is one line); returns how many there were.
     */
    public synchronized long reportEvictions() {
        long n = burst;
        if (n > 0) {
            LOG.info("evicted {} run(s) from the view to stay within --max-view-runs={} (finished, failed and stale first, "
                    + "oldest first; last evicted: {}); {} evicted since start", n, maxRuns, burstLast, evictions);
            burst = 0;
            burstLast = null;
        }
        return n;
    }

    /** Runs evicted since start. */
    public long evictions() {
        return evictions;
    }

    /** The most runs kept. */
    public int maxRuns() {
        return maxRuns;
    }

    /** The live analysis id. */
    public String liveAnalysis() {
        return liveAnalysis;
    }

    /** Epoch milliseconds now, by the view's clock. */
    public long now() {
        return clock.getAsLong();
    }

    private static <T> void thin(TreeMap<Long, T> series) {
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

    /**
     * The runs now held, as one snapshot taken under the view's lock: never more than {@link #maxRuns()},
     * even while records are being applied (a live iteration of the map could see runs added and evicted
     * during it, and so more than the bound).
     */
    public synchronized List<Run> all() {
        return List.copyOf(runs.values());
    }

    /** How many runs the view holds. */
    public synchronized int size() { // never the transient cap + 1 between a new run and its eviction
        return runs.size();
    }

    /** Forgets a run (its series and meters go): a tombstone on the runs topic. */
    public synchronized void remove(String run) {
        runs.remove(run);
    }

    /** Registers a listener of every update (SSE streams). */
    public void listen(Consumer<Update> listener) {
        listeners.add(listener);
    }

    public void unlisten(Consumer<Update> listener) {
        listeners.remove(listener);
    }

    private void notify(Update u) {
        for (Consumer<Update> l : listeners) {
            try {
                l.accept(u);
            } catch (RuntimeException e) {
                // a listener's bug (an SSE client) must not stop the view
                LOG.warn("a view listener failed on an update of run {}: {}", u.run(), e.toString());
            }
        }
    }

    /**
     * The series of {@code metric} for a run over steps [from, to], thinned to at most {@code maxPoints} and always
     * ending at the newest point; points whose value is not finite are left out.
     *
     * @param analysisId the analysis whose metrics are read (ignored for telemetry metrics)
     */
    public List<ApiBodies.Point> series(Run r, SeriesMetric metric, String analysisId, long from, long to, int maxPoints) {
        List<ApiBodies.Point> points = new ArrayList<>();
        synchronized (r) {
            if (metric.fromTelemetry()) {
                for (TelemetryRecord.Step s : r.telemetrySeries.subMap(from, true, to, true).values()) {
                    point(points, s.step(), s.time(), metric.onTelemetry().applyAsDouble(s));
                }
            } else {
                Analysis a = r.analyses.get(analysisId);
                if (a != null) {
                    for (MetricsRecord m : a.series.subMap(from, true, to, true).values()) {
                        point(points, m.step(), m.time(), metric.onAnalysis().applyAsDouble(m));
                    }
                }
            }
        }
        List<ApiBodies.Point> out = new ArrayList<>();
        double stride = Math.max(1.0, points.size() / (double) maxPoints);
        for (double i = 0; i < points.size(); i += stride) {
            out.add(points.get((int) i));
        }
        if (!points.isEmpty() && out.get(out.size() - 1) != points.get(points.size() - 1)) {
            if (out.size() >= maxPoints) {
                out.remove(out.size() - 1);
            }
            out.add(points.get(points.size() - 1)); // always end at the newest point
        }
        return out;
    }

    /** The live analysis' series (see {@link #series(Run, SeriesMetric, String, long, long, int)}). */
    public List<ApiBodies.Point> series(Run r, String metric, long from, long to, int maxPoints) {
        return series(r, SeriesMetric.of(metric), liveAnalysis, from, to, maxPoints);
    }

    private static void point(List<ApiBodies.Point> points, long step, double time, double value) {
        if (Double.isFinite(value)) {
            points.add(new ApiBodies.Point(step, time, value));
        }
    }
}
