package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.curvature.spectrum.DensityGrid;
import io.eoscope.wire.MetricsRecord.Density;
import io.eoscope.wire.MetricsRecord.Operator;
import io.eoscope.wire.MetricsRecord.Spectrum;
import io.eoscope.wire.MetricsRecord.Trace;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Issue 27's fields of a metrics record: the spectral densities, the traces and the spectra's error bounds, typed,
 * checked field by field and bounded; hand-made records (the analyzer writes them through the same rules).
 */
class MetricsRecordDensityTest {
    /** Two probes of two nodes: 𝓗's spectral measure as SLQ reports it. */
    static final double[] NODES = {-0.5, 2.0, 0.001, 40.0};
    static final double[] WEIGHTS = {0.1, 0.4, 0.3, 0.2};

    /** The object {@code density.<operator>} of these nodes and weights, its curve smoothed on the fixed grid. */
    static JsonObject density(double[] nodes, double[] weights, int probes, int steps) {
        JsonObject d = new JsonObject();
        d.addProperty("probes", probes);
        d.addProperty("steps", steps);
        d.addProperty("products", probes * steps);
        d.add("nodes", array(nodes));
        d.add("weights", array(weights));
        d.add("curve", array(DensityGrid.smooth(nodes, weights)));
        JsonObject grid = new JsonObject();
        grid.addProperty("scale", 0.001);
        grid.addProperty("u_min", -7.0);
        grid.addProperty("u_step", 0.1);
        grid.addProperty("sigma_u", 0.1);
        d.add("grid", grid);
        return d;
    }

    static JsonArray array(double[] v) {
        JsonArray a = new JsonArray();
        for (double x : v) {
            a.add(x);
        }
        return a;
    }

    static final String TRACE = "{\"hessian\":{\"value\":12.3,\"interval\":[11.9,12.7],\"coverage\":0.95,\"method\":\"hutch++\","
            + "\"products\":30,\"probes\":10},\"gauss_newton\":{\"value\":10.1,\"interval\":[10.1,10.1],\"coverage\":1.0,"
            + "\"method\":\"exact\",\"products\":0,\"gradient_equivalents\":10},\"gauss_newton_layers\":[{\"layer\":1,\"value\":6.1,"
            + "\"interval\":[6.1,6.1],\"method\":\"exact\"},{\"layer\":2,\"value\":4.0,\"interval\":[4.0,4.0],\"method\":\"exact\"}],"
            + "\"gauss_newton_share\":0.82,\"top_share\":{\"hessian\":0.5,\"gauss_newton\":null}}";

    /** A record of MetricsRecordTest's analysis with bounds on 𝓗's eigenvalues, both densities and the traces. */
    static JsonObject full() {
        JsonObject o = JsonParser.parseString(MetricsRecordTest.ANALYSIS).getAsJsonObject();
        JsonObject h = o.getAsJsonObject("hessian");
        h.add("residual_bounds", array(new double[] {1e-3, 2e-2}));
        JsonArray kato = new JsonArray();
        kato.add(3e-8);
        kato.add(com.google.gson.JsonNull.INSTANCE);
        h.add("kato_temple_bounds", kato);
        JsonObject d = new JsonObject();
        d.add("hessian", density(NODES, WEIGHTS, 2, 2));
        d.add("gauss_newton", density(new double[] {0.0, 39.0}, new double[] {0.75, 0.25}, 1, 2));
        o.add("density", d);
        o.add("trace", JsonParser.parseString(TRACE));
        return o;
    }

    static MetricsRecord parse(JsonObject o) throws MalformedRecordException {
        return MetricsRecord.parse(o.toString().getBytes(StandardCharsets.UTF_8));
    }

    static String reason(JsonObject o) {
        return reason(o, MetricsRecord.Limits.DEFAULTS);
    }

    static String reason(JsonObject o, MetricsRecord.Limits limits) {
        try {
            MetricsRecord.parse(o.toString().getBytes(StandardCharsets.UTF_8), limits);
        } catch (MalformedRecordException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + o.toString().substring(0, Math.min(300, o.toString().length())));
    }

