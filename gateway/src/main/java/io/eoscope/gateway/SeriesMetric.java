package io.eoscope.gateway;

import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.MetricsRecord.LayerField;
import io.eoscope.wire.MetricsRecord.Quantity;
import io.eoscope.wire.MetricsRecord.Spectrum;
import io.eoscope.wire.TelemetryRecord;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place where the API's metric names ({@code ?metric=} of the series and power-law endpoints) are
 * resolved to typed quantities: telemetry fields ({@code loss}, {@code accuracy}, {@code step_size},
 * {@code sharpness}, and the trainer's {@code stability}, {@code stability_threshold}, {@code stability_ratio}); the top eigenvalue of a spectrum ({@code hessian}, {@code gauss_newton},
 * {@code residual}); {@code rho_K}, {@code K_max_sq_mean}; the traces {@code trace_hessian} (with its interval's ends
 * {@code trace_hessian_low} and {@code trace_hessian_high}), {@code trace_gauss_newton} and {@code gauss_newton_share}
 * tr(G)/tr(𝓗), on the snapshots that computed them; layer fields as {@code layerL.FIELD} (for
 * example {@code layer1.p_delta_J}). An unknown name is refused with the list of known ones.
 *
 * @param name the name as asked
 * @param fromTelemetry whether the series comes from the telemetry topic (else from the metrics topic)
 * @param onTelemetry the value of a telemetry step (NaN when it has none), for telemetry metrics
 * @param onAnalysis the value of an analysis (NaN when it has none); for {@code loss}, the analysis' own loss
 */
public record SeriesMetric(String name, boolean fromTelemetry, ToDoubleFunction<TelemetryRecord.Step> onTelemetry,
        ToDoubleFunction<MetricsRecord> onAnalysis) {

    private static final Pattern LAYER = Pattern.compile("layer([1-9][0-9]{0,3})\\.([A-Za-z_]+)");
    private static final Map<String, ToDoubleFunction<TelemetryRecord.Step>> TELEMETRY = Map.of(
            "loss", TelemetryRecord.Step::loss,
            "accuracy", TelemetryRecord.Step::accuracy,
            "step_size", TelemetryRecord.Step::stepSize,
            "sharpness", TelemetryRecord.Step::sharpness,
            "stability", TelemetryRecord.Step::stability,
            "stability_threshold", TelemetryRecord.Step::stabilityThreshold,
            "stability_ratio", TelemetryRecord.Step::stabilityRatio);
    private static final ToDoubleFunction<TelemetryRecord.Step> NONE = s -> Double.NaN;
    /** The trace series, from the analyses that computed a trace (NaN, no point, on the others). */
    private static final Map<String, ToDoubleFunction<MetricsRecord>> TRACES = Map.of(
            "trace_hessian", m -> m.trace(MetricsRecord.Operator.HESSIAN),
            "trace_hessian_low", m -> traceEnd(m, MetricsRecord.Operator.HESSIAN, false),
            "trace_hessian_high", m -> traceEnd(m, MetricsRecord.Operator.HESSIAN, true),
            "trace_gauss_newton", m -> m.trace(MetricsRecord.Operator.GAUSS_NEWTON),
            "gauss_newton_share", m -> m.trace() == null ? Double.NaN : m.trace().gaussNewtonShare());

    /** What the error message lists. */
    static final String KNOWN = "loss, accuracy, step_size, sharpness, stability, stability_threshold, stability_ratio, hessian, "
            + "gauss_newton, residual, rho_K, K_max_sq_mean, trace_hessian, trace_hessian_low, trace_hessian_high, "
            + "trace_gauss_newton, gauss_newton_share "
            + "or layerL.FIELD with FIELD one of gauss_newton_top, K_max_sq_mean, pi_chi, p_chi_delta, pi_J, p_delta_J, "
            + "delta_L_max_sq_mean";

    /**
     * Resolves a metric name.
     *
     * @throws IllegalArgumentException naming the known metrics when {@code name} is not one
     */
    public static SeriesMetric of(String name) {
        if (name == null) {
            throw new IllegalArgumentException("give ?metric=NAME: " + KNOWN);
        }
        if (TELEMETRY.containsKey(name)) {
            ToDoubleFunction<MetricsRecord> analysis = name.equals("loss") ? m -> m.value(Quantity.LOSS) : m -> Double.NaN;
            return new SeriesMetric(name, true, TELEMETRY.get(name), analysis);
        }
        for (Spectrum s : Spectrum.values()) {
            if (s.wire().equals(name)) {
                return new SeriesMetric(name, false, NONE, m -> m.top(s));
            }
        }
        for (Quantity q : Quantity.values()) {
            if (q != Quantity.LOSS && q.wire().equals(name)) {
                return new SeriesMetric(name, false, NONE, m -> m.value(q));
            }
        }
        if (TRACES.containsKey(name)) {
            return new SeriesMetric(name, false, NONE, TRACES.get(name));
        }
        Matcher layer = LAYER.matcher(name);
        if (layer.matches()) {
            LayerField f = LayerField.of(layer.group(2));
            int l = Integer.parseInt(layer.group(1));
            if (f != null) {
                return new SeriesMetric(name, false, NONE, m -> m.layer(l, f));
            }
        }
        throw new IllegalArgumentException("unknown metric '" + (name.length() > 64 ? name.substring(0, 64) + "..." : name)
                + "': give one of " + KNOWN);
    }

    /** An end of an operator's trace interval, NaN when the record has no trace of it (or it failed). */
    static double traceEnd(MetricsRecord m, MetricsRecord.Operator op, boolean high) {
        MetricsRecord.Trace.Estimate e = m.trace() == null ? null : m.trace().estimate(op);
        return e == null || e.failure() != null ? Double.NaN : high ? e.high() : e.low();
    }
}
