package io.eoscope.reproduce;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.eoscope.curvature.spectrum.DensityGrid;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The beyond-λmax part of one run's metrics records (docs/contracts.md#eos-analyze-json): the spectral density of 𝓗
 * (its smoothed curve on the fixed {@link DensityGrid}) and the traces, one row per step that carried them (a
 * re-delivered record replaces its twin). The analyzers compute them only on every k-th snapshot, so most records
 * carry neither.
 *
 * <p>Bounded: at most {@code limit} density rows are kept (each holds {@value DensityGrid#POINTS} numbers). When a
 * new row would pass the limit, every second row is dropped (the first kept), so the table still spans the whole
 * run at half the resolution; how many rows were dropped is {@link #thinned()}, reported in the run's
 * {@code done.json}. The trace rows are a few numbers each, one per analysed snapshot at most, like the metrics
 * table.
 */
final class SpectrumTables {
    /** The default bound on the density rows of one run: about 1.2 MB of numbers. */
    static final int DEFAULT_LIMIT = 1000;
    /** The trace columns (the {@code trace} object of a metrics record, flattened). */
    static final String[] TRACE = {"step", "time", "trace_hessian", "trace_hessian_low", "trace_hessian_high",
        "trace_hessian_coverage", "trace_hessian_products", "trace_gauss_newton", "trace_gauss_newton_low",
        "trace_gauss_newton_high", "gauss_newton_share", "top_share_hessian", "top_share_gauss_newton"};
    /** The density columns before the curve. */
    static final String[] DENSITY_LEAD = {"step", "time", "probes", "lanczos_steps", "products"};

    private final int limit;
    private final TreeMap<Long, double[]> density = new TreeMap<>();
    private final TreeMap<Long, double[]> traces = new TreeMap<>();
    private int thinned;
    private int failed;
    private String lastFailure;

    /** @param limit the most density rows kept, at least 2 */
    SpectrumTables(int limit) {
        if (limit < 2) {
            throw new IllegalArgumentException("the density rows' limit must be at least 2, got " + limit);
        }
        this.limit = limit;
    }

    /** The density columns: {@link #DENSITY_LEAD}, then {@code u=-7.0} … {@code u=7.0}, the grid points. */
    static String[] densityColumns() {
        List<String> c = new ArrayList<>(List.of(DENSITY_LEAD));
        for (int i = 0; i < DensityGrid.POINTS; i++) {
            c.add("u=" + String.format(Locale.ROOT, "%.1f", DensityGrid.point(i)));
        }
        return c.toArray(String[]::new);
    }

    /** Takes what a metrics record of the run carries beyond λmax; a record without it changes nothing. */
    void add(JsonObject record) {
        long step = record.get("step").getAsLong();
        double time = num(record, "time");
        JsonObject d = object(record, "density");
        JsonObject h = d == null ? null : object(d, "hessian");
        if (h != null) {
            double[] curve = curve(h);
            if (curve == null) {
                failed++;
                lastFailure = h.has("failure") && h.get("failure").isJsonPrimitive() ? h.get("failure").getAsString()
                        : "no curve of " + DensityGrid.POINTS + " finite, non-negative numbers";
            } else {
                double[] row = new double[DENSITY_LEAD.length + curve.length];
                row[0] = step;
                row[1] = time;
                row[2] = num(h, "probes");
                row[3] = num(h, "steps");
                row[4] = num(h, "products");
                System.arraycopy(curve, 0, row, DENSITY_LEAD.length, curve.length);
                density.put(step, row);
                if (density.size() > limit) {
                    thin();
                }
            }
        }
        JsonObject t = object(record, "trace");
        if (t != null) {
            JsonObject th = object(t, "hessian");
            JsonObject tg = object(t, "gauss_newton");
            JsonObject top = object(t, "top_share");
            double[] hi = interval(th);
            double[] gi = interval(tg);
            traces.put(step, new double[] {step, time, num(th, "value"), hi[0], hi[1], num(th, "coverage"),
                num(th, "products"), num(tg, "value"), gi[0], gi[1], num(t, "gauss_newton_share"), num(top, "hessian"),
                num(top, "gauss_newton")});
        }
    }

    /** Drops every second density row, keeping the first: the table spans the run at half its resolution. */
    private void thin() {
        Iterator<Map.Entry<Long, double[]>> it = density.entrySet().iterator();
        boolean keep = true;
        while (it.hasNext()) {
            it.next();
            if (!keep) {
                it.remove();
                thinned++;
            }
            keep = !keep;
        }
    }

    /** The density rows kept. */
    int densityRows() {
        return density.size();
    }

    /** Density rows dropped to stay within the limit. */
    int thinned() {
        return thinned;
    }

    /** Records whose density of 𝓗 failed or carried no usable curve (not in the table). */
    int failed() {
        return failed;
    }

    /** The last such record's reason, or null. */
    String lastFailure() {
        return lastFailure;
    }

    int limit() {
        return limit;
    }

    Csv density() {
        Csv csv = new Csv(densityColumns());
        for (double[] r : density.values()) {
            Object[] values = new Object[r.length];
            for (int i = 0; i < r.length; i++) {
                values[i] = i == 0 || (i >= 2 && i < DENSITY_LEAD.length && Double.isFinite(r[i])) ? (Object) (long) r[i]
                        : (Object) r[i];
            }
            csv.row(values);
        }
        return csv;
    }

    Csv traces() {
        Csv csv = new Csv(TRACE);
        for (double[] r : traces.values()) {
            Object[] values = new Object[r.length];
            for (int i = 0; i < r.length; i++) {
                values[i] = i == 0 ? (Object) (long) r[0] : (Object) r[i];
            }
            csv.row(values);
        }
        return csv;
    }

    /** The curve when it is {@value DensityGrid#POINTS} finite, non-negative numbers and no failure is reported. */
    private static double[] curve(JsonObject h) {
        if (h.has("failure") && !h.get("failure").isJsonNull()) {
            return null;
        }
        JsonElement e = h.get("curve");
        if (e == null || !e.isJsonArray() || e.getAsJsonArray().size() != DensityGrid.POINTS) {
            return null;
        }
        JsonArray a = e.getAsJsonArray();
        double[] curve = new double[a.size()];
        for (int i = 0; i < curve.length; i++) {
            JsonElement v = a.get(i);
            if (v.isJsonNull() || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                return null;
            }
            curve[i] = v.getAsDouble();
            if (!Double.isFinite(curve[i]) || curve[i] < 0) {
                return null;
            }
        }
        return curve;
    }

    private static double[] interval(JsonObject o) {
        JsonElement e = o == null ? null : o.get("interval");
        if (e == null || !e.isJsonArray() || e.getAsJsonArray().size() != 2) {
            return new double[] {Double.NaN, Double.NaN};
        }
        JsonArray a = e.getAsJsonArray();
        return new double[] {number(a.get(0)), number(a.get(1))};
    }

    private static JsonObject object(JsonObject o, String name) {
        JsonElement e = o == null ? null : o.get(name);
        return e != null && e.isJsonObject() ? e.getAsJsonObject() : null;
    }

    private static double num(JsonObject o, String name) {
        return o == null ? Double.NaN : number(o.get(name));
    }

    private static double number(JsonElement e) {
        return e == null || e.isJsonNull() || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() ? Double.NaN
                : e.getAsDouble();
    }
}