    static JsonObject hessianDensity(JsonObject o) {
        return o.getAsJsonObject("density").getAsJsonObject("hessian");
    }

    @Test
    void densitiesTracesAndBoundsAreTyped() throws Exception {
        MetricsRecord m = parse(full());
        Density h = m.density(Operator.HESSIAN);
        assertThat(h.probes()).isEqualTo(2);
        assertThat(h.steps()).isEqualTo(2);
        assertThat(h.products()).isEqualTo(4);
        assertThat(h.nodes()).containsExactly(NODES);
        assertThat(h.weights()).containsExactly(WEIGHTS);
        assertThat(h.curve()).hasSize(141);
        assertThat(h.failed()).isFalse();
        // the mass at or below λ, summed by hand from the nodes and weights above
        assertThat(h.cumulativeMass(-1)).isEqualTo(0.0);
        assertThat(h.cumulativeMass(-0.5)).isCloseTo(0.1, within(1e-15));
        assertThat(h.cumulativeMass(0.001)).isCloseTo(0.4, within(1e-15));
        assertThat(h.cumulativeMass(10)).isCloseTo(0.8, within(1e-15));
        assertThat(h.cumulativeMass(Double.POSITIVE_INFINITY)).isCloseTo(1.0, within(1e-15));
        assertThat(m.density(Operator.GAUSS_NEWTON).cumulativeMass(0)).isEqualTo(0.75);
        Trace t = m.trace();
        assertThat(t.value(Operator.HESSIAN)).isEqualTo(12.3);
        assertThat(t.estimate(Operator.HESSIAN).low()).isEqualTo(11.9);
        assertThat(t.estimate(Operator.HESSIAN).high()).isEqualTo(12.7);
        assertThat(t.estimate(Operator.HESSIAN).coverage()).isEqualTo(0.95);
        assertThat(t.estimate(Operator.HESSIAN).probes()).isEqualTo(10);
        assertThat(t.estimate(Operator.GAUSS_NEWTON).method()).isEqualTo("exact");
        assertThat(t.estimate(Operator.GAUSS_NEWTON).gradientEquivalents()).isEqualTo(10);
        assertThat(m.trace(Operator.GAUSS_NEWTON)).isEqualTo(10.1);
        assertThat(t.layers()).hasSize(2);
        assertThat(t.layers().get(1).estimate().value()).isEqualTo(4.0);
        assertThat(t.gaussNewtonShare()).isEqualTo(0.82);
        assertThat(t.topShare().get(Operator.HESSIAN)).isEqualTo(0.5);
        assertThat(t.topShare().get(Operator.GAUSS_NEWTON)).isNaN();
        assertThat(m.bounds(Spectrum.HESSIAN).residual()).containsExactly(1e-3, 2e-2);
        assertThat(m.bounds(Spectrum.HESSIAN).kato()[0]).isEqualTo(3e-8);
        assertThat(m.bounds(Spectrum.HESSIAN).kato()[1]).isNaN();
        assertThat(m.bounds(Spectrum.GAUSS_NEWTON).residual()).isEmpty();
        // round trip through the typed writer, and a record without any of them as before
        assertThat(MetricsRecord.parse(m.toJson()).toJson()).isEqualTo(m.toJson());
        MetricsRecord written = MetricsRecord.of("r1", 20, 0.8, "heavy", full());
        assertThat(written.density(Operator.HESSIAN).curve()).containsExactly(h.curve());
        MetricsRecord plain = MetricsRecordTest.parse(MetricsRecordTest.ANALYSIS);
        assertThat(plain.density()).isEmpty();
        assertThat(plain.trace()).isNull();
        assertThat(plain.trace(Operator.HESSIAN)).isNaN();
        // what a reader keeps per step: the record without its densities, the rest intact
        MetricsRecord slim = m.withoutDensity();
        assertThat(slim.density()).isEmpty();
        assertThat(slim.toJson().has("density")).isFalse();
        assertThat(slim.trace(Operator.HESSIAN)).isEqualTo(12.3);
        assertThat(slim.top(Spectrum.HESSIAN)).isEqualTo(45.0);
        assertThat(m.toJson().has("density")).isTrue();
    }

