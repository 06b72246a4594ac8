package io.eoscope.wire;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A record of the {@code metrics} topic (compacted, key {@code run/step/analysis_id}): the analysis of one
 * snapshot (docs/contracts.md#eos-analyze-json) plus {@code run}, {@code step}, {@code time} and {@code analysis_id}.
 * The quantities a reader needs are typed here ({@link #value(Quantity)}, {@link #layers()}), so nobody
 * walks the JSON by string paths; the whole analysis, extra fields included, stays in {@link #toJson()}.
 *
 * @param run the run's name
 * @param step the analysed snapshot's step
 * @param time its continuous time t (NaN: unknown)
 * @param analysisId which analysis ({@code default} for the live one, another id for a replay)
 * @param spectra the top eigenvalues of each spectrum present
 * @param values the run-level numbers present (NaN: null on the wire)
 * @param layers the layerwise quantities, layer 1 first: an MLP's {@code layers}, or for a TorchScript module its
 *     {@code groups} (λ_max of each layer's Gauss-Newton block only, as {@link LayerField#GAUSS_NEWTON_TOP})
 * @param json the record's value, non-finite numbers as null
 */
public record MetricsRecord(String run, long step, double time, String analysisId, Map<Spectrum, double[]> spectra,
        Map<Quantity, Double> values, List<Layer> layers, JsonObject json) {

    /** The spectra of docs/contracts.md#eos-analyze-json, by their JSON names. */
    public enum Spectrum {
        HESSIAN("hessian"), GAUSS_NEWTON("gauss_newton"), RESIDUAL("residual");

        private final String wire;

        Spectrum(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }

    /** Run-level numbers of docs/contracts.md#eos-analyze-json, by their JSON names. */
    public enum Quantity {
        LOSS("loss"), RHO_K("rho_K"), K_MAX_SQ_MEAN("K_max_sq_mean");

        private final String wire;

        Quantity(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }

    /** The layerwise quantities of docs/contracts.md#eos-analyze-json, by their JSON names. */
    public enum LayerField {
        GAUSS_NEWTON_TOP("gauss_newton_top"), K_MAX_SQ_MEAN("K_max_sq_mean"), PI_CHI("pi_chi"), P_CHI_DELTA("p_chi_delta"),
        PI_J("pi_J"), P_DELTA_J("p_delta_J"), DELTA_L_MAX_SQ_MEAN("delta_L_max_sq_mean");

        private final String wire;

        LayerField(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        /** The field of this JSON name, or null. */
        public static LayerField of(String wire) {
            for (LayerField f : values()) {
                if (f.wire.equals(wire)) {
                    return f;
                }
            }
            return null;
        }
    }

    /**
     * One layer's quantities.
     *
     * @param layer 1-based
     * @param values NaN where absent or null
     */
    public record Layer(int layer, Map<LayerField, Double> values) {
        /** A quantity, NaN when absent. */
        public double value(LayerField f) {
            Double d = values.get(f);
            return d == null ? Double.NaN : d;
        }
    }

    /** Validates and copies. */
    public MetricsRecord {
        if (run == null || !JsonFields.NAME.matcher(run).matches()) {
            throw new IllegalArgumentException("run must match " + JsonFields.NAME.pattern() + ", got '" + run + "'");
        }
        if (step < 0) {
            throw new IllegalArgumentException("step must be ≥ 0, got " + step);
        }
        if (analysisId == null || !JsonFields.ANALYSIS_ID.matcher(analysisId).matches()) {
            throw new IllegalArgumentException("analysis_id must match " + JsonFields.ANALYSIS_ID.pattern() + ", got '" + analysisId + "'");
        }
        spectra = spectra.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(spectra));
        values = values.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(values));
        layers = List.copyOf(layers);
        json = json == null ? new JsonObject() : JsonFields.finite(json).getAsJsonObject();
        json.remove("schema");
        json.addProperty("run", run);
        json.addProperty("step", step);
        JsonFields.put(json, "time", time);
        json.addProperty("analysis_id", analysisId);
    }

    /** Parses a {@code metrics} record's value. */
    public static MetricsRecord parse(byte[] value) throws MalformedRecordException {
        return parse(JsonFields.object(value));
    }

    /** Parses a {@code metrics} record's JSON object. */
    public static MetricsRecord parse(JsonObject value) throws MalformedRecordException {
        JsonObject o = value.deepCopy(); // whole numbers are rewritten below: never the caller's object
        JsonFields.schema(o);
        String run = JsonFields.name(o, "run", JsonFields.NAME);
        long step = JsonFields.integer(o, "step");
        if (step < 0) {
            throw new MalformedRecordException("field 'step' must be ≥ 0, got " + step);
        }
        double time = JsonFields.number(o, "time");
        String id = JsonFields.name(o, "analysis_id", JsonFields.ANALYSIS_ID);
        checkDocumented(o);
        Map<Spectrum, double[]> spectra = new EnumMap<>(Spectrum.class);
        for (Spectrum s : Spectrum.values()) {
            JsonFields.notNull(o, s.wire(), "an object");
            JsonObject spectrum = JsonFields.optObject(o, s.wire());
            if (spectrum != null) {
                String where = s.wire() + ".";
                JsonFields.optNumbers(spectrum, where, "residuals");
                JsonFields.optNumbers(spectrum, where, "verified_residuals");
                JsonFields.wholeNumber(spectrum, "products");
                JsonFields.optBoolean(spectrum, "converged");
                JsonFields.optBoolean(spectrum, "warm_started");
                JsonFields.notNull(spectrum, "failure", "a string");
                JsonFields.optString(spectrum, "failure");
                JsonArray ev = JsonFields.optArray(spectrum, "eigenvalues");
                if (ev == null) {
                    throw new MalformedRecordException("field '" + s.wire() + ".eigenvalues' is missing");
                }
                double[] top = new double[ev.size()];
                for (int i = 0; i < top.length; i++) {
                    top[i] = JsonFields.number(s.wire() + ".eigenvalues[" + i + "]", ev.get(i));
                }
                spectra.put(s, top);
            }
        }
        if (spectra.isEmpty()) { // an analysis has at least one spectrum: a skeleton must not replace a run's real metrics
            throw new MalformedRecordException("no spectrum: a metrics record holds at least one of "
                    + java.util.Arrays.stream(Spectrum.values()).map(Spectrum::wire).toList());
        }
        Map<Quantity, Double> values = new EnumMap<>(Quantity.class);
        for (Quantity q : Quantity.values()) {
            if (o.has(q.wire())) {
                values.put(q, JsonFields.optNumber(o, q.wire()));
            }
        }
        List<Layer> layers = new ArrayList<>();
        JsonArray ls = JsonFields.optArray(o, "layers");
        if (ls != null) {
            for (int i = 0; i < ls.size(); i++) {
                JsonElement e = ls.get(i);
                String where = "layers[" + i + "]";
                if (!e.isJsonObject()) {
                    throw new MalformedRecordException("field '" + where + "' must be an object, got " + JsonFields.shown(e));
                }
                JsonObject l = e.getAsJsonObject();
                Long n = JsonFields.optInteger(l, "layer");
                if (n != null && n != i + 1) {
                    throw new MalformedRecordException("field '" + where + ".layer' must be " + (i + 1) + ", got " + n);
                }
                Map<LayerField, Double> v = new EnumMap<>(LayerField.class);
                for (LayerField f : LayerField.values()) {
                    if (l.has(f.wire())) {
                        v.put(f, JsonFields.number(where + "." + f.wire(), l.get(f.wire())));
                    }
                }
                layers.add(new Layer(i + 1, Map.copyOf(v)));
            }
        }
        JsonFields.notNull(o, "groups", "an array");
        JsonArray gs = JsonFields.optArray(o, "groups");
        if (gs != null) { // a TorchScript module's layers: named groups with λ_max of their Gauss-Newton block
            for (int i = 0; i < gs.size(); i++) {
                JsonElement e = gs.get(i);
                String where = "groups[" + i + "]";
                if (!e.isJsonObject()) {
                    throw new MalformedRecordException("field '" + where + "' must be an object, got " + JsonFields.shown(e));
                }
                JsonObject g = e.getAsJsonObject();
                JsonFields.string(g, "group");
                if (!g.has("gauss_newton_top")) {
                    throw new MalformedRecordException("missing field '" + where + ".gauss_newton_top'");
                }
                double top = JsonFields.number(where + ".gauss_newton_top", g.get("gauss_newton_top"));
                if (ls == null) {
                    layers.add(new Layer(i + 1, Map.of(LayerField.GAUSS_NEWTON_TOP, top)));
                }
            }
        }
        return new MetricsRecord(run, step, time, id, spectra, values, layers, o);
    }

    /**
     * Checks the types of the optional fields the API documents (openapi.yaml, schema Metrics), so that what
     * the gateway passes on keeps to it: numbers may be null (not finite), the others may not.
     */
    private static void checkDocumented(JsonObject o) throws MalformedRecordException {
        JsonFields.notNull(o, "model", "a string");
        JsonFields.optString(o, "model");
        for (String f : new String[] {"n", "classes", "parameters", "per_sample_n"}) {
            JsonFields.wholeNumber(o, f);
        }
        JsonFields.optNumber(o, "seconds");
        JsonFields.notNull(o, "stage_seconds", "an object");
        JsonObject stages = JsonFields.optObject(o, "stage_seconds");
        if (stages != null) {
            for (Map.Entry<String, JsonElement> e : stages.entrySet()) {
                JsonFields.number("stage_seconds." + e.getKey(), e.getValue());
            }
        }
        JsonFields.notNull(o, "layers", "an array");
    }

    /** The record's key on the metrics topic. */
    public String key() {
        return Records.metricsKey(run, step, analysisId);
    }

    /** The record's value, with {@code schema}. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("schema", JsonFields.SCHEMA);
        for (Map.Entry<String, JsonElement> e : json.entrySet()) {
            o.add(e.getKey(), e.getValue().deepCopy());
        }
        return o;
    }

    /** The top (first-ranked) eigenvalue of a spectrum, NaN when absent. */
    public double top(Spectrum s) {
        double[] ev = spectra.get(s);
        return ev == null || ev.length == 0 ? Double.NaN : ev[0];
    }

    /** A run-level number, NaN when absent. */
    public double value(Quantity q) {
        Double d = values.get(q);
        return d == null ? Double.NaN : d;
    }

    /** A layer's quantity (1-based layer), NaN when the layer or the quantity is absent. */
    public double layer(int layer, LayerField f) {
        return layer >= 1 && layer <= layers.size() ? layers.get(layer - 1).value(f) : Double.NaN;
    }
}
