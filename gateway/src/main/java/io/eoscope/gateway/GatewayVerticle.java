package io.eoscope.gateway;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.eoscope.wire.KafkaSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The gateway: Prometheus {@code /metrics}, the REST and Server-Sent-Events API under {@code /api}
 * (documented by {@code /openapi.yaml}) and the live web page, all from a {@link RunsView} that a
 * {@link ViewConsumer} rebuilds from Kafka on a worker of its own. Thin wiring: no computation here.
 */
public final class GatewayVerticle extends AbstractVerticle {
    private final KafkaSettings kafka;
    private final GatewayConfig config;
    private final PrometheusMeterRegistry registry;
    private final RunsView view = new RunsView();
    private GatewayMeters meters;
    private ViewConsumer consumer;
    private WorkerExecutor worker;
    private WorkerExecutor replays;
    private HttpServer server;

    /** @param registry where the gateway's meters (and any others the process adds) are scraped from */
    public GatewayVerticle(KafkaSettings kafka, GatewayConfig config, PrometheusMeterRegistry registry) {
        this.kafka = kafka;
        this.config = config;
        this.registry = registry;
    }

    /** A gateway with a registry of its own. */
    public GatewayVerticle(KafkaSettings kafka, GatewayConfig config) {
        this(kafka, config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    @Override
    public void start(Promise<Void> started) {
        meters = new GatewayMeters(registry, view, config.graceSeconds() * 1000, config.maxRuns());
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
        worker = vertx.createSharedWorkerExecutor("eos-gateway-view-" + deploymentID(), 1, 365, TimeUnit.DAYS);
        replays = vertx.createSharedWorkerExecutor("eos-gateway-replay-" + deploymentID(), 1, 365, TimeUnit.DAYS);
        worker.executeBlocking(() -> new ViewConsumer(kafka, view, registry), false).compose(c -> {
            consumer = c;
            worker.executeBlocking(() -> {
                consumer.run();
                return null;
            }, false);
            return vertx.createHttpServer().requestHandler(router()).listen(config.port(), config.host());
        }).onSuccess(s -> {
            server = s;
            started.complete();
        }).onFailure(started::fail);
    }

    /** The bound port (after start). */
    public int port() {
        return server.actualPort();
    }

    /** The view (tests). */
    public RunsView view() {
        return view;
    }

    private Router router() {
        Router router = Router.router(vertx);
        router.route().handler(this::timed);
        router.get("/health").handler(ctx -> json(ctx, 200, status("ok")));
        router.get("/metrics").handler(ctx -> {
            meters.refresh();
            ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape());
        });
        router.get("/api/runs").handler(this::runs);
        router.get("/api/runs/:run").handler(this::run);
        router.get("/api/runs/:run/series").handler(this::series);
        router.get("/api/runs/:run/stream").handler(this::stream);
        router.get("/api/powerlaw").handler(this::powerLaw);
        router.post("/api/runs/:run/replay").handler(this::replay);
        router.get("/openapi.yaml").handler(ctx -> ctx.response().putHeader("content-type", "application/yaml")
                .end(openApi()));
        router.route("/*").handler(StaticHandler.create("webroot"));
        router.route().failureHandler(ctx -> json(ctx, ctx.statusCode() >= 400 && ctx.statusCode() < 500 ? ctx.statusCode() : 400,
                error(ctx.failure() == null ? "bad request" : String.valueOf(ctx.failure().getMessage()))));
        return router;
    }

    /** eos.http.server.requests: method, route template (bounded: never a run name) and status. */
    private void timed(RoutingContext ctx) {
        long start = System.nanoTime();
        ctx.addEndHandler(v -> {
            String route = ctx.currentRoute() == null || ctx.currentRoute().getPath() == null ? "other" : ctx.currentRoute().getPath();
            if (ctx.normalizedPath().startsWith("/api/runs/")) {
                route = ctx.normalizedPath().endsWith("/series") ? "/api/runs/:run/series"
                        : ctx.normalizedPath().endsWith("/stream") ? "/api/runs/:run/stream" : "/api/runs/:run";
            } else if (!List.of("/metrics", "/api/runs", "/api/powerlaw", "/health", "/openapi.yaml").contains(ctx.normalizedPath())) {
                route = "static";
            }
            io.micrometer.core.instrument.Timer.builder("eos.http.server.requests").description("HTTP requests served")
                    .tag("method", ctx.request().method().name()).tag("route", route)
                    .tag("status", Integer.toString(ctx.response().getStatusCode())).register(registry)
                    .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        });
        ctx.next();
    }

    private static String openApi() {
        try (java.io.InputStream in = GatewayVerticle.class.getResourceAsStream("/openapi.yaml")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void runs(RoutingContext ctx) {
        JsonArray out = new JsonArray();
        List<RunsView.Run> all = new ArrayList<>(view.all());
        all.sort((a, b) -> a.name().compareTo(b.name()));
        for (RunsView.Run r : all) {
            out.add(summary(r));
        }
        json(ctx, 200, out);
    }

    private JsonObject summary(RunsView.Run r) {
        JsonObject o = new JsonObject();
        o.addProperty("run", r.name());
        o.addProperty("finished", r.finished());
        for (String key : new String[] {"solver", "dataset", "n", "classes", "architecture", "activation"}) {
            if (r.config().has(key)) {
                o.add(key, r.config().get(key));
            }
        }
        if (r.config().has("loss")) {
            o.add("loss_function", r.config().get("loss")); // "loss" is the training loss value below
        }
        double two = r.twoOverEta();
        if (Double.isFinite(two)) {
            o.addProperty("two_over_eta", two);
        }
        r.telemetry().ifPresent(t -> {
            for (String key : new String[] {"step", "time", "loss", "accuracy", "sharpness"}) {
                if (t.has(key)) {
                    o.add(key, t.get(key));
                }
            }
        });
        r.metrics().ifPresent(m -> {
            o.addProperty("analysed_step", m.get("step").getAsLong());
            Double rho = RunsView.value(m, "rho_K");
            if (rho != null) {
                o.addProperty("rho_K", rho);
            }
        });
        return o;
    }

    private void run(RoutingContext ctx) {
        RunsView.Run r = view.get(ctx.pathParam("run")).orElse(null);
        if (r == null) {
            json(ctx, 404, error("no run named '" + ctx.pathParam("run") + "'"));
            return;
        }
        JsonObject o = summary(r);
        o.add("config", r.config());
        r.telemetry().ifPresent(t -> o.add("telemetry", t));
        r.metrics().ifPresent(m -> o.add("metrics", m));
        json(ctx, 200, o);
    }

    private void series(RoutingContext ctx) {
        RunsView.Run r = view.get(ctx.pathParam("run")).orElse(null);
        if (r == null) {
            json(ctx, 404, error("no run named '" + ctx.pathParam("run") + "'"));
            return;
        }
        String metric = ctx.request().getParam("metric");
        if (metric == null || !metric.matches("[A-Za-z0-9_.]{1,64}")) {
            json(ctx, 400, error("give ?metric=NAME, for example loss, sharpness, gauss_newton, rho_K or layer1.p_delta_J"));
            return;
        }
        long from;
        long to;
        int max;
        try {
            from = longParam(ctx, "from", 0);
            to = longParam(ctx, "to", Long.MAX_VALUE);
            max = (int) longParam(ctx, "max_points", 2000);
        } catch (NumberFormatException e) {
            json(ctx, 400, error("from, to and max_points must be whole numbers"));
            return;
        }
        if (from < 0 || to < from || max < 2 || max > 100_000) {
            json(ctx, 400, error("need 0 ≤ from ≤ to and 2 ≤ max_points ≤ 100000"));
            return;
        }
        JsonObject o = new JsonObject();
        o.addProperty("run", r.name());
        o.addProperty("metric", metric);
        o.add("columns", columns());
        o.add("points", view.series(r, metric, from, to, max));
        json(ctx, 200, o);
    }

    private static JsonArray columns() {
        JsonArray c = new JsonArray();
        c.add("step");
        c.add("time");
        c.add("value");
        return c;
    }

    private void stream(RoutingContext ctx) {
        String run = ctx.pathParam("run");
        HttpServerResponse response = ctx.response();
        response.setChunked(true).putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
        response.write(": eoscope stream of run " + run + "\n\n");
        Consumer<RunsView.Update> listener = u -> {
            if (u.run().equals(run)) {
                vertx.runOnContext(v -> {
                    if (!response.closed() && !response.ended()) {
                        response.write("event: " + u.kind() + "\ndata: " + u.value() + "\n\n");
                    }
                });
            }
        };
        view.listen(listener);
        response.closeHandler(v -> view.unlisten(listener));
    }

    private void powerLaw(RoutingContext ctx) {
        String runs = ctx.request().getParam("runs");
        String metric = ctx.request().getParam("metric", "layer1.p_delta_J");
        if (runs == null || runs.isBlank() || !metric.matches("[A-Za-z0-9_.]{1,64}")) {
            json(ctx, 400, error("give ?runs=a,b,c (at least two runs with different N) and optionally &metric=NAME"));
            return;
        }
        List<String> names = List.of(runs.split(","));
        double[] n = new double[names.size()];
        double[] y = new double[names.size()];
        JsonArray points = new JsonArray();
        for (int i = 0; i < names.size(); i++) {
            RunsView.Run r = view.get(names.get(i).trim()).orElse(null);
            if (r == null || !r.config().has("n") || r.metrics().isEmpty()) {
                json(ctx, 400, error("run '" + names.get(i).trim() + "' is unknown or has no analysed snapshot yet"));
                return;
            }
            Double v = RunsView.value(r.metrics().get(), metric);
            if (v == null) {
                json(ctx, 400, error("run '" + r.name() + "' has no value of '" + metric + "'"));
                return;
            }
            n[i] = r.config().get("n").getAsDouble();
            y[i] = v;
            JsonObject p = new JsonObject();
            p.addProperty("run", r.name());
            p.addProperty("n", n[i]);
            p.addProperty("value", v);
            p.addProperty("step", r.metrics().get().get("step").getAsLong());
            points.add(p);
        }
        PowerLaw fit;
        try {
            fit = PowerLaw.fit(n, y);
        } catch (IllegalArgumentException e) {
            json(ctx, 400, error(e.getMessage()));
            return;
        }
        JsonObject o = new JsonObject();
        o.addProperty("metric", metric);
        o.addProperty("a", fit.a());
        o.addProperty("beta", fit.beta());
        o.addProperty("r2", fit.r2());
        o.add("points", points);
        json(ctx, 200, o);
    }

    /**
     * POST /api/runs/{run}/replay?analysis_id=ID[&top_k=K&tol=T&from=A&to=B]: re-analyses a stored run on
     * a worker (202 Accepted); requires {@code Authorization: Bearer TOKEN}.
     */
    private void replay(RoutingContext ctx) {
        if (config.token() == null) {
            json(ctx, 403, error("replays are disabled: start the gateway with a token (EOS_GATEWAY_TOKEN)"));
            return;
        }
        String auth = ctx.request().getHeader("Authorization");
        if (auth == null || !java.security.MessageDigest.isEqual(auth.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                ("Bearer " + config.token()).getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
            json(ctx, 401, error("a valid bearer token is required"));
            return;
        }
        String run = ctx.pathParam("run");
        String id = ctx.request().getParam("analysis_id", "replay-" + System.currentTimeMillis());
        io.eoscope.analyzer.AnalyzerConfig analyzer;
        long from;
        long to;
        try {
            from = longParam(ctx, "from", 0);
            to = longParam(ctx, "to", Long.MAX_VALUE);
            int topK = (int) longParam(ctx, "top_k", 1);
            double tol = Double.parseDouble(ctx.request().getParam("tol", "1e-4"));
            io.eoscope.curvature.analysis.AnalysisOptions d = io.eoscope.curvature.analysis.AnalysisOptions.defaults();
            io.eoscope.curvature.analysis.AnalysisOptions options = new io.eoscope.curvature.analysis.AnalysisOptions(topK, tol,
                    d.solver(), d.spectra(), true, d.chunkSize(), 0, d.layerSpectra(), d.dualGramLimit(), d.maxProducts(), d.seed());
            analyzer = new io.eoscope.analyzer.AnalyzerConfig(id, options, "float64", "cpu", "eos-gateway-replay", "all");
        } catch (IllegalArgumentException e) {
            json(ctx, 400, error(e.getMessage()));
            return;
        }
        if (view.get(run).isEmpty()) {
            json(ctx, 404, error("no run named '" + run + "'"));
            return;
        }
        replays.executeBlocking(() -> io.eoscope.analyzer.Replay.run(kafka, analyzer, run, from, to, (done, total) -> { }), true);
        JsonObject o = new JsonObject();
        o.addProperty("run", run);
        o.addProperty("analysis_id", id);
        o.addProperty("status", "started");
        json(ctx, 202, o);
    }

    private static long longParam(RoutingContext ctx, String name, long fallback) {
        String v = ctx.request().getParam(name);
        return v == null ? fallback : Long.parseLong(v.trim());
    }

    private static JsonObject error(String message) {
        JsonObject o = new JsonObject();
        o.addProperty("error", message);
        return o;
    }

    private static JsonObject status(String s) {
        JsonObject o = new JsonObject();
        o.addProperty("status", s);
        return o;
    }

    private static void json(RoutingContext ctx, int status, com.google.gson.JsonElement body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.toString());
    }

    @Override
    public void stop(Promise<Void> stopped) {
        if (consumer != null) {
            consumer.close();
        }
        (server == null ? io.vertx.core.Future.<Void>succeededFuture() : server.close()).onComplete(ar -> {
            worker.close();
            replays.close();
            stopped.complete();
        });
    }
}