    @Test
    void aFailedDensityOrTraceCarriesItsReasonAndNoNumbers() throws Exception {
        JsonObject o = full();
        JsonObject failed = new JsonObject();
        failed.addProperty("probes", 4);
        failed.addProperty("steps", 32);
        failed.addProperty("products", 7);
        failed.addProperty("failure", "Lanczos broke down");
        o.getAsJsonObject("density").add("gauss_newton", failed);
        o.getAsJsonObject("trace").add("hessian", JsonParser.parseString("{\"value\":null,\"interval\":[null,null],\"coverage\":null,"
                + "\"method\":\"hutch++\",\"products\":3,\"failure\":\"a product was not finite\"}"));
        MetricsRecord m = parse(o);
        assertThat(m.density(Operator.GAUSS_NEWTON).failed()).isTrue();
        assertThat(m.density(Operator.GAUSS_NEWTON).cumulativeMass(1)).isNaN();
        assertThat(m.density(Operator.GAUSS_NEWTON).curve()).isEmpty();
        assertThat(m.trace(Operator.HESSIAN)).isNaN();
        assertThat(m.trace().estimate(Operator.HESSIAN).failure()).isEqualTo("a product was not finite");
        failed.add("nodes", array(new double[] {1}));
        failed.add("weights", array(new double[] {1}));
        assertThat(reason(o)).isEqualTo("field 'density.gauss_newton.nodes' must be empty when the density failed");
    }

