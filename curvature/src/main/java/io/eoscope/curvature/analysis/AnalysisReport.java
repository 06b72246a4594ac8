package io.eoscope.curvature.analysis;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.eoscope.curvature.alignment.AlignmentReport;
import io.eoscope.curvature.alignment.LayerAlignment;
import io.eoscope.curvature.hessian.Curvature;
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
 */
public record AnalysisReport(double loss, int n, int classes, long parameters, Map<Curvature, Spectrum> spectra,
        AlignmentReport alignment, List<GroupCurvature> groups, Map<String, Object> info, Stability stability) {

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
        return null;
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
