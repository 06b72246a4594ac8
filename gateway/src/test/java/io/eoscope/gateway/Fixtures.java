package io.eoscope.gateway;

import io.eoscope.wire.MalformedRecordException;
import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.RunRecord;
import io.eoscope.wire.TelemetryRecord;

/** Records as the trainer and the analyzer write them, for the gateway's tests. */
final class Fixtures {
    private Fixtures() {}

    static String runJson(String run, String status) {
        return "{\"run\":\"" + run + "\",\"solver\":\"gd\",\"learningRate\":0.04,\"n\":64,\"classes\":2,\"dataset\":\"xor\","
                + "\"architecture\":\"2-8-2\",\"activation\":\"elu\",\"loss\":\"mse\",\"dtype\":\"float32\",\"dataset_hash\":\"h\","
                + "\"status\":\"" + status + "\"" + (status.equals("failed") ? ",\"failure\":\"loss diverged\"" : "") + "}";
    }

    static String stepJson(String run, long step, String loss) {
        return "{\"run\":\"" + run + "\",\"step\":" + step + ",\"time\":" + step * 0.04 + ",\"loss\":" + loss + ",\"accuracy\":0.75,"
                + "\"step_size\":0.04,\"sharpness\":45.0,\"products\":3}";
    }

    static String metricsJson(String run, long step, String analysisId, double sharpness) {
        return "{\"run\":\"" + run + "\",\"step\":" + step + ",\"time\":" + step * 0.04 + ",\"analysis_id\":\"" + analysisId + "\","
                + "\"loss\":0.5,\"hessian\":{\"eigenvalues\":[" + sharpness + "]},\"gauss_newton\":{\"eigenvalues\":[44.0]},"
                + "\"residual\":{\"eigenvalues\":[-2.0]},\"rho_K\":44.0,\"K_max_sq_mean\":60.0,\"layers\":["
                + "{\"layer\":1,\"gauss_newton_top\":30,\"K_max_sq_mean\":40,\"pi_chi\":1.5,\"p_chi_delta\":0.9,\"pi_J\":20,"
                + "\"p_delta_J\":0.4,\"delta_L_max_sq_mean\":2}]}";
    }

    /**
     * A metrics record of a heavy analysis: 𝓗's top eigenvalue with its error bounds, 𝓗's density from {@code nodes} and
     * {@code weights} (one probe; its curve smoothed on the fixed grid as the analyzer does), G's density of two nodes,
     * and the traces: tr(𝓗) = 12.3 in [11.9, 12.7] (Hutch++), tr(G) = 10.1 exactly, their share 0.82.
     */
    static String densityJson(String run, long step, String analysisId, double sharpness, double[] nodes, double[] weights) {
        return "{\"run\":\"" + run + "\",\"step\":" + step + ",\"time\":" + step * 0.04 + ",\"analysis_id\":\"" + analysisId + "\","
                + "\"hessian\":{\"eigenvalues\":[" + sharpness + "],\"residual_bounds\":[0.001],\"kato_temple_bounds\":[null]},"
                + "\"density\":{\"hessian\":" + density(nodes, weights) + ",\"gauss_newton\":"
                + density(new double[] {0.0, 39.0}, new double[] {0.75, 0.25}) + "},"
                + "\"trace\":{\"hessian\":{\"value\":12.3,\"interval\":[11.9,12.7],\"coverage\":0.95,\"method\":\"hutch++\","
                + "\"products\":30,\"probes\":10},\"gauss_newton\":{\"value\":10.1,\"interval\":[10.1,10.1],\"coverage\":1.0,"
                + "\"method\":\"exact\",\"products\":0,\"gradient_equivalents\":10},\"gauss_newton_share\":0.82}}";
    }

    /** The object density.OPERATOR of one probe with these nodes and weights. */
    static String density(double[] nodes, double[] weights) {
        com.google.gson.JsonObject d = new com.google.gson.JsonObject();
        d.addProperty("probes", 1);
        d.addProperty("steps", nodes.length);
        d.addProperty("products", nodes.length);
        d.add("nodes", array(nodes));
        d.add("weights", array(weights));
        d.add("curve", array(io.eoscope.curvature.spectrum.DensityGrid.smooth(nodes, weights)));
        return d.toString();
    }

    static com.google.gson.JsonArray array(double[] values) {
        com.google.gson.JsonArray a = new com.google.gson.JsonArray();
        for (double v : values) {
            a.add(v);
        }
        return a;
    }

    static MetricsRecord density(String run, long step, String analysisId, double sharpness, double[] nodes, double[] weights)
            throws MalformedRecordException {
        return MetricsRecord.parse(densityJson(run, step, analysisId, sharpness, nodes, weights)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static RunRecord run(String run, String status) throws MalformedRecordException {
        return RunRecord.parse(run, runJson(run, status).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static TelemetryRecord step(String run, long step) throws MalformedRecordException {
        return TelemetryRecord.parse(stepJson(run, step, "0.5").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static MetricsRecord metrics(String run, long step, String analysisId, double sharpness) throws MalformedRecordException {
        return MetricsRecord.parse(metricsJson(run, step, analysisId, sharpness).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
