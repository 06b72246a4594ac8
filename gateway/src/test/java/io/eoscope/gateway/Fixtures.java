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
