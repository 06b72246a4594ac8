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
 * <p>Producers write it with {@link #of} (the analyzer publishes through it), consumers read it with {@link #parse}:
 * both apply the same {@link FieldRules}, so what the analyzer writes the gateway accepts. A reader also bounds the
 * size of what it holds ({@link Limits}): every list of a record, and the layers, groups and eigenvalues that
 * become series and meters, so one record cannot make a consumer hold (or a Prometheus scrape carry) without bound.
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
 * @param stability the run against its optimizer's own edge of stability, or null when the analysis had no optimizer or
 *     step size to judge it by
 * @param bounds the error bounds of each spectrum present ({@link Bounds#NONE} where it has none)
 * @param density the spectral densities present (only on snapshots where one was computed), by operator
 * @param trace the traces, or null when none was computed on this snapshot
 */
public record MetricsRecord(String run, long step, double time, String analysisId, Map<Spectrum, double[]> spectra,
        Map<Quantity, Double> values, List<Layer> layers, JsonObject json, Stability stability, Map<Spectrum, Bounds> bounds,
        Map<Operator, Density> density, Trace trace) {

    /** A record without stability. */
    public MetricsRecord(String run, long step, double time, String analysisId, Map<Spectrum, double[]> spectra,
            Map<Quantity, Double> values, List<Layer> layers, JsonObject json) {
        this(run, step, time, analysisId, spectra, values, layers, json, null);
    }

    /** A record without error bounds, density or trace. */
    public MetricsRecord(String run, long step, double time, String analysisId, Map<Spectrum, double[]> spectra,
            Map<Quantity, Double> values, List<Layer> layers, JsonObject json, Stability stability) {
        this(run, step, time, analysisId, spectra, values, layers, json, stability, Map.of(), Map.of(), null);
    }

    /**
     * The object {@code stability} (docs/contracts.md#eos-analyze-json): the quantity an optimizer's stability is judged
     * by (docs/science.md#other-optimizers), its threshold and their ratio, 1 at the edge for every optimizer.
     *
     * @param optimizer one of {@link FieldRules#OPTIMIZERS}
     * @param quantity one of {@link FieldRules#STABILITY_QUANTITIES}
     * @param value the quantity, NaN (null) when it could not be computed
     * @param threshold the threshold, finite and positive
     * @param formula the threshold's formula ({@code 2/η}), at most {@value #MOST_FORMULA} characters
     * @param ratio value ÷ threshold, NaN (null) with the value
     * @param interval the value's 95% interval [low, high], or null when it has none (batch sharpness has one)
     * @param batches the batches a batch sharpness was estimated from, 0 when not stated
     * @param products the operator products the quantity cost
     * @param sharpness λmax(𝓗) beside a quantity that is not the sharpness itself, NaN when absent
     * @param note null, or what the reader must know beside the number, at most {@value #MOST_TEXT} characters
     * @param failure null, or why the quantity could not be computed, at most {@value #MOST_TEXT} characters
     */
    public record Stability(String optimizer, String quantity, double value, double threshold, String formula, double ratio,
            double[] interval, long batches, long products, double sharpness, String note, String failure) {
        /** The longest formula. */
        public static final int MOST_FORMULA = 64;
        /** The longest note or failure. */
        public static final int MOST_TEXT = 1024;

        /** Validates with the {@link FieldRules}; messages name the field as {@code stability.<field>}. */
        public Stability {
            FieldRules.oneOf("stability.optimizer", optimizer, FieldRules.OPTIMIZERS);
            FieldRules.oneOf("stability.quantity", quantity, FieldRules.STABILITY_QUANTITIES);
            FieldRules.known("stability.threshold", FieldRules.threshold("stability.threshold", threshold));
            if (formula == null || formula.isEmpty()) {
                throw new IllegalArgumentException("field 'stability.formula' must name the threshold's formula");
            }
            FieldRules.text("stability.formula", formula, MOST_FORMULA);
            FieldRules.text("stability.note", note, MOST_TEXT);
            FieldRules.text("stability.failure", failure, MOST_TEXT);
            double expected = value / threshold;
            if (Double.isNaN(value) != Double.isNaN(ratio) || !Double.isNaN(ratio)
                    && !(Math.abs(ratio - expected) <= 1e-9 * Math.max(Math.abs(expected), Double.MIN_NORMAL))) {
                throw new IllegalArgumentException("field 'stability.ratio' must be value ÷ threshold = " + expected + ", got " + ratio);
            }
            if (interval != null) {
                if (interval.length != 2 || !(interval[0] <= interval[1]) || !Double.isFinite(interval[0])
                        || !Double.isFinite(interval[1])) {
                    throw new IllegalArgumentException("field 'stability.interval' must be [low, high], two finite numbers with low ≤ high, got "
                            + java.util.Arrays.toString(interval));
                }
                interval = interval.clone();
            }
            FieldRules.count("stability.batches", batches);
            FieldRules.count("stability.products", products);
        }

        @Override
        public double[] interval() {
            return interval == null ? null : interval.clone();
        }

        /** Reads and checks the object {@code stability}. */
        static Stability parse(JsonObject o) throws MalformedRecordException {
            for (String f : new String[] {"optimizer", "quantity", "formula"}) {
                if (!o.has(f)) {
                    throw new MalformedRecordException("missing field 'stability." + f + "'");
                }
            }
            for (String f : new String[] {"optimizer", "quantity", "formula", "note", "failure"}) {
                JsonFields.notNull(o, f, "a string");
            }
            for (String f : new String[] {"value", "threshold", "ratio"}) {
                if (!o.has(f)) {
                    throw new MalformedRecordException("missing field 'stability." + f + "'");
                }
            }
            JsonFields.notNull(o, "interval", "an array [low, high]");
            JsonArray a = JsonFields.optArray(o, "interval");
            double[] interval = null;
            if (a != null) {
                interval = new double[a.size()];
                for (int i = 0; i < interval.length; i++) {
                    interval[i] = JsonFields.number("stability.interval[" + i + "]", a.get(i));
                }
            }
            Long batches = JsonFields.wholeNumber(o, "batches");
            Long products = JsonFields.wholeNumber(o, "products");
            if (products == null) {
                throw new MalformedRecordException("missing field 'stability.products'");
            }
            String optimizer = JsonFields.optString(o, "optimizer");
            String quantity = JsonFields.optString(o, "quantity");
            double value = JsonFields.number("stability.value", o.get("value"));
            double threshold = JsonFields.number("stability.threshold", o.get("threshold"));
            String formula = JsonFields.optString(o, "formula");
            double ratio = JsonFields.number("stability.ratio", o.get("ratio"));
            double sharpness = JsonFields.number("stability.sharpness", o.get("sharpness"));
            String note = JsonFields.optString(o, "note");
            String failure = JsonFields.optString(o, "failure");
            long b = batches == null ? 0 : batches;
            double[] in = interval;
            return rule(() -> new Stability(optimizer, quantity, value, threshold, formula, ratio, in, b, products, sharpness,
                    note, failure));
        }
    }

    /** The operators whose density and trace a record may carry, by their JSON names. */
    public enum Operator {
        HESSIAN("hessian"), GAUSS_NEWTON("gauss_newton");

        private final String wire;

        Operator(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        /** The operator of this JSON name, or null. */
        public static Operator of(String wire) {
            for (Operator o : values()) {
                if (o.wire.equals(wire)) {
                    return o;
                }
            }
            return null;
        }
    }

    /**
     * The error bounds of a spectrum's eigenvalues (docs/contracts.md#metrics-records): {@code residual_bounds[i]}, the
     * absolute residual ‖Av − θv‖ of eigenvalue i (an eigenvalue of the operator lies within it of θ), and
     * {@code kato_temple_bounds[i]}, r²/δ where the gap δ is known. NaN where a bound is null; empty where absent.
     *
     * @param residual at most as many as the eigenvalues, each ≥ 0 or NaN
     * @param kato at most as many as the eigenvalues, each ≥ 0 or NaN (no gap known)
     */
    public record Bounds(double[] residual, double[] kato) {
        /** No bounds. */
        public static final Bounds NONE = new Bounds(new double[0], new double[0]);

        /** Copies. */
        public Bounds {
            residual = residual.clone();
            kato = kato.clone();
        }

        @Override
        public double[] residual() {
            return residual.clone();
        }

        @Override
        public double[] kato() {
            return kato.clone();
        }

        /** Reads and checks the bounds of spectrum {@code s} with {@code eigenvalues} eigenvalues. */
        static Bounds parse(Spectrum s, JsonObject spectrum, int eigenvalues) throws MalformedRecordException {
            return new Bounds(bounds(s.wire() + ".", spectrum, "residual_bounds", eigenvalues),
                    bounds(s.wire() + ".", spectrum, "kato_temple_bounds", eigenvalues));
        }

        private static double[] bounds(String where, JsonObject spectrum, String field, int eigenvalues)
                throws MalformedRecordException {
            JsonFields.notNull(spectrum, field, "an array of numbers");
            JsonArray a = JsonFields.optArray(spectrum, field);
            if (a == null) {
                return new double[0];
            }
            if (a.size() > eigenvalues) {
                throw new MalformedRecordException("field '" + where + field + "' has " + a.size() + " entries, more than the "
                        + eigenvalues + " eigenvalues");
            }
            double[] out = new double[a.size()];
            for (int i = 0; i < out.length; i++) {
                String f = where + field + "[" + i + "]";
                double v = JsonFields.number(f, a.get(i));
                out[i] = rule(() -> FieldRules.errorBound(f, v));
            }
            return out;
        }
    }

    /**
     * One operator's spectral density by stochastic Lanczos quadrature (the object {@code density.<operator>}): the Ritz
     * nodes and weights of every probe and the smoothed curve on the fixed grid
     * ({@link io.eoscope.curvature.spectrum.DensityGrid}), or why there is none.
     *
     * @param operator which operator
     * @param probes n_v, the probes (≥ 1)
     * @param steps m, the Lanczos steps per probe asked for (≥ 1); a probe may stop early, so there are at most
     *     probes × steps nodes
     * @param products the operator products spent
     * @param nodes the Ritz values, probe-major, finite; empty when failed
     * @param weights their weights, finite, ≥ 0, summing to 1 within {@value #WEIGHT_SUM_TOLERANCE}; empty when failed
     * @param curve the smoothed density p(u_i) at the {@value #POINTS} grid points, each finite and ≥ 0, equal to the
     *     smoothing of the nodes and weights within {@value #CURVE_TOLERANCE} of its largest value; empty when failed
     * @param failure null, or why there is no density, at most {@value Stability#MOST_TEXT} characters
     */
    public record Density(Operator operator, int probes, int steps, long products, double[] nodes, double[] weights,
            double[] curve, String failure) {
        /** The grid's points: every curve has exactly these. */
        public static final int POINTS = io.eoscope.curvature.spectrum.DensityGrid.POINTS;
        /** How far the weights' sum may be from 1 (rounding of a float64 quadrature). */
        public static final double WEIGHT_SUM_TOLERANCE = 1e-6;
        /** How far the curve may be from the smoothing of its nodes and weights, relative to its largest value. */
        public static final double CURVE_TOLERANCE = 1e-5;

        /** Validates; messages name the field as {@code density.<operator>.<field>}. */
        public Density {
            String where = "density." + operator.wire() + ".";
            FieldRules.positive(where + "probes", probes);
            FieldRules.positive(where + "steps", steps);
            FieldRules.count(where + "products", products);
            FieldRules.text(where + "failure", failure, Stability.MOST_TEXT);
            if (nodes.length != weights.length) {
                throw new IllegalArgumentException("field '" + where + "weights' must have one weight per node: " + nodes.length
                        + " nodes, " + weights.length + " weights");
            }
            if (failure != null) {
                if (nodes.length > 0) {
                    throw new IllegalArgumentException("field '" + where + "nodes' must be empty when the density failed");
                }
                if (curve.length != 0 && curve.length != POINTS) {
                    throw new IllegalArgumentException("field '" + where + "curve' must be empty or " + POINTS + " numbers, got "
                            + curve.length);
                }
                curve = new double[0];
            } else {
                if (nodes.length == 0) {
                    throw new IllegalArgumentException("field '" + where + "nodes' must not be empty (a density that failed says why"
                            + " in 'failure')");
                }
                if ((long) nodes.length > (long) probes * steps) {
                    throw new IllegalArgumentException("field '" + where + "nodes' has " + nodes.length + " entries, more than probes"
                            + " × steps = " + (long) probes * steps);
                }
                double sum = 0;
                for (int i = 0; i < nodes.length; i++) {
                    if (!Double.isFinite(nodes[i])) {
                        throw new IllegalArgumentException("field '" + where + "nodes[" + i + "]' must be a finite number, got null");
                    }
                    if (!(weights[i] >= 0 && Double.isFinite(weights[i]))) {
                        throw new IllegalArgumentException("field '" + where + "weights[" + i + "]' must be a finite number ≥ 0, got "
                                + weights[i]);
                    }
                    sum += weights[i];
                }
                if (!(Math.abs(sum - 1) <= WEIGHT_SUM_TOLERANCE)) {
                    throw new IllegalArgumentException("field '" + where + "weights' must sum to 1 (within " + WEIGHT_SUM_TOLERANCE
                            + "), got " + sum);
                }
                if (curve.length != POINTS) {
                    throw new IllegalArgumentException("field '" + where + "curve' must have " + POINTS + " numbers (the density grid's"
                            + " points), got " + curve.length);
                }
                double[] expected = io.eoscope.curvature.spectrum.DensityGrid.smooth(nodes, weights);
                double top = 0;
                for (int i = 0; i < POINTS; i++) {
                    if (!(curve[i] >= 0 && Double.isFinite(curve[i]))) {
                        throw new IllegalArgumentException("field '" + where + "curve[" + i + "]' must be a finite number ≥ 0, got "
                                + curve[i]);
                    }
                    top = Math.max(top, expected[i]);
                }
                for (int i = 0; i < POINTS; i++) {
                    if (!(Math.abs(curve[i] - expected[i]) <= CURVE_TOLERANCE * top)) {
                        throw new IllegalArgumentException("field '" + where + "curve[" + i + "]' must be the smoothing of the nodes and"
                                + " weights on the density grid, " + expected[i] + ", got " + curve[i]);
                    }
                }
            }
            nodes = nodes.clone();
            weights = weights.clone();
            curve = curve.clone();
        }

        @Override
        public double[] nodes() {
            return nodes.clone();
        }

        @Override
        public double[] weights() {
            return weights.clone();
        }

        @Override
        public double[] curve() {
            return curve.clone();
        }

        /** Whether the estimate failed (no nodes, weights or curve). */
        public boolean failed() {
            return failure != null;
        }

        /** The estimated spectral mass at or below {@code lambda}: the sum of the weights of the nodes ≤ λ, at most 1; NaN when failed. */
        public double cumulativeMass(double lambda) {
            if (failed()) {
                return Double.NaN;
            }
            double mass = 0;
            for (int i = 0; i < nodes.length; i++) {
                if (nodes[i] <= lambda) {
                    mass += weights[i];
                }
            }
            return Math.min(mass, 1.0);
        }

        /** The grid object of the contract; a record's, when present, must equal it. */
        static final Map<String, Double> GRID = Map.of("scale", io.eoscope.curvature.spectrum.DensityGrid.SCALE,
                "u_min", io.eoscope.curvature.spectrum.DensityGrid.U_MIN, "u_step", io.eoscope.curvature.spectrum.DensityGrid.U_STEP,
                "sigma_u", io.eoscope.curvature.spectrum.DensityGrid.SIGMA_U);

        /** Reads and checks the object {@code density.<operator>}. */
        static Density parse(Operator op, JsonObject o) throws MalformedRecordException {
            String where = "density." + op.wire() + ".";
            for (String f : new String[] {"probes", "steps", "products"}) {
                if (!o.has(f) || o.get(f).isJsonNull()) {
                    throw new MalformedRecordException("missing field '" + where + f + "'");
                }
            }
            long probes = JsonFields.wholeNumber(o, "probes");
            long steps = JsonFields.wholeNumber(o, "steps");
            long products = JsonFields.wholeNumber(o, "products");
            if (probes > Integer.MAX_VALUE || steps > Integer.MAX_VALUE) {
                throw new MalformedRecordException("field '" + where + (probes > Integer.MAX_VALUE ? "probes" : "steps")
                        + "' must be at most " + Integer.MAX_VALUE + ", got " + Math.max(probes, steps));
            }
            JsonFields.notNull(o, "failure", "a string");
            String failure = JsonFields.optString(o, "failure");
            double[] nodes = numbers(o, where, "nodes");
            double[] weights = numbers(o, where, "weights");
            double[] curve = numbers(o, where, "curve");
            JsonFields.notNull(o, "grid", "an object");
            JsonObject grid = JsonFields.optObject(o, "grid");
            if (grid != null) {
                for (Map.Entry<String, Double> g : GRID.entrySet()) {
                    String f = where + "grid." + g.getKey();
                    if (!grid.has(g.getKey())) {
                        throw new MalformedRecordException("missing field '" + f + "'");
                    }
                    double v = JsonFields.number(f, grid.get(g.getKey()));
                    if (v != g.getValue()) {
                        throw new MalformedRecordException("field '" + f + "' must be " + g.getValue() + " (the fixed density grid), got " + v);
                    }
                }
            }
            if (failure == null && (!o.has("nodes") || !o.has("weights") || !o.has("curve"))) {
                throw new MalformedRecordException("missing field '" + where + (!o.has("nodes") ? "nodes" : !o.has("weights")
                        ? "weights" : "curve") + "' (a density that failed says why in 'failure')");
            }
            return rule(() -> new Density(op, (int) probes, (int) steps, products, nodes, weights, curve, failure));
        }

        private static double[] numbers(JsonObject o, String where, String field) throws MalformedRecordException {
            JsonFields.notNull(o, field, "an array of numbers");
            JsonArray a = JsonFields.optArray(o, field);
            if (a == null) {
                return new double[0];
            }
            double[] out = new double[a.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = JsonFields.number(where + field + "[" + i + "]", a.get(i));
            }
            return out;
        }
    }

    /**
     * The object {@code trace}: the traces of the operators with their intervals, tr(Gˡ) per layer or group, and the
     * ratios beside them.
     *
     * @param operators the traces present, by operator
     * @param layers {@code gauss_newton_layers}: one per layer (MLPs: layer 1 first) or parameter group (TorchScript)
     * @param gaussNewtonShare tr(G)/tr(𝓗), NaN when null or absent
     * @param topShare λmax/tr of each operator present (NaN where null)
     */
    public record Trace(Map<Operator, Estimate> operators, List<LayerEstimate> layers, double gaussNewtonShare,
            Map<Operator, Double> topShare) {
        /** The methods, by their wire names. */
        public static final List<String> METHODS = List.of("hutch++", "exact");

        /** Copies. */
        public Trace {
            operators = operators.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(operators));
            layers = List.copyOf(layers);
            topShare = topShare.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(topShare));
        }

        /** The estimate of an operator's trace, or null. */
        public Estimate estimate(Operator op) {
            return operators.get(op);
        }

        /** An operator's trace, NaN when absent or failed. */
        public double value(Operator op) {
            Estimate e = operators.get(op);
            return e == null ? Double.NaN : e.value();
        }

        /**
         * One trace with its interval.
         *
         * @param value the trace, NaN (null) only when it failed
         * @param low the interval's lower end (NaN when failed)
         * @param high its upper end
         * @param coverage the interval's stated coverage in (0, 1], 1 for {@code exact}; NaN when failed or not stated
         * @param method {@code hutch++} or {@code exact} (then low = value = high)
         * @param products operator products spent
         * @param probes Hutchinson probes (0 when not stated)
         * @param gradientEquivalents gradient passes of an exact trace (0 when not stated)
         * @param failure null, or why there is no trace
         */
        public record Estimate(double value, double low, double high, double coverage, String method, long products, long probes,
                long gradientEquivalents, String failure) {
            /** Validates; messages name the field as {@code <where>.<field>} via {@link #check}. */
            public Estimate {
                check("trace", value, low, high, coverage, method, products, probes, gradientEquivalents, failure);
            }

            static void check(String where, double value, double low, double high, double coverage, String method, long products,
                    long probes, long gradientEquivalents, String failure) {
                FieldRules.oneOf(where + ".method", method, METHODS);
                FieldRules.count(where + ".products", products);
                FieldRules.count(where + ".probes", probes);
                FieldRules.count(where + ".gradient_equivalents", gradientEquivalents);
                FieldRules.text(where + ".failure", failure, Stability.MOST_TEXT);
                if (!Double.isNaN(coverage)) {
                    FieldRules.coverage(where + ".coverage", coverage);
                }
                if (failure != null) {
                    return;
                }
                if (!Double.isFinite(value)) {
                    throw new IllegalArgumentException("field '" + where + ".value' must be a finite number (a trace that failed says"
                            + " why in 'failure'), got null");
                }
                if (!(Double.isFinite(low) && Double.isFinite(high) && low <= value && value <= high)) {
                    throw new IllegalArgumentException("field '" + where + ".interval' must be [low, high], two finite numbers with low ≤"
                            + " value ≤ high, got [" + low + ", " + high + "] around " + value);
                }
                if (method.equals("exact")) {
                    double slack = 1e-12 * Math.abs(value);
                    if (!(high - low <= slack)) {
                        throw new IllegalArgumentException("field '" + where + ".interval' of an exact trace must be [value, value], got ["
                                + low + ", " + high + "]");
                    }
                    if (!Double.isNaN(coverage) && coverage != 1) {
                        throw new IllegalArgumentException("field '" + where + ".coverage' of an exact trace must be 1, got " + coverage);
                    }
                }
            }

            static Estimate parse(String where, JsonObject o, boolean coverageRequired) throws MalformedRecordException {
                JsonFields.notNull(o, "method", "a string");
                if (!o.has("method")) {
                    throw new MalformedRecordException("missing field '" + where + ".method'");
                }
                String method = JsonFields.optString(o, "method");
                JsonFields.notNull(o, "failure", "a string");
                String failure = JsonFields.optString(o, "failure");
                if (!o.has("value")) {
                    throw new MalformedRecordException("missing field '" + where + ".value'");
                }
                double value = JsonFields.number(where + ".value", o.get("value"));
                JsonFields.notNull(o, "interval", "an array [low, high]");
                JsonArray a = JsonFields.optArray(o, "interval");
                double low = Double.NaN;
                double high = Double.NaN;
                if (a != null) {
                    if (a.size() != 2) {
                        throw new MalformedRecordException("field '" + where + ".interval' must be [low, high], got " + JsonFields.shown(a));
                    }
                    low = JsonFields.number(where + ".interval[0]", a.get(0));
                    high = JsonFields.number(where + ".interval[1]", a.get(1));
                } else if (failure == null) {
                    throw new MalformedRecordException("missing field '" + where + ".interval'");
                }
                double coverage = JsonFields.number(where + ".coverage", o.get("coverage"));
                if (coverageRequired && failure == null && Double.isNaN(coverage)) {
                    throw new MalformedRecordException("missing field '" + where + ".coverage'");
                }
                long products = orZero(JsonFields.wholeNumber(o, "products"));
                long probes = orZero(JsonFields.wholeNumber(o, "probes"));
                long gradients = orZero(JsonFields.wholeNumber(o, "gradient_equivalents"));
                double lo = low;
                double hi = high;
                return rule(() -> {
                    check(where, value, lo, hi, coverage, method, products, probes, gradients, failure);
                    return new Estimate(value, lo, hi, coverage, method, products, probes, gradients, failure);
                });
            }

            private static long orZero(Long v) {
                return v == null ? 0 : v;
            }
        }

        /**
         * tr(Gˡ) of one layer (MLPs) or parameter group (TorchScript).
         *
         * @param layer 1-based position in {@code gauss_newton_layers}
         * @param group the group's name (TorchScript), or null for an MLP's layer
         * @param estimate its trace
         */
        public record LayerEstimate(int layer, String group, Estimate estimate) {}

        /** Reads and checks the object {@code trace}. */
        static Trace parse(JsonObject o) throws MalformedRecordException {
            Map<Operator, Estimate> operators = new EnumMap<>(Operator.class);
            for (Operator op : Operator.values()) {
                JsonFields.notNull(o, op.wire(), "an object");
                JsonObject e = JsonFields.optObject(o, op.wire());
                if (e != null) {
                    operators.put(op, Estimate.parse("trace." + op.wire(), e, true));
                }
            }
            List<LayerEstimate> layers = new ArrayList<>();
            JsonFields.notNull(o, "gauss_newton_layers", "an array");
            JsonArray ls = JsonFields.optArray(o, "gauss_newton_layers");
            if (ls != null) {
                for (int i = 0; i < ls.size(); i++) {
                    String where = "trace.gauss_newton_layers[" + i + "]";
                    JsonElement e = ls.get(i);
                    if (!e.isJsonObject()) {
                        throw new MalformedRecordException("field '" + where + "' must be an object, got " + JsonFields.shown(e));
                    }
                    JsonObject l = e.getAsJsonObject();
                    Long n = JsonFields.optInteger(l, "layer");
                    JsonFields.notNull(l, "group", "a string");
                    String group = JsonFields.optString(l, "group");
                    if (n == null && group == null) {
                        throw new MalformedRecordException("field '" + where + "' must name its 'layer' or its 'group'");
                    }
                    if (n != null && n != i + 1) {
                        throw new MalformedRecordException("field '" + where + ".layer' must be " + (i + 1) + ", got " + n);
                    }
                    if (group != null) {
                        rule(() -> FieldRules.text(where + ".group", group, Stability.MOST_TEXT));
                    }
                    layers.add(new LayerEstimate(i + 1, group, Estimate.parse(where, l, false)));
                }
            }
            double share = JsonFields.number("trace.gauss_newton_share", o.get("gauss_newton_share"));
            Map<Operator, Double> top = new EnumMap<>(Operator.class);
            JsonFields.notNull(o, "top_share", "an object");
            JsonObject ts = JsonFields.optObject(o, "top_share");
            if (ts != null) {
                for (Operator op : Operator.values()) {
                    if (ts.has(op.wire())) {
                        top.put(op, JsonFields.number("trace.top_share." + op.wire(), ts.get(op.wire())));
                    }
                }
            }
            return new Trace(operators, layers, share, top);
        }
    }

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

        /** The spectrum of this JSON name, or null. */
        static Spectrum ofWire(String wire) {
            for (Spectrum s : values()) {
                if (s.wire.equals(wire)) {
                    return s;
                }
            }
            return null;
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
        FieldRules.step("step", step);
        FieldRules.time("time", time);
        if (analysisId == null || !JsonFields.ANALYSIS_ID.matcher(analysisId).matches()) {
            throw new IllegalArgumentException("analysis_id must match " + JsonFields.ANALYSIS_ID.pattern() + ", got '" + analysisId + "'");
        }
        spectra = spectra.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(spectra));
        values = values.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(values));
        layers = List.copyOf(layers);
        bounds = bounds.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(bounds));
        density = density.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(density));
        json = json == null ? new JsonObject() : JsonFields.finite(json).getAsJsonObject();
        json.remove("schema");
        json.addProperty("run", run);
        json.addProperty("step", step);
        JsonFields.put(json, "time", time);
        json.addProperty("analysis_id", analysisId);
    }

    /**
     * How much of one record a reader holds; a record over any bound is refused with the bound in the reason (the
     * gateway dead-letters and counts it). The defaults are generous for real models and keep one run's series in
     * the thousands: each layer becomes seven Prometheus series.
     *
     * @param maxLayers most {@code layers} of an MLP; default 256, ten times the depth of the deepest MLPs of edge of
     *     stability studies, and 1,792 layer series per run
     * @param maxGroups most {@code groups} of a TorchScript module (its parameterised submodules); default 1,024, over
     *     three times the 300-odd of a ResNet-152
     * @param maxEigenvalues most {@code eigenvalues} of a spectrum, and of its {@code residuals} and
     *     {@code verified_residuals}; default {@value ReplayRequest#MAX_TOP_K}, the largest {@code top_k} a replay asks for
     * @param maxItems most entries of every other array or object in the record, at any depth (extra fields,
     *     {@code stage_seconds}, a layer's quantities); default 1,024
     * @param maxDensityNodes most {@code nodes} (and {@code weights}) of one operator's spectral density, probes × Lanczos
     *     steps; default {@value #DEFAULT_DENSITY_NODES}, 64 probes of 256 steps (the analysis' default is 4 × 32 = 128).
     *     The gateway reads them once, into its buckets, and keeps only the curve
     */
    public record Limits(int maxLayers, int maxGroups, int maxEigenvalues, int maxItems, int maxDensityNodes) {
        /** The default of {@code maxDensityNodes}. */
        public static final int DEFAULT_DENSITY_NODES = 16_384;
        /** The defaults (see the parameters). */
        public static final Limits DEFAULTS = new Limits(256, 1024, ReplayRequest.MAX_TOP_K, 1024, DEFAULT_DENSITY_NODES);
        /** The largest value of any bound: 1,000,000. */
        public static final int MOST = 1_000_000;

        /** Limits with the default bound on density nodes. */
        public Limits(int maxLayers, int maxGroups, int maxEigenvalues, int maxItems) {
            this(maxLayers, maxGroups, maxEigenvalues, maxItems, DEFAULT_DENSITY_NODES);
        }

        /** Validates; messages name the gateway's options. */
        public Limits {
            check("--max-layers", maxLayers);
            check("--max-groups", maxGroups);
            check("--max-eigenvalues", maxEigenvalues);
            check("--max-record-items", maxItems);
            check("--max-density-nodes", maxDensityNodes);
        }

        private static void check(String option, int value) {
            if (value < 1 || value > MOST) {
                throw new IllegalArgumentException(option + " must be in 1.." + MOST + ", got " + value);
            }
        }

        void check(String field, int size, int bound, String option) throws MalformedRecordException {
            if (size > bound) {
                throw new MalformedRecordException((field.isEmpty() ? "the record" : "field '" + field + "'") + " has " + size
                        + " entries, over the bound of " + bound + " (" + option + ")");
            }
        }
    }

    /**
     * The typed writer: the metrics record of one analysis, checked by the same rules as {@link #parse} (the
     * analyzer publishes through it), so that it never writes what a reader refuses for its content. The
     * {@link Limits} are a reader's bounds and are not applied here: a record over a gateway's limits is
     * dead-lettered there, with the option to raise.
     *
     * @param analysis the analysis ({@code eos analyze}'s JSON); its {@code run}, {@code step}, {@code time} and
     *     {@code analysis_id}, if any, are replaced by the typed ones; non-finite numbers become null
     * @throws IllegalArgumentException naming the field that breaks a rule
     */
    public static MetricsRecord of(String run, long step, double time, String analysisId, JsonObject analysis) {
        JsonObject o = analysis == null ? new JsonObject() : JsonFields.finite(analysis).getAsJsonObject();
        o.addProperty("run", run);
        o.addProperty("step", FieldRules.step("step", step));
        JsonFields.put(o, "time", FieldRules.time("time", time));
        o.addProperty("analysis_id", analysisId);
        try {
            return parse(o, null);
        } catch (MalformedRecordException e) {
            throw new IllegalArgumentException("metrics record of " + run + "@" + step + ": " + e.getMessage(), e);
        }
    }

    /** Parses a {@code metrics} record's value within the {@link Limits#DEFAULTS}. */
    public static MetricsRecord parse(byte[] value) throws MalformedRecordException {
        return parse(value, Limits.DEFAULTS);
    }

    /** Parses a {@code metrics} record's value within {@code limits}. */
    public static MetricsRecord parse(byte[] value, Limits limits) throws MalformedRecordException {
        return parse(JsonFields.object(value), limits);
    }

    /** Parses a {@code metrics} record's JSON object within the {@link Limits#DEFAULTS}. */
    public static MetricsRecord parse(JsonObject value) throws MalformedRecordException {
        return parse(value, Limits.DEFAULTS);
    }

    /**
     * Parses a {@code metrics} record's JSON object: the {@link FieldRules}, the documented types, and {@code limits}
     * (null: unbounded, for the writer).
     */
    public static MetricsRecord parse(JsonObject value, Limits limits) throws MalformedRecordException {
        if (limits != null) {
            checkSizes(value, "", limits);
        }
        JsonObject o = value.deepCopy(); // whole numbers are rewritten below: never the caller's object
        JsonFields.schema(o);
        String run = JsonFields.name(o, "run", JsonFields.NAME);
        long step = rule(() -> FieldRules.step("step", JsonFields.integer(o, "step")));
        double time = rule(() -> FieldRules.time("time", JsonFields.number(o, "time")));
        String id = JsonFields.name(o, "analysis_id", JsonFields.ANALYSIS_ID);
        checkDocumented(o);
        Map<Spectrum, double[]> spectra = new EnumMap<>(Spectrum.class);
        Map<Spectrum, Bounds> bounds = new EnumMap<>(Spectrum.class);
        for (Spectrum s : Spectrum.values()) {
            JsonFields.notNull(o, s.wire(), "an object");
            JsonObject spectrum = JsonFields.optObject(o, s.wire());
            if (spectrum != null) {
                String where = s.wire() + ".";
                JsonFields.optNumbers(spectrum, where, "residuals");
                JsonFields.optNumbers(spectrum, where, "verified_residuals");
                Long products = JsonFields.wholeNumber(spectrum, "products");
                if (products != null) {
                    rule(() -> FieldRules.count(where + "products", products));
                }
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
                Bounds b = Bounds.parse(s, spectrum, top.length);
                if (b.residual.length > 0 || b.kato.length > 0) {
                    bounds.put(s, b);
                }
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
        JsonFields.notNull(o, "stability", "an object");
        JsonObject st = JsonFields.optObject(o, "stability");
        Stability stability = st == null ? null : Stability.parse(st);
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
        JsonFields.notNull(o, "density", "an object");
        JsonObject d = JsonFields.optObject(o, "density");
        Map<Operator, Density> density = new EnumMap<>(Operator.class);
        if (d != null) {
            for (Operator op : Operator.values()) {
                JsonFields.notNull(d, op.wire(), "an object");
                JsonObject e = JsonFields.optObject(d, op.wire());
                if (e != null) {
                    density.put(op, Density.parse(op, e));
                }
            }
        }
        JsonFields.notNull(o, "trace", "an object");
        JsonObject t = JsonFields.optObject(o, "trace");
        Trace trace = t == null ? null : Trace.parse(t);
        return new MetricsRecord(run, step, time, id, spectra, values, layers, o, stability, bounds, density, trace);
    }

    /**
     * Checks the types of the optional fields the API documents (openapi.yaml, schema Metrics), so that what
     * the gateway passes on keeps to it: numbers may be null (not finite), the others may not.
     */
    private static void checkDocumented(JsonObject o) throws MalformedRecordException {
        JsonFields.notNull(o, "model", "a string");
        JsonFields.optString(o, "model");
        for (String f : new String[] {"n", "classes", "parameters", "per_sample_n"}) {
            Long v = JsonFields.wholeNumber(o, f);
            if (v != null) {
                rule(() -> FieldRules.count(f, v));
            }
        }
        rule(() -> FieldRules.loss("loss", JsonFields.optNumber(o, "loss")));
        for (String f : new String[] {"lr", "eta_max"}) { // the snapshot's step sizes, passed on
            stepSize(o, f);
        }
        for (String f : new String[] {"seconds", "analysis_seconds"}) {
            rule(() -> FieldRules.seconds(f, JsonFields.optNumber(o, f)));
        }
        JsonFields.notNull(o, "stage_seconds", "an object");
        JsonObject stages = JsonFields.optObject(o, "stage_seconds");
        if (stages != null) {
            for (Map.Entry<String, JsonElement> e : stages.entrySet()) {
                String f = "stage_seconds." + e.getKey();
                rule(() -> FieldRules.seconds(f, JsonFields.number(f, e.getValue())));
            }
        }
        JsonFields.notNull(o, "layers", "an array");
    }

    /**
     * An optional step size passed on from the snapshot: a number (analyzers before the typed writer wrote the
     * metadata's text, such as {@code "0.05"}, which is read as the number it spells and rewritten as one).
     */
    private static void stepSize(JsonObject o, String field) throws MalformedRecordException {
        JsonElement e = o.get(field);
        if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            try {
                o.addProperty(field, new java.math.BigDecimal(e.getAsString()).doubleValue());
            } catch (NumberFormatException ex) {
                throw new MalformedRecordException("field '" + field + "' must be a number, got " + JsonFields.shown(e));
            }
        }
        rule(() -> FieldRules.stepSize(field, JsonFields.optNumber(o, field)));
    }

    /** A value read under a {@link FieldRules} rule: its refusal becomes the record's. */
    private interface Ruled<T> {
        T get() throws MalformedRecordException;
    }

    private static <T> T rule(Ruled<T> read) throws MalformedRecordException {
        try {
            return read.get();
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordException(e.getMessage());
        }
    }

    /** Checks the size of every array and object in {@code e} (at {@code path}) against {@code limits}. */
    private static void checkSizes(JsonElement e, String path, Limits limits) throws MalformedRecordException {
        if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            String leaf = path.substring(path.lastIndexOf('.') + 1);
            boolean spectrum = path.indexOf('.') > 0 && Spectrum.ofWire(path.substring(0, path.indexOf('.'))) != null
                    && path.indexOf('.') == path.lastIndexOf('.');
            if (path.equals("layers")) {
                limits.check(path, a.size(), limits.maxLayers(), "--max-layers");
            } else if (path.equals("groups")) {
                limits.check(path, a.size(), limits.maxGroups(), "--max-groups");
            } else if (spectrum && (leaf.equals("eigenvalues") || leaf.equals("residuals") || leaf.equals("verified_residuals")
                    || leaf.equals("residual_bounds") || leaf.equals("kato_temple_bounds"))) {
                limits.check(path, a.size(), limits.maxEigenvalues(), "--max-eigenvalues");
            } else if (path.matches("density\\.[a-z_]+\\.(nodes|weights)")) {
                limits.check(path, a.size(), limits.maxDensityNodes(), "--max-density-nodes");
            } else if (path.equals("trace.gauss_newton_layers")) { // per layer (MLP) or per group (TorchScript)
                boolean groups = !a.isEmpty() && a.get(0).isJsonObject() && a.get(0).getAsJsonObject().has("group");
                limits.check(path, a.size(), groups ? limits.maxGroups() : limits.maxLayers(), groups ? "--max-groups" : "--max-layers");
            } else {
                limits.check(path, a.size(), limits.maxItems(), "--max-record-items");
            }
            for (int i = 0; i < a.size(); i++) {
                checkSizes(a.get(i), path + "[" + i + "]", limits);
            }
        } else if (e.isJsonObject()) {
            JsonObject o = e.getAsJsonObject();
            limits.check(path, o.size(), limits.maxItems(), "--max-record-items");
            for (Map.Entry<String, JsonElement> m : o.entrySet()) {
                checkSizes(m.getValue(), path.isEmpty() ? m.getKey() : path + "." + m.getKey(), limits);
            }
        }
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

    /** The error bounds of a spectrum, {@link Bounds#NONE} when it has none. */
    public Bounds bounds(Spectrum s) {
        return bounds.getOrDefault(s, Bounds.NONE);
    }

    /** The spectral density of an operator, or null when this record has none. */
    public Density density(Operator op) {
        return density.get(op);
    }

    /** An operator's trace, NaN when this record has none (or it failed). */
    public double trace(Operator op) {
        return trace == null ? Double.NaN : trace.value(op);
    }

    /**
     * This record without its densities (the JSON's {@code density} and the typed ones): what a reader keeps of the many
     * records of a run's series once it has read the densities out (their nodes, weights and curves are most of a
     * record's size).
     */
    public MetricsRecord withoutDensity() {
        if (density.isEmpty() && !json.has("density")) {
            return this;
        }
        JsonObject slim = json.deepCopy();
        slim.remove("density");
        return new MetricsRecord(run, step, time, analysisId, spectra, values, layers, slim, stability, bounds, Map.of(), trace);
    }

    /** A layer's quantity (1-based layer), NaN when the layer or the quantity is absent. */
    public double layer(int layer, LayerField f) {
        return layer >= 1 && layer <= layers.size() ? layers.get(layer - 1).value(f) : Double.NaN;
    }
}
