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
     * @param time continuous time t of the gradient flow (NaN: unknown)
     * @param loss training loss (NaN: not finite)
     * @param accuracy training accuracy (NaN: unknown)
     * @param stepSize the step size η of this step (NaN: unknown)
     * @param sharpness the trainer's own sharpness estimate, NaN when it did not compute one
     * @param products Hessian-vector products the step used
     */
    record Step(String run, long step, double time, double loss, double accuracy, double stepSize, double sharpness,
            long products) implements TelemetryRecord {
        /** Validates. */
        public Step {
            check(run, step, 0);
            if (products < 0) {
                throw new IllegalArgumentException("products must be ≥ 0, got " + products);
            }
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
        /** Validates. */
        public Heartbeat {
            check(run, step, -1);
            if (at < 0) {
                throw new IllegalArgumentException("at must be epoch milliseconds ≥ 0, got " + at);
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

    /** Parses a {@code telemetry} record's JSON object. */
    static TelemetryRecord parse(JsonObject o) throws MalformedRecordException {
        JsonFields.schema(o);
        String type = JsonFields.optString(o, "type");
        String run = JsonFields.name(o, "run", JsonFields.NAME);
        long step = JsonFields.integer(o, "step");
        if (type == null || type.equals("step")) {
            if (step < 0) {
                throw new MalformedRecordException("field 'step' must be ≥ 0, got " + step);
            }
            long products = JsonFields.integer(o, "products");
            if (products < 0) {
                throw new MalformedRecordException("field 'products' must be ≥ 0, got " + products);
            }
            return new Step(run, step, JsonFields.number(o, "time"), JsonFields.number(o, "loss"), JsonFields.number(o, "accuracy"),
                    JsonFields.number(o, "step_size"), JsonFields.optNumber(o, "sharpness"), products);
        }
        if (type.equals("heartbeat")) {
            if (step < -1) {
                throw new MalformedRecordException("field 'step' of a heartbeat must be ≥ -1, got " + step);
            }
            long at = JsonFields.integer(o, "at");
            if (at < 0) {
                throw new MalformedRecordException("field 'at' must be epoch milliseconds ≥ 0, got " + at);
            }
            return new Heartbeat(run, step, at);
        }
        throw new MalformedRecordException("unknown telemetry type '" + (type.length() > 40 ? type.substring(0, 40) + "..." : type)
                + "' (expected step or heartbeat)");
    }

    private static void check(String run, long step, long min) {
        if (run == null || !JsonFields.NAME.matcher(run).matches()) {
            throw new IllegalArgumentException("run must match " + JsonFields.NAME.pattern() + ", got '" + run + "'");
        }
        if (step < min) {
            throw new IllegalArgumentException("step must be ≥ " + min + ", got " + step);
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