    @Test
    void eachDensityFieldKeepsItsRule() {
        JsonObject o = full();
        hessianDensity(o).addProperty("probes", 0);
        assertThat(reason(o)).isEqualTo("field 'density.hessian.probes' must be a whole number ≥ 1, got 0");
        o = full();
        hessianDensity(o).addProperty("steps", 1.5);
        assertThat(reason(o)).startsWith("field 'steps' must be a whole number");
        o = full();
        hessianDensity(o).remove("products");
        assertThat(reason(o)).isEqualTo("missing field 'density.hessian.products'");
        o = full();
        hessianDensity(o).addProperty("steps", 1); // 4 nodes from 2 probes of 1 step
        assertThat(reason(o)).isEqualTo("field 'density.hessian.nodes' has 4 entries, more than probes × steps = 2");
        o = full();
        hessianDensity(o).add("weights", array(new double[] {0.1, 0.4, 0.3}));
        assertThat(reason(o)).isEqualTo("field 'density.hessian.weights' must have one weight per node: 4 nodes, 3 weights");
        o = full();
        hessianDensity(o).add("weights", array(new double[] {0.1, 0.4, 0.3, 0.3}));
        assertThat(reason(o)).startsWith("field 'density.hessian.weights' must sum to 1 (within 1.0E-6), got 1.1");
        o = full();
        hessianDensity(o).add("weights", array(new double[] {-0.1, 0.6, 0.3, 0.2}));
        assertThat(reason(o)).isEqualTo("field 'density.hessian.weights[0]' must be a finite number ≥ 0, got -0.1");
        o = full();
        hessianDensity(o).getAsJsonArray("nodes").set(2, com.google.gson.JsonNull.INSTANCE);
        assertThat(reason(o)).isEqualTo("field 'density.hessian.nodes[2]' must be a finite number, got null");
        o = full();
        hessianDensity(o).getAsJsonArray("nodes").set(2, new com.google.gson.JsonPrimitive("x"));
        assertThat(reason(o)).startsWith("field 'density.hessian.nodes[2]' must be a number or null");
        o = full();
        hessianDensity(o).getAsJsonArray("curve").remove(140);
        assertThat(reason(o)).isEqualTo("field 'density.hessian.curve' must have 141 numbers (the density grid's points), got 140");
        // a curve that is not the smoothing of its own nodes and weights: two pictures of one density
        o = full();
        JsonArray curve = hessianDensity(o).getAsJsonArray("curve");
        int peak = (int) Math.round((DensityGrid.u(40.0) - DensityGrid.U_MIN) / DensityGrid.U_STEP);
        curve.set(peak, new com.google.gson.JsonPrimitive(curve.get(peak).getAsDouble() * 1.01));
        assertThat(reason(o)).startsWith("field 'density.hessian.curve[" + peak + "]' must be the smoothing of the nodes and weights");
        o = full();
        hessianDensity(o).getAsJsonObject("grid").addProperty("scale", 0.01);
        assertThat(reason(o)).isEqualTo("field 'density.hessian.grid.scale' must be 0.001 (the fixed density grid), got 0.01");
        o = full();
        hessianDensity(o).remove("curve");
        assertThat(reason(o)).isEqualTo("missing field 'density.hessian.curve' (a density that failed says why in 'failure')");
        o = full();
        o.add("density", new com.google.gson.JsonPrimitive(3));
        assertThat(reason(o)).isEqualTo("field 'density' must be an object, got 3");
        o = full();
        o.getAsJsonObject("density").add("hessian", com.google.gson.JsonNull.INSTANCE);
        assertThat(reason(o)).isEqualTo("field 'hessian' must be an object, got null");
        // the typed writer refuses what a reader refuses
        JsonObject bad = full();
        hessianDensity(bad).addProperty("probes", 0);
        assertThatThrownBy(() -> MetricsRecord.of("r1", 20, 0.8, "heavy", bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("field 'density.hessian.probes'");
    }

    @Test
    void eachTraceFieldKeepsItsRule() {
        String[][] cases = {
            {"\"method\":\"hutch++\"", "\"method\":\"hutchinson\"", "field 'trace.hessian.method' must be one of hutch++, exact, got 'hutchinson'"},
            {"[11.9,12.7]", "[12.7,11.9]", "field 'trace.hessian.interval' must be [low, high], two finite numbers with low ≤ value ≤ high, got [12.7, 11.9] around 12.3"},
            {"[11.9,12.7]", "[12.4,12.7]", "field 'trace.hessian.interval' must be [low, high], two finite numbers with low ≤ value ≤ high, got [12.4, 12.7] around 12.3"},
            {"[11.9,12.7]", "[11.9]", "field 'trace.hessian.interval' must be [low, high], got [11.9]"},
            {"\"coverage\":0.95", "\"coverage\":1.5", "field 'trace.hessian.coverage' must be a coverage in (0, 1], got 1.5"},
            {"\"coverage\":0.95,", "", "missing field 'trace.hessian.coverage'"},
            {"\"value\":12.3", "\"value\":null", "field 'trace.hessian.value' must be a finite number (a trace that failed says why in 'failure'), got null"},
            {"\"products\":30", "\"products\":-30", "field 'trace.hessian.products' must be a count ≥ 0, got -30"},
            {"[10.1,10.1]", "[10.0,10.2]", "field 'trace.gauss_newton.interval' of an exact trace must be [value, value], got [10.0, 10.2]"},
            {"\"coverage\":1.0,", "\"coverage\":0.9,", "field 'trace.gauss_newton.coverage' of an exact trace must be 1, got 0.9"},
            {"{\"layer\":2,", "{\"layer\":5,", "field 'trace.gauss_newton_layers[1].layer' must be 2, got 5"},
            {"{\"layer\":2,", "{", "field 'trace.gauss_newton_layers[1]' must name its 'layer' or its 'group'"},
            {"\"gauss_newton_share\":0.82", "\"gauss_newton_share\":\"x\"", "field 'trace.gauss_newton_share' must be a number or null, got \"x\""},
            {"\"top_share\":{", "\"top_share\":[{", null},
        };
        for (String[] c : cases) {
            JsonObject o = full();
            String trace = TRACE.replace(c[0], c[1]);
            assertThat(trace).as(c[0]).isNotEqualTo(TRACE);
            if (c[2] == null) {
                trace = trace.replace("null}}", "null}]}");
                o.add("trace", JsonParser.parseString(trace));
                assertThat(reason(o)).startsWith("field 'top_share' must be an object");
                continue;
            }
            o.add("trace", JsonParser.parseString(trace));
            assertThat(reason(o)).as(c[1]).isEqualTo(c[2]);
        }
        JsonObject o = full();
        o.add("trace", com.google.gson.JsonNull.INSTANCE);
        assertThat(reason(o)).isEqualTo("field 'trace' must be an object, got null");
        // a TorchScript module's groups are named instead of numbered
        JsonObject scripted = full();
        scripted.add("trace", JsonParser.parseString(TRACE.replace("{\"layer\":1,", "{\"group\":\"conv1\",")
                .replace("{\"layer\":2,", "{\"group\":\"head\",")));
        assertThat(reasonOrNull(scripted)).isNull();
    }

    static String reasonOrNull(JsonObject o) {
        try {
            parse(o);
            return null;
        } catch (MalformedRecordException e) {
            return e.getMessage();
        }
    }

    @Test
    void eachBoundKeepsItsRule() {
        JsonObject o = full();
        o.getAsJsonObject("hessian").add("residual_bounds", array(new double[] {-1e-3, 2e-2}));
        assertThat(reason(o)).startsWith("field 'hessian.residual_bounds[0]' must be an error bound: a finite number ≥ 0");
        o = full();
        o.getAsJsonObject("hessian").add("kato_temple_bounds", array(new double[] {1, 2, 3}));
        assertThat(reason(o)).isEqualTo("field 'hessian.kato_temple_bounds' has 3 entries, more than the 2 eigenvalues");
        o = full();
        o.getAsJsonObject("hessian").add("residual_bounds", com.google.gson.JsonNull.INSTANCE);
        assertThat(reason(o)).isEqualTo("field 'residual_bounds' must be an array of numbers, got null");
        o = full();
        o.getAsJsonObject("hessian").add("residual_bounds", new com.google.gson.JsonPrimitive("small"));
        assertThat(reason(o)).isEqualTo("field 'residual_bounds' must be an array, got \"small\"");
    }

    /** The nodes (a reader's largest new list) have a bound of their own; the others keep theirs. */
    @Test
    void theNewListsAreBoundedSayingWhichBound() throws Exception {
        int n = 200;
        double[] nodes = new double[n];
        double[] weights = new double[n];
        for (int i = 0; i < n; i++) {
            nodes[i] = i * 0.5 - 10;
            weights[i] = 1.0 / n;
        }
        JsonObject o = full();
        o.getAsJsonObject("density").add("hessian", density(nodes, weights, 10, 20));
        assertThat(parse(o).density(Operator.HESSIAN).nodes()).hasSize(200);
        MetricsRecord.Limits tight = new MetricsRecord.Limits(256, 1024, 1000, 1024, 199);
        assertThat(reason(o, tight)).isEqualTo("field 'density.hessian.nodes' has 200 entries, over the bound of 199 (--max-density-nodes)");
        assertThat(MetricsRecord.parse(o.toString().getBytes(StandardCharsets.UTF_8), new MetricsRecord.Limits(256, 1024, 1000, 1024, 200))
                .density(Operator.HESSIAN).nodes()).hasSize(200);
        assertThat(MetricsRecord.Limits.DEFAULTS.maxDensityNodes()).isEqualTo(16_384);
        assertThat(new MetricsRecord.Limits(1, 2, 3, 4).maxDensityNodes()).isEqualTo(16_384);
        assertThatThrownBy(() -> new MetricsRecord.Limits(1, 1, 1, 1, 0)).hasMessage("--max-density-nodes must be in 1..1000000, got 0");
        // bounds follow --max-eigenvalues, tr(Gˡ) per layer --max-layers (per group --max-groups)
        JsonObject b = full();
        b.getAsJsonObject("hessian").add("residual_bounds", array(new double[3]));
        assertThat(reason(b, new MetricsRecord.Limits(256, 1024, 2, 1024, 100)))
                .isEqualTo("field 'hessian.residual_bounds' has 3 entries, over the bound of 2 (--max-eigenvalues)");
        assertThat(reason(full(), new MetricsRecord.Limits(1, 1024, 1000, 1024, 100)))
                .isEqualTo("field 'layers' has 2 entries, over the bound of 1 (--max-layers)");
        JsonObject l = full();
        l.remove("layers");
        assertThat(reason(l, new MetricsRecord.Limits(1, 1024, 1000, 1024, 100)))
                .isEqualTo("field 'trace.gauss_newton_layers' has 2 entries, over the bound of 1 (--max-layers)");
    }
}
