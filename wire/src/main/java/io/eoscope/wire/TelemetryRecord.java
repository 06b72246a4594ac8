package io.eoscope.wire;

import com.google.gson.JsonObject;

/**
 * A record of the {@code telemetry} topic (key = run): a {@link Step} of training, or a {@link Heartbeat}
 * that a live trainer sends every ~10 s. A record without {@code schema} or {@code type} is schema 1,
 * type {@code step} (older producers). Non-finite numbers are JSON null on the wire and NaN here.
 */
public sealed interface TelemetryRecord permits TelemetryRecord.Step, TelemetryRecord.Heartbeat {

    /** The run's name. */
    String run();

    /** The step: the one just taken, or for a heartbeat the last one completed. */
    long step();

    /** The record's value. */
    JsonObject toJson();

    /**
     * One training step.
     *
     * @param step the step just taken ({@link FieldRules#step})
     * @param time continuous time t of the gradient flow ({@link FieldRules#time}; NaN: unknown)
     * @param loss training loss ({@link FieldRules#loss}; NaN: not finite)
     * @param accuracy training accuracy ({@link FieldRules#accuracy}; NaN: unknown)
     * @param stepSize the step size η of this step ({@link FieldRules#stepSize}; NaN: unknown; +∞, an adaptive step
     *     with no curvature to bound it, is kept as unknown)
     * @param sharpness the trainer's own sharpness estimate, NaN when it did not compute one
     * @param products Hessian-vector products the step used ({@link FieldRules#count})
     * @param stability the trainer's own value of the run's stability quantity (docs/science.md#other-optimizers), NaN
     *     where it did not compute one (wire {@code stability}, absent then)
     * @param stabilityThreshold the quantity's threshold at this step ({@link FieldRules#threshold}; NaN: unknown; wire
     *     {@code stability_threshold}, absent then)
     * @param epoch the epoch of a mini-batch step ({@link FieldRules#epoch}), −1 for a full-batch step (wire {@code epoch},
     *     absent then)
     */
    record Step(String run, long step, double time, double loss, double accuracy, double stepSize, double sharpness,
            long products, double stability, double stabilityThreshold, long epoch) implements TelemetryRecord {
        /** Validates with the {@link FieldRules}. */
        public Step {
            checkRun(run);
            FieldRules.step("step", step);
            FieldRules.time("time", time);
            FieldRules.loss("loss", loss);
            FieldRules.accuracy("accuracy", accuracy);
            if (stepSize == Double.POSITIVE_INFINITY) {
                stepSize = Double.NaN; // an adaptive step with no curvature to bound it: not finite, written as null
            }
            FieldRules.stepSize("step_size", stepSize);
            FieldRules.count("products", products);
            if (!Double.isFinite(stability)) {
                stability = Double.NaN; // not computed (a diverging estimate is no value either): left out
            }
            FieldRules.threshold("stability_threshold", stabilityThreshold);
            FieldRules.epoch("epoch", epoch);
        }

        /** A full-batch step without the stability fields (older producers, the Python client). */
        public Step(String run, long step, double time, double loss, double accuracy, double stepSize, double sharpness,
                long products) {
            this(run, step, time, loss, accuracy, stepSize, sharpness, products, Double.NaN, Double.NaN, -1);
        }

        /** stability ÷ threshold, 1 at the edge (wire {@code stability_ratio}, derived, never read); NaN where either is unknown. */
        public double stabilityRatio() {
            return stability / stabilityThreshold;
        }

        @Override
        public JsonObject toJson() {
            JsonObject o = head("step", run, step);
            JsonFields.put(o, "time", time);
            JsonFields.put(o, "loss", loss);
            JsonFields.put(o, "accuracy", accuracy);
            JsonFields.put(o, "step_size", stepSize);
            if (Double.isFinite(sharpness)) {
                o.addProperty("sharpness", sharpness);
            }
            o.addProperty("products", products);
            if (Double.isFinite(stability)) {
                o.addProperty("stability", stability);
            }
            if (Double.isFinite(stabilityThreshold)) {
                o.addProperty("stability_threshold", stabilityThreshold);
            }
            if (Double.isFinite(stabilityRatio())) {
                o.addProperty("stability_ratio", stabilityRatio());
            }
            if (epoch >= 0) {
                o.addProperty("epoch", epoch);
            }
            return o;
        }
    }

    /**
     * A live trainer's sign of life: updates when the run was last heard of, adds no point to any series.
     *
     * @param step the last completed step (-1 before the first)
     * @param at when it was sent (epoch ms)
     */
    record Heartbeat(String run, long step, long at) implements TelemetryRecord {
        /** Validates with the {@link FieldRules}. */
        public Heartbeat {
            checkRun(run);
            FieldRules.lastStep("step", step);
            if (at < 0) {
                throw new IllegalArgumentException("field 'at' must be epoch milliseconds ≥ 0, got " + at);
            }
        }

        @Override
        public JsonObject toJson() {
            JsonObject o = head("heartbeat", run, step);
            o.addProperty("at", at);
            return o;
        }
    }

    /** Parses a {@code telemetry} record's value. */
    static TelemetryRecord parse(byte[] value) throws MalformedRecordException {
        return parse(JsonFields.object(value));
    }

    /** Parses a {@code telemetry} record's JSON object: the same rules as the constructors ({@link FieldRules}). */
    static TelemetryRecord parse(JsonObject o) throws MalformedRecordException {
        JsonFields.schema(o);
        String type = JsonFields.optString(o, "type");
        String run = JsonFields.name(o, "run", JsonFields.NAME);
        long step = JsonFields.integer(o, "step");
        try {
            if (type == null || type.equals("step")) {
                JsonFields.optNumber(o, "stability_ratio"); // derived from the two below: type-checked, never trusted
                Long epoch = JsonFields.optInteger(o, "epoch");
                return new Step(run, step, JsonFields.number(o, "time"), JsonFields.number(o, "loss"), JsonFields.number(o, "accuracy"),
                        JsonFields.number(o, "step_size"), JsonFields.optNumber(o, "sharpness"), JsonFields.integer(o, "products"),
                        JsonFields.optNumber(o, "stability"), JsonFields.optNumber(o, "stability_threshold"), epoch == null ? -1 : epoch);
            }
            if (type.equals("heartbeat")) {
                return new Heartbeat(run, step, JsonFields.integer(o, "at"));
            }
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordException((type == null || type.equals("step") ? "" : "heartbeat: ") + e.getMessage());
        }
        throw new MalformedRecordException("unknown telemetry type '" + (type.length() > 40 ? type.substring(0, 40) + "..." : type)
                + "' (expected step or heartbeat)");
    }

    private static void checkRun(String run) {
        if (run == null || !JsonFields.NAME.matcher(run).matches()) {
            throw new IllegalArgumentException("run must match " + JsonFields.NAME.pattern() + ", got '" + run + "'");
        }
    }

    private static JsonObject head(String type, String run, long step) {
        JsonObject o = new JsonObject();
        o.addProperty("schema", JsonFields.SCHEMA);
        o.addProperty("type", type);
        o.addProperty("run", run);
        o.addProperty("step", step);
        return o;
    }
}
