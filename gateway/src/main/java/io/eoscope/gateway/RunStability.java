package io.eoscope.gateway;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.StabilityQuantity;
import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.RunRecord;
import io.eoscope.wire.TelemetryRecord;

/**
 * A run against its own optimizer's edge of stability (docs/science.md#other-optimizers): the quantity its stability is
 * judged by, the threshold that quantity is compared with (labelled with its formula), and the latest measured value and
 * their ratio, 1 at the edge for every optimizer. The one place where the gateway decides these; the API, {@code /metrics}
 * and the page all read it.
 *
 * <p>The value, in order of preference: the analyzer's own stability of the latest analysed snapshot ({@link #analysed},
 * source {@code analysis}); for a run whose quantity is λmax(𝓗), the analyzer's top Hessian eigenvalue (source
 * {@code analysis}); the trainer's own estimate of the latest step that has one (telemetry {@code stability}, source
 * {@code trainer}). The threshold: the analysed value's own; else the latest step's ({@code stability_threshold}); else
 * the run's optimizer's ({@link RunRecord#optimizerSettings()}) at the latest step size; else 2/η of the latest step size.
 * A run whose optimizer is not said (a client that gave only {@code lr}) is judged as GD at its latest step size, as
 * before optimizers had their own edge.
 *
 * @param optimizer the update rule ({@code gd}, {@code adam}, …), null when not said
 * @param quantity {@code sharpness}, {@code preconditioned_sharpness} or {@code batch_sharpness}
 * @param threshold the threshold, NaN when unknown
 * @param formula the threshold's formula, such as {@code (2+2β1)/((1−β1)η)}
 * @param value the latest measured quantity, NaN when none
 * @param ratio value ÷ threshold, NaN when either is unknown
 * @param lower the lower end of the value's 95% interval, NaN when it has none
 * @param upper the upper end, NaN when it has none
 * @param step the step the value was measured at, −1 when none
 * @param source {@code analysis} or {@code trainer}, null when there is no value
 */
public record RunStability(String optimizer, String quantity, double threshold, String formula, double value,
        double ratio, double lower, double upper, long step, String source) {

    /** The value measured by an analyzer. */
    public static final String ANALYSIS = "analysis";
    /** The value estimated by the trainer. */
    public static final String TRAINER = "trainer";
    private static final String GD_FORMULA = "2/η";

    /** One measurement of the quantity, with the threshold it was measured against (NaN: the run's). */
    record Reading(double value, double threshold, String formula, double lower, double upper, long step, String source) {}

    /** The stability of run {@code r}, with the metrics of analysis {@code analysisId}. */
    static RunStability of(RunsView.Run r, String analysisId) {
        RunRecord record = r.record().orElse(null);
        OptimizerSettings settings = record == null ? null : record.optimizerSettings().orElse(null);
        StabilityQuantity quantity = settings == null ? StabilityQuantity.SHARPNESS : settings.quantity(record.miniBatch());
        TelemetryRecord.Step last = r.stepped().orElse(null);

        double threshold = last == null ? Double.NaN : last.stabilityThreshold();
        if (Double.isNaN(threshold) && settings != null) {
            threshold = (last == null ? settings : settings.withLr(last.stepSize())).threshold();
        }
        if (Double.isNaN(threshold) && last != null) {
            threshold = 2 / last.stepSize();
        }
        String formula = settings == null ? GD_FORMULA : settings.thresholdFormula();

        Reading reading = r.metrics(analysisId).map(m -> analysed(m, quantity)).orElse(null);
        if (reading == null) {
            reading = r.stable().map(s -> new Reading(s.stability(), s.stabilityThreshold(), null, Double.NaN, Double.NaN, s.step(),
                    TRAINER)).orElse(null);
        }
        if (reading != null && !Double.isNaN(reading.threshold())) {
            threshold = reading.threshold();
            formula = reading.formula() != null ? reading.formula() : formula;
        }
        double value = reading == null ? Double.NaN : reading.value();
        return new RunStability(settings == null ? null : settings.kind().id(), quantity.id(), threshold, formula, value, value / threshold, reading == null ? Double.NaN : reading.lower(),
                reading == null ? Double.NaN : reading.upper(), reading == null ? -1 : reading.step(),
                reading == null ? null : reading.source());
    }

    /**
     * The analyzer's measurement of the run's stability quantity in one metrics record, or null when it has none: the
     * record's own {@code stability} object when it measured this quantity (with its threshold, formula and interval);
     * else, for a run judged by λmax(𝓗), the Hessian's top eigenvalue (records of analyzers before optimizers had their
     * own edge).
     */
    static Reading analysed(MetricsRecord m, StabilityQuantity quantity) {
        MetricsRecord.Stability s = m.stability();
        if (s != null && s.quantity().equals(quantity.id()) && Double.isFinite(s.value())) {
            double[] interval = s.interval();
            return new Reading(s.value(), s.threshold(), s.formula(), interval == null ? Double.NaN : interval[0],
                    interval == null ? Double.NaN : interval[1], m.step(), ANALYSIS);
        }
        double top = m.top(MetricsRecord.Spectrum.HESSIAN);
        if (quantity == StabilityQuantity.SHARPNESS && Double.isFinite(top)) {
            return new Reading(top, Double.NaN, null, Double.NaN, Double.NaN, m.step(), ANALYSIS);
        }
        return null;
    }

    /** The API's {@code stability} object: a property left out where unknown, a non-finite number as null. */
    JsonObject toJson() {
        JsonObject o = new JsonObject();
        if (optimizer != null) {
            o.addProperty("optimizer", optimizer);
        }
        o.addProperty("quantity", quantity);
        number(o, "threshold", threshold);
        o.addProperty("formula", formula);
        number(o, "value", value);
        number(o, "ratio", ratio);
        if (!Double.isNaN(lower) && !Double.isNaN(upper)) {
            JsonArray interval = new JsonArray();
            interval.add(lower);
            interval.add(upper);
            o.add("interval", interval);
        }
        if (step >= 0) {
            o.addProperty("step", step);
        }
        if (source != null) {
            o.addProperty("source", source);
        }
        return o;
    }

    private static void number(JsonObject o, String key, double v) {
        if (Double.isFinite(v)) {
            o.addProperty(key, v);
        }
    }
}
