package io.eoscope.curvature.analysis;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.eoscope.curvature.alignment.AlignmentReport;
import io.eoscope.curvature.alignment.LayerAlignment;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.spectrum.DensityGrid;
import io.eoscope.curvature.spectrum.SpectralDensity;
import io.eoscope.curvature.spectrum.TraceEstimate;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The result of one analysis, serialised exactly as docs/contracts.md#eos-analyze-json (plus extra fields).
 *
 * @param loss L̃(θ)
 * @param n N
 * @param classes C
 * @param parameters P
 * @param spectra the spectra computed
 * @param alignment the alignment quantities (MLPs), or null when not computed
 * @param groups λ_max of each layer's Gauss-Newton block (models other than MLPs), or null when not computed
 * @param info extra descriptive fields (dtype, device, solver, product_route, seconds, stage_seconds, …)
 * @param stability the run against its optimizer's edge, or null when the model's metadata name no optimizer or step size
 * @param densities the spectral density of 𝓗 and of G where computed on this snapshot (empty: none)
 * @param traces the traces, or null when not computed on this snapshot
 */
public record AnalysisReport(double loss, int n, int classes, long parameters, Map<Curvature, Spectrum> spectra,
        AlignmentReport alignment, List<GroupCurvature> groups, Map<String, Object> info, Stability stability,
        Map<Curvature, SpectralDensity> densities, Traces traces) {

    /** Copies. */
    public AnalysisReport {
        densities = densities.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(densities));
    }

    /** A report without the density and the traces. */
    public AnalysisReport(double loss, int n, int classes, long parameters, Map<Curvature, Spectrum> spectra,
            AlignmentReport alignment, List<GroupCurvature> groups, Map<String, Object> info, Stability stability) {
        this(loss, n, classes, parameters, spectra, alignment, groups, info, stability, Map.of(), null);
    }

    /** A report without stability. */
    public AnalysisReport(double loss, int n, int classes, long parameters, Map<Curvature, Spectrum> spectra,
            AlignmentReport alignment, List<GroupCurvature> groups, Map<String, Object> info) {
        this(loss, n, classes, parameters, spectra, alignment, groups, info, null);
    }

    /** A report without group blocks (an MLP's, or one computed without --layerwise). */
    public AnalysisReport(double loss, int n, int classes, long parameters, Map<Curvature, Spectrum> spectra,
            AlignmentReport alignment, Map<String, Object> info) {
        this(loss, n, classes, parameters, spectra, alignment, null, info);
    }

    /** The JSON object of docs/contracts.md#eos-analyze-json; non-finite numbers are written as null. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.add("loss", number(loss));
        o.addProperty("n", n);
        o.addProperty("classes", classes);
        o.addProperty("parameters", parameters);
        for (Curvature c : Curvature.values()) {
            Spectrum s = spectra.get(c);
            if (s != null) {
                JsonObject j = new JsonObject();
                j.add("eigenvalues", array(s.eigenvalues()));
                j.add("residuals", array(s.residuals()));
                j.add("verified_residuals", array(s.verifiedResiduals()));
                j.add("residual_bounds", array(s.residualBounds()));
                j.add("kato_temple_bounds", array(s.katoTempleBounds()));
                j.addProperty("products", s.products());
                j.addProperty("converged", s.converged());
                j.addProperty("warm_started", s.warmStarted());
                if (s.failure() != null) {
                    j.addProperty("failure", s.failure());
                }
                o.add(c.id(), j);
            }
        }
        Spectrum g = spectra.get(Curvature.GAUSS_NEWTON);
        if (g != null) {
            o.add("rho_K", number(g.top()));
        }
        if (alignment != null) {
            o.add("K_max_sq_mean", number(alignment.kMaxSqMean()));
            JsonArray layers = new JsonArray();
            for (LayerAlignment l : alignment.layers()) {
                JsonObject j = new JsonObject();
                j.addProperty("layer", l.layer());
                j.add("gauss_newton_top", number(l.gaussNewtonTop()));
                j.add("K_max_sq_mean", number(l.kMaxSqMean()));
                j.add("pi_chi", number(l.piChi()));
                j.add("p_chi_delta", number(l.pChiDelta()));
                j.add("pi_J", number(l.piJ()));
                j.add("p_delta_J", number(l.pDeltaJ()));
                j.add("delta_L_max_sq_mean", number(l.deltaLMaxSqMean()));
                j.add("delta_max_sq_mean", number(l.deltaMaxSqMean()));
                layers.add(j);
            }
            o.add("layers", layers);
            o.addProperty("per_sample_n", alignment.samples());
            o.addProperty("layer_spectra_route", alignment.layerSpectraRoute());
        }
        if (groups != null) {
            JsonArray a = new JsonArray();
            for (GroupCurvature group : groups) {
                JsonObject j = new JsonObject();
                j.addProperty("group", group.group());
                j.addProperty("parameters", group.parameters());
                j.add("gauss_newton_top", number(group.gaussNewtonTop()));
                j.add("residual", number(group.residual()));
                j.addProperty("converged", group.converged());
                j.addProperty("products", group.products());
                if (group.failure() != null) {
                    j.addProperty("failure", group.failure());
                }
                a.add(j);
            }
            o.add("groups", a);
        }
        if (stability != null) {
            o.add("stability", stability(stability));
        }
        if (!densities.isEmpty()) {
            JsonObject d = new JsonObject();
            densities.forEach((c, density) -> d.add(c.id(), density(density)));
            o.add("density", d);
        }
        if (traces != null) {
            o.add("trace", traces(traces, spectra));
        }
        for (Map.Entry<String, Object> e : info.entrySet()) {
            o.add(e.getKey(), value(e.getValue()));
        }
        return o;
    }

    /** The {@code stability} object of docs/contracts.md#eos-analyze-json. */
    private static JsonObject stability(Stability s) {
        JsonObject j = new JsonObject();
        j.addProperty("optimizer", s.optimizer().id());
        j.addProperty("quantity", s.quantity().id());
        j.add("value", number(s.value()));
        j.add("threshold", number(s.threshold()));
        j.addProperty("formula", s.formula());
        j.add("ratio", number(s.ratio()));
        if (s.hasInterval()) {
            j.add("interval", array(new double[] {s.low(), s.high()}));
        }
        if (s.batches() > 0) {
            j.addProperty("batches", s.batches());
        }
        j.addProperty("products", s.products());
        if (!Double.isNaN(s.sharpness())) {
            j.add("sharpness", number(s.sharpness()));
        }
        if (s.note() != null) {
            j.addProperty("note", s.note());
        }
        if (s.failure() != null) {
            j.addProperty("failure", s.failure());
        }
        return j;
    }

    /** One operator's object of {@code density} (docs/contracts.md#eos-analyze-json). */
    private static JsonObject density(SpectralDensity d) {
        JsonObject j = new JsonObject();
        j.addProperty("probes", d.probes());
        j.addProperty("steps", d.steps());
        j.addProperty("products", d.products());
        j.add("nodes", array(d.nodes()));
        j.add("weights", array(d.weights()));
        j.add("curve", array(d.curve()));
        JsonObject grid = new JsonObject();
        grid.addProperty("scale", DensityGrid.SCALE);
        grid.addProperty("u_min", DensityGrid.U_MIN);
        grid.addProperty("u_step", DensityGrid.U_STEP);
        grid.addProperty("sigma_u", DensityGrid.SIGMA_U);
        j.add("grid", grid);
        if (d.failure() != null) {
            j.addProperty("failure", d.failure());
        }
        return j;
    }

    /** The object {@code trace} (docs/contracts.md#eos-analyze-json). */
    private static JsonObject traces(Traces t, Map<Curvature, Spectrum> spectra) {
        JsonObject j = new JsonObject();
        JsonObject top = new JsonObject();
        if (t.hessian() != null) {
            j.add(Curvature.HESSIAN.id(), trace(t.hessian()));
            top.add(Curvature.HESSIAN.id(), share(spectra.get(Curvature.HESSIAN), t.hessian()));
        }
        if (t.gaussNewton() != null) {
            JsonObject g = trace(t.gaussNewton());
            if (t.gradientEquivalents() > 0) {
                g.addProperty("gradient_equivalents", t.gradientEquivalents());
            }
            j.add(Curvature.GAUSS_NEWTON.id(), g);
            top.add(Curvature.GAUSS_NEWTON.id(), share(spectra.get(Curvature.GAUSS_NEWTON), t.gaussNewton()));
            JsonArray layers = new JsonArray();
            for (Traces.LayerTrace l : t.layers()) {
                JsonObject x = trace(l.trace());
                if (l.group() == null) {
                    x.addProperty("layer", l.layer());
                } else {
                    x.addProperty("group", l.group());
                }
                layers.add(x);
            }
            j.add("gauss_newton_layers", layers);
        }
        j.add("gauss_newton_share", number(t.gaussNewtonShare()));
        j.add("top_share", top);
        return j;
    }

    /** λmax/tr, null when either is unknown. */
    private static com.google.gson.JsonElement share(Spectrum s, TraceEstimate trace) {
        return number(s == null ? Double.NaN : s.top() / trace.value());
    }

    private static JsonObject trace(TraceEstimate t) {
        JsonObject j = new JsonObject();
        j.add("value", number(t.value()));
        j.add("interval", array(new double[] {t.low(), t.high()}));
        j.add("coverage", number(t.coverage()));
        j.addProperty("method", t.method());
        j.addProperty("products", t.products());
        if (t.probes() > 0) {
            j.addProperty("probes", t.probes());
        }
        if (t.failure() != null) {
            j.addProperty("failure", t.failure());
        }
        return j;
    }

    /**
     * Why this report holds no trustworthy numbers for some spectrum ("hessian: …", the first failed
     * spectrum), or null when every spectrum was computed.
     */
    public String failure() {
        for (Curvature c : Curvature.values()) {
            Spectrum s = spectra.get(c);
            if (s != null && s.failure() != null) {
                return c.id() + " spectrum: " + s.failure();
            }
        }
        if (stability != null && stability.failure() != null) {
            return stability.quantity().id() + ": " + stability.failure();
        }
        for (GroupCurvature g : groups == null ? List.<GroupCurvature>of() : groups) {
            if (g.failure() != null) {
                return "Gauss-Newton block of layer " + g.group() + ": " + g.failure();
            }
        }
        for (Map.Entry<Curvature, SpectralDensity> d : densities.entrySet()) {
            if (d.getValue().failed()) {
                return "density of " + d.getKey().id() + ": " + d.getValue().failure();
            }
        }
        return traces == null ? null : traces.failure();
    }

    /** Pretty JSON text. */
    public String toJsonText() {
        return new GsonBuilder().setPrettyPrinting().create().toJson(toJson());
    }

    /** A number (null when not finite), a map of them as an object (stage_seconds), anything else as a string. */
    private static com.google.gson.JsonElement value(Object v) {
        if (v instanceof Number n) {
            return number(n.doubleValue());
        }
        if (v instanceof Map<?, ?> m) {
            JsonObject o = new JsonObject();
            m.forEach((k, x) -> o.add(String.valueOf(k), value(x)));
            return o;
        }
        return new JsonPrimitive(String.valueOf(v));
    }

    private static JsonArray array(double[] values) {
        JsonArray a = new JsonArray();
        for (double v : values) {
            a.add(number(v));
        }
        return a;
    }

    private static com.google.gson.JsonElement number(double v) {
        if (!Double.isFinite(v)) {
            return JsonNull.INSTANCE;
        }
        return new JsonPrimitive(v);
    }
}
