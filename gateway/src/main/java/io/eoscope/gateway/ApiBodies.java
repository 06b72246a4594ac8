package io.eoscope.gateway;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.ReplayRequest;
import io.eoscope.wire.RunRecord;
import io.eoscope.wire.TelemetryRecord;
import java.util.List;

/**
 * The JSON bodies of the gateway's API, one record per schema under {@code components/schemas} of
 * {@code openapi.yaml}, named as the schema is (the wire records write the others: {@code TelemetryStep},
 * {@code Metrics}, {@code RunConfig}, {@code ReplayRequest}). Two rules hold for every body: a Java
 * {@code null} is a property left out (unknown), and a number that is not finite is JSON {@code null},
 * never NaN. {@code OpenApiSchemasTest} checks each record against its schema, both ways.
 */
public final class ApiBodies {
    private ApiBodies() {}

    /** A body the API answers with. */
    public sealed interface Body permits Error, Status, RunSummary, RunDetail, Series, PowerLawFit, ReplayAccepted,
            DensityHeatmap {
        /** The body as JSON. */
        JsonObject toJson();
    }

    /** Every 4xx (and the 503 of a replay the broker did not take). */
    public record Error(String error) implements Body {
        @Override
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("error", error);
            return o;
        }
    }

    /** /health and /ready: {@code ok} or {@code dead}; {@code ready} or {@code not ready}, with the reason. */
    public record Status(String status, String reason) implements Body {
        @Override
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("status", status);
            string(o, "reason", reason);
            return o;
        }
    }

    /**
     * One run's latest values (GET /api/runs lists them), with the run against its own optimizer's edge
     * ({@code stability}, {@link RunStability}) and its mini-batch size.
     */
    public record RunSummary(String run, boolean finished, String status, String failure, long lastHeardMs, String solver,
            String dataset, Long n, Long classes, String architecture, String activation, String lossFunction,
            Double twoOverEta, Long step, Double time, Double loss, Double accuracy, Double sharpness, String analysisId,
            Long analysedStep, Double rhoK, Long batchSize, RunStability stability) implements Body {

        /** The summary of {@code r} at {@code now} (epoch ms), with the values of analysis {@code analysisId}. */
        static RunSummary of(RunsView.Run r, String analysisId, long now) {
            RunRecord c = r.record().orElse(null);
            TelemetryRecord.Step t = r.telemetry().orElse(null);
            MetricsRecord m = r.metrics(analysisId).orElse(null);
            double two = r.twoOverEta();
            return new RunSummary(r.name(), r.finished(), r.status(now), r.failure(), r.lastHeardMillis(),
                    c == null ? null : c.string("solver"), c == null ? null : c.string("dataset"), c == null ? null : c.integer("n"), c == null ? null : c.integer("classes"),
                    c == null ? null : c.string("architecture"), c == null ? null : c.string("activation"),
                    c == null ? null : c.string("loss"), Double.isFinite(two) ? two : null,
                    t == null ? null : t.step(), t == null ? null : t.time(), t == null ? null : t.loss(),
                    t == null ? null : t.accuracy(), r.estimated().map(TelemetryRecord.Step::sharpness).orElse(null),
                    m == null ? null : m.analysisId(), m == null ? null : m.step(),
                    m == null || !m.values().containsKey(MetricsRecord.Quantity.RHO_K) ? null : m.value(MetricsRecord.Quantity.RHO_K),
                    c == null ? null : c.batchSize(), RunStability.of(r, analysisId));
        }

        @Override
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("run", run);
            o.addProperty("finished", finished);
            o.addProperty("status", status);
            string(o, "failure", failure);
            o.addProperty("last_heard_ms", lastHeardMs);
            string(o, "solver", solver);
            string(o, "dataset", dataset);
            number(o, "n", n);
            number(o, "classes", classes);
            string(o, "architecture", architecture);
            string(o, "activation", activation);
            string(o, "loss_function", lossFunction); // "loss" is the training loss value below
            number(o, "two_over_eta", twoOverEta);
            number(o, "step", step);
            number(o, "time", time);
            number(o, "loss", loss);
            number(o, "accuracy", accuracy);
            number(o, "sharpness", sharpness);
            string(o, "analysis_id", analysisId);
            number(o, "analysed_step", analysedStep);
            number(o, "rho_K", rhoK);
            number(o, "batch_size", batchSize);
            if (stability != null) {
                o.add("stability", stability.toJson());
            }
            return o;
        }
    }

    /** GET /api/runs/{run}: the summary plus the run's configuration (null: no runs record), latest records and analysis ids. */
    public record RunDetail(RunSummary summary, RunRecord config, TelemetryRecord.Step telemetry, MetricsRecord metrics,
            List<String> analyses) implements Body {
        @Override
        public JsonObject toJson() {
            JsonObject o = summary.toJson();
            if (config != null) { // none without a runs record (status unknown): never an invented, empty one
                o.add("config", config.config());
            }
            if (telemetry != null) {
                o.add("telemetry", telemetry.toJson());
            }
            if (metrics != null) {
                o.add("metrics", metrics.toJson());
            }
            JsonArray ids = new JsonArray();
            analyses.forEach(ids::add);
            o.add("analyses", ids);
            return o;
        }
    }

    /** One point of a series: its step, continuous time (NaN: unknown) and finite value. */
    public record Point(long step, double time, double value) {
        JsonArray toJson() {
            JsonArray row = new JsonArray();
            row.add(step);
            row.add(finiteOrNull(time));
            row.add(value);
            return row;
        }
    }

    /** GET /api/runs/{run}/series: points [step, time, value]; {@code analysisId} only for analysis metrics. */
    public record Series(String run, String metric, String analysisId, List<Point> points) implements Body {
        @Override
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("run", run);
            o.addProperty("metric", metric);
            string(o, "analysis_id", analysisId);
            JsonArray columns = new JsonArray();
            List.of("step", "time", "value").forEach(columns::add);
            o.add("columns", columns);
            JsonArray rows = new JsonArray();
            points.forEach(p -> rows.add(p.toJson()));
            o.add("points", rows);
            return o;
        }
    }

    /**
     * GET /api/runs/{run}/density: an operator's spectral densities over training, one curve on the fixed density grid per
     * kept step (the latest record of the step that carried one, of any analysis id), with λmax at each step and the
     * run's threshold.
     *
     * @param run the run
     * @param operator {@code hessian} or {@code gauss_newton}
     * @param steps the kept steps, oldest first
     * @param lambdaMax λmax of the operator at each step: the density's own record's, else the live analysis' at that step; NaN unknown
     * @param threshold the run's stability threshold now (NaN: unknown), {@link RunStability}
     * @param formula its formula
     * @param droppedSteps older steps dropped by {@code --max-density-steps}
     * @param maxSteps {@code --max-density-steps}
     */
    public record DensityHeatmap(String run, String operator, List<RunsView.DensityStep> steps, double[] lambdaMax, double threshold,
            String formula, long droppedSteps, int maxSteps) implements Body {
        @Override
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("run", run);
            o.addProperty("operator", operator);
            JsonObject grid = new JsonObject();
            grid.addProperty("scale", io.eoscope.curvature.spectrum.DensityGrid.SCALE);
            grid.addProperty("u_min", io.eoscope.curvature.spectrum.DensityGrid.U_MIN);
            grid.addProperty("u_step", io.eoscope.curvature.spectrum.DensityGrid.U_STEP);
            grid.addProperty("points", io.eoscope.curvature.spectrum.DensityGrid.POINTS);
            grid.addProperty("sigma_u", io.eoscope.curvature.spectrum.DensityGrid.SIGMA_U);
            o.add("grid", grid);
            JsonArray stepsOut = new JsonArray();
            JsonArray times = new JsonArray();
            JsonArray curves = new JsonArray();
            JsonArray tops = new JsonArray();
            JsonArray ids = new JsonArray();
            JsonArray probes = new JsonArray();
            for (int i = 0; i < steps.size(); i++) {
                RunsView.DensityStep d = steps.get(i);
                stepsOut.add(d.step());
                times.add(finiteOrNull(d.time()));
                JsonArray c = new JsonArray();
                for (double v : d.curve()) {
                    c.add(v);
                }
                curves.add(c);
                tops.add(finiteOrNull(lambdaMax[i]));
                ids.add(d.analysisId());
                probes.add(d.probes());
            }
            o.add("steps", stepsOut);
            o.add("times", times);
            o.add("curves", curves);
            o.add("lambda_max", tops);
            o.add("analysis_ids", ids);
            o.add("probes", probes);
            number(o, "threshold", threshold);
            o.addProperty("threshold_formula", formula);
            o.addProperty("analysis_id", steps.get(steps.size() - 1).analysisId());
            o.addProperty("dropped_steps", droppedSteps);
            o.addProperty("max_steps", maxSteps);
            return o;
        }
    }

    /** One run of a power-law fit: its dataset size, its value and the step it was analysed at. */
    public record FitPoint(String run, double n, double value, long step) {}

    /** GET /api/powerlaw: y = a·N^β over the latest analysis of each run. */
    public record PowerLawFit(String metric, double a, double beta, double r2, List<FitPoint> points) implements Body {
        @Override
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("metric", metric);
            number(o, "a", a);
            number(o, "beta", beta);
            number(o, "r2", r2);
            JsonArray rows = new JsonArray();
            for (FitPoint p : points) {
                JsonObject row = new JsonObject();
                row.addProperty("run", p.run());
                row.addProperty("n", p.n());
                row.addProperty("value", p.value());
                row.addProperty("step", p.step());
                rows.add(row);
            }
            o.add("points", rows);
            return o;
        }
    }

    /** POST /api/runs/{run}/replay, 202: the request as published on the replays topic. */
    public record ReplayAccepted(ReplayRequest request) implements Body {
        @Override
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("run", request.run());
            o.addProperty("analysis_id", request.analysisId());
            o.addProperty("status", "requested");
            o.add("request", request.toJson());
            return o;
        }
    }

    private static void string(JsonObject o, String key, String value) {
        if (value != null) {
            o.addProperty(key, value);
        }
    }

    /** The number, or JSON null when it is not finite. */
    private static com.google.gson.JsonElement finiteOrNull(double value) {
        return Double.isFinite(value) ? new com.google.gson.JsonPrimitive(value) : JsonNull.INSTANCE;
    }

    /** Left out when null; JSON null when not finite. */
    private static void number(JsonObject o, String key, Number value) {
        if (value == null) {
            return;
        }
        if (value instanceof Double d && !Double.isFinite(d)) {
            o.add(key, JsonNull.INSTANCE);
        } else {
            o.addProperty(key, value);
        }
    }
}
