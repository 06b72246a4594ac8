package io.eoscope.wire;

import com.google.gson.JsonObject;

/**
 * A record of the {@code replays} topic (key = run): a request to re-analyse a stored run's snapshots in
 * steps [from, to] with {@code top_k} and {@code tol}, publishing the metrics under {@code analysis_id}.
 * The gateway publishes it; analyzers serve it.
 *
 * @param run the run to re-analyse
 * @param analysisId the id its metrics are published under ({@code [A-Za-z0-9._-]{1,100}})
 * @param from first step (≥ 0)
 * @param to last step (≥ from; {@link Long#MAX_VALUE}: to the end)
 * @param topK eigenvalues per spectrum, 1..{@value #MAX_TOP_K}
 * @param tol eigen-solver tolerance in (0, 1)
 * @param requestedAt when it was asked for (epoch ms)
 */
public record ReplayRequest(String run, String analysisId, long from, long to, int topK, double tol, long requestedAt) {
    /** The largest {@code top_k} accepted. */
    public static final int MAX_TOP_K = 1000;

    /** Validates; messages name the field as the HTTP API and the wire call it. */
    public ReplayRequest {
        if (run == null || !JsonFields.NAME.matcher(run).matches()) {
            throw new IllegalArgumentException("run must match " + JsonFields.NAME.pattern() + ", got '" + run + "'");
        }
        if (analysisId == null || !JsonFields.ANALYSIS_ID.matcher(analysisId).matches()) {
            throw new IllegalArgumentException("analysis_id must match " + JsonFields.ANALYSIS_ID.pattern() + ", got '" + analysisId + "'");
        }
        if (from < 0) {
            throw new IllegalArgumentException("from must be ≥ 0, got " + from);
        }
        if (to < from) {
            throw new IllegalArgumentException("need from ≤ to, got from=" + from + " to=" + to);
        }
        if (topK < 1 || topK > MAX_TOP_K) {
            throw new IllegalArgumentException("top_k must be in 1.." + MAX_TOP_K + ", got " + topK);
        }
        if (!(tol > 0 && tol < 1)) {
            throw new IllegalArgumentException("tol must be in (0, 1), got " + tol);
        }
        if (requestedAt < 0) {
            throw new IllegalArgumentException("requested_at must be epoch milliseconds ≥ 0, got " + requestedAt);
        }
    }

    /** Parses a {@code replays} record's value. */
    public static ReplayRequest parse(byte[] value) throws MalformedRecordException {
        return parse(JsonFields.object(value));
    }

    /** Parses a {@code replays} record's JSON object. */
    public static ReplayRequest parse(JsonObject o) throws MalformedRecordException {
        JsonFields.schema(o);
        String run = JsonFields.name(o, "run", JsonFields.NAME);
        String id = JsonFields.name(o, "analysis_id", JsonFields.ANALYSIS_ID);
        long from = JsonFields.integer(o, "from");
        long to = JsonFields.integer(o, "to");
        long topK = JsonFields.integer(o, "top_k");
        double tol = JsonFields.number(o, "tol");
        long at = JsonFields.integer(o, "requested_at");
        if (topK < 1 || topK > MAX_TOP_K) {
            throw new MalformedRecordException("field 'top_k' must be in 1.." + MAX_TOP_K + ", got " + topK);
        }
        try {
            return new ReplayRequest(run, id, from, to, (int) topK, tol, at);
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordException(e.getMessage());
        }
    }

    /** The record's value. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("schema", JsonFields.SCHEMA);
        o.addProperty("run", run);
        o.addProperty("analysis_id", analysisId);
        o.addProperty("from", from);
        o.addProperty("to", to);
        o.addProperty("top_k", topK);
        o.addProperty("tol", tol);
        o.addProperty("requested_at", requestedAt);
        return o;
    }

    /** The record to publish on {@code topics.replays()} (key = run). */
    public org.apache.kafka.clients.producer.ProducerRecord<String, byte[]> toRecord(Topics topics) {
        return Records.json(topics.replays(), run, toJson());
    }
}
