package io.eoscope.gateway;

import com.google.gson.JsonArray;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.ReplayRequest;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway: Prometheus {@code /metrics}, the REST and Server-Sent-Events API under {@code /api}
 * (documented by {@code /openapi.yaml}) and the live web page, all from a {@link RunsView} that a
 * {@link ViewConsumer} rebuilds from Kafka on a worker of its own. Thin wiring: no computation here.
 * {@code /health} says whether the view consumer is alive, {@code /ready} whether the view is complete
 * and current; {@link #deathReason()} lets the process exit when the consumer died.
 */
public final class GatewayVerticle extends AbstractVerticle {
    /** Run names the API accepts: the producers' own rule, safe in URLs, keys and SSE lines. */
    static final Pattern RUN_NAME = io.eoscope.wire.Records.RUN_NAME;
    private static final Pattern ANALYSIS_ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    /** Query numbers as JSON writes them (no hexadecimal, no type suffix, no sign or space before the digits). */
    private static final Pattern WHOLE = Pattern.compile("-?[0-9]{1,19}");
    private static final Pattern DECIMAL = Pattern.compile("-?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?");
    /** Bytes of events a stream may hold for a client that does not read before its stream is ended. */
    static final int SSE_QUEUE_BYTES = 1 << 20;
    private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
    private final KafkaSettings kafka;
    private final GatewayConfig config;
    private final PrometheusMeterRegistry registry;
    private final RunsView view;
    private GatewayMeters meters;
    private volatile ViewConsumer consumer;
    /** The view consumer's loop on {@link #worker}: stop waits for it before closing the worker (no interrupt). */
    private volatile io.vertx.core.Future<Void> viewLoop;
    private Producer<String, byte[]> producer;
    private WorkerExecutor worker;
    private WorkerExecutor replays;
    /** Refreshes the meters and renders the scrape, one at a time, off the event loop (a scrape of many runs takes long). */
    private WorkerExecutor scrapes;
    private HttpServer server;
    /** Event streams open now, and those refused for being over {@code --max-streams}. */
    private final AtomicInteger streams = new AtomicInteger();
    private io.micrometer.core.instrument.Counter streamsRefused;
    /** The OpenAPI document, read once from the classpath. */
    private final String openApi;

    /** The HTTP server could not listen on the configured host and port (in use, not permitted, no such address). */
    public static final class CannotListen extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CannotListen(String message, Throwable cause) {
            super(message, cause);
        }

        /** The CannotListen that {@code e} is or was caused by (a failed deployment may wrap it), or null. */
        public static CannotListen in(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof CannotListen c) {
                    return c;
                }
            }
            return null;
        }
    }

    /** @param registry where the gateway's meters (and any others the process adds) are scraped from */
    public GatewayVerticle(KafkaSettings kafka, GatewayConfig config, PrometheusMeterRegistry registry) {
        this.kafka = kafka;
        this.config = config;
        this.registry = registry;
        this.view = new RunsView(config.analysisId(), config.staleSeconds() * 1000, config.maxViewRuns(), System::currentTimeMillis,
                config.maxDensitySteps());
        this.openApi = openApi();
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
        scrapes = vertx.createSharedWorkerExecutor("eos-gateway-scrape-" + deploymentID(), 1, 5, TimeUnit.MINUTES);
        FunctionCounter.builder("eos.gateway.runs.evicted", view, RunsView::evictions)
                .description("Runs evicted from the gateway's view to stay within --max-view-runs").register(registry);
        FunctionCounter.builder("eos.gateway.density.steps.dropped", view, RunsView::densityStepsDropped)
                .description("Old steps' spectral densities dropped to keep at most --max-density-steps per run and operator")
                .register(registry);
        Gauge.builder("eos.gateway.view.runs", view, RunsView::size).description("Runs held by the gateway's view").register(registry);
        Gauge.builder("eos.gateway.series.runs", meters, GatewayMeters::seriesRuns)
                .description("Runs with Prometheus series (at most --max-runs), as of the last scrape").register(registry);
        Gauge.builder("eos.gateway.runs.without.series", meters, GatewayMeters::runsWithoutSeries)
                .description("Live runs held by the view that have no Prometheus series because of --max-runs, as of the last scrape")
                .register(registry);
        Gauge.builder("eos.gateway.streams", streams, AtomicInteger::get)
                .description("Server-Sent Event streams open (at most --max-streams)").register(registry);
        streamsRefused = io.micrometer.core.instrument.Counter.builder("eos.gateway.streams.refused")
                .description("Event streams refused with 503 because --max-streams were open").register(registry);
        Gauge.builder("eos.gateway.ready", this, g -> g.consumer != null && g.consumer.readiness().ready() ? 1 : 0)
                .description("1 when the gateway's view is assigned to all its topics and the broker answers (as /ready)")
                .register(registry);
        // the port first: a gateway that cannot serve fails before it has started a Kafka client (nothing to interrupt)
        vertx.createHttpServer().requestHandler(router()).listen(config.port(), config.host())
                .recover(e -> io.vertx.core.Future.failedFuture(new CannotListen("cannot listen on " + config.host() + ":"
                        + config.port() + " (" + e.getMessage() + ")", e)))
                .compose(s -> {
                    server = s;
                    return worker.executeBlocking(() -> {
                        // the gateway's own producer: dead letters and replay requests; fails within 30 s rather than waiting forever
                        producer = new KafkaProducer<>(kafka.producer("eos-gateway", Duration.ofSeconds(30)));
                        return new ViewConsumer(kafka, view, registry, producer, config.metricsLimits());
                    }, false);
                }).onSuccess(c -> {
                    consumer = c;
                    viewLoop = worker.executeBlocking(() -> {
                        consumer.run();
                        return null;
                    }, false);
                    started.complete();
                }).onFailure(e -> {
                    if (server != null) {
                        server.close();
                    }
                    started.fail(e);
                });
    }

    /** The bound port (after start). */
    public int port() {
        return server.actualPort();
    }

    /** The view (tests). */
    public RunsView view() {
        return view;
    }

    /** Why the view consumer died (the process should then exit non-zero), or null while it is alive. */
    public String deathReason() {
        ViewConsumer c = consumer;
        return c == null ? null : c.deathReason();
    }

    private Router router() {
        Router router = Router.router(vertx);
        router.route().handler(this::timed);
        router.get("/health").handler(this::health);
        router.get("/ready").handler(this::ready);
        router.get("/metrics").handler(ctx -> scrapes.executeBlocking(() -> {
            meters.refresh();
            return registry.scrape();
        }, true).onSuccess(text -> ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(text))
                .onFailure(ctx::fail));
        router.get("/api/runs").handler(this::runs);
        router.get("/api/runs/:run").handler(this::run);
        router.get("/api/runs/:run/series").handler(this::series);
        router.get("/api/runs/:run/density").handler(this::density);
        router.get("/api/runs/:run/stream").handler(this::stream);
        router.get("/api/powerlaw").handler(this::powerLaw);
        router.post("/api/runs/:run/replay").handler(this::replay);
        router.get("/openapi.yaml").handler(ctx -> ctx.response().putHeader("content-type", "application/yaml").end(openApi));
        router.route("/*").handler(StaticHandler.create("webroot"));
        router.route().failureHandler(ctx -> {
            if (ctx.response().headWritten()) {
                return;
            }
            if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
                json(ctx, ctx.statusCode(), error(ctx.failure() == null ? "bad request" : String.valueOf(ctx.failure().getMessage())));
            } else { // a bug of the gateway, not the client's fault: said as such, and logged with its stack
                LOG.error("{} {} failed", ctx.request().method(), ctx.normalizedPath(), ctx.failure());
                json(ctx, 500, error("the gateway failed on this request (its log has the stack): " + ctx.failure()));
            }
        });
        // a request Vert.x cannot route (a malformed escape such as %ZZ in the path or the query) is a JSON 400 too
        router.errorHandler(400, ctx -> {
            if (!ctx.response().headWritten()) {
                json(ctx, 400, error("malformed request: " + (ctx.failure() == null ? "bad escape or syntax"
                        : ctx.failure().getMessage())));
            }
        });
        return router;
    }

    /** eos.http.server.requests: method, route template (bounded: never a run name) and status. */
    private void timed(RoutingContext ctx) {
        long start = System.nanoTime();
        ctx.addEndHandler(v -> {
            String route = ctx.currentRoute() == null || ctx.currentRoute().getPath() == null ? "other" : ctx.currentRoute().getPath();
            if (ctx.normalizedPath().startsWith("/api/runs/")) {
                route = ctx.normalizedPath().endsWith("/series") ? "/api/runs/:run/series"
                        : ctx.normalizedPath().endsWith("/density") ? "/api/runs/:run/density"
                        : ctx.normalizedPath().endsWith("/stream") ? "/api/runs/:run/stream"
                        : ctx.normalizedPath().endsWith("/replay") ? "/api/runs/:run/replay" : "/api/runs/:run";
            } else if (!List.of("/metrics", "/api/runs", "/api/powerlaw", "/health", "/ready", "/openapi.yaml")
                    .contains(ctx.normalizedPath())) {
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
        try (java.io.InputStream in = java.util.Objects.requireNonNull(GatewayVerticle.class.getResourceAsStream("/openapi.yaml"),
                "openapi.yaml is not on the classpath")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Alive: 200 while the view consumer's loop runs; 503 with the reason once it died. */
    private void health(RoutingContext ctx) {
        String dead = deathReason();
        json(ctx, dead == null ? 200 : 503, new ApiBodies.Status(dead == null ? "ok" : "dead", dead));
    }

    /** Ready: 200 when the view is assigned to all its topics and the broker answered recently; else 503 with the reason. */
    private void ready(RoutingContext ctx) {
        ViewConsumer c = consumer;
        ViewConsumer.Readiness r = c == null ? new ViewConsumer.Readiness(false, "starting") : c.readiness();
        json(ctx, r.ready() ? 200 : 503, new ApiBodies.Status(r.ready() ? "ready" : "not ready", r.reason()));
    }

    private void runs(RoutingContext ctx) {
        JsonArray out = new JsonArray();
        List<RunsView.Run> all = new ArrayList<>(view.all());
        all.sort((a, b) -> a.name().compareTo(b.name()));
        long now = view.now();
        for (RunsView.Run r : all) {
            out.add(ApiBodies.RunSummary.of(r, view.liveAnalysis(), now).toJson());
        }
        json(ctx, 200, out);
    }

    /** The path's run name, or null after answering 400 when it is not a valid run name. */
    private static String runName(RoutingContext ctx) {
        String run = ctx.pathParam("run");
        if (run == null || !RUN_NAME.matcher(run).matches()) {
            json(ctx, 400, error("run names are 1-200 letters, digits, '.', '_' or '-', and not . or .."));
            return null;
        }
        return run;
    }

    /** The run of the path, or null after answering 400 or 404. */
    private RunsView.Run knownRun(RoutingContext ctx) {
        String name = runName(ctx);
        if (name == null) {
            return null;
        }
        RunsView.Run r = view.get(name).orElse(null);
        if (r == null) {
            json(ctx, 404, error("no run named '" + name + "'"));
        }
        return r;
    }

    /** ?analysis_id=ID (default: the live analysis), or null after answering 400 or 404. */
    private String analysisId(RoutingContext ctx, RunsView.Run r) {
        String id = ctx.request().getParam("analysis_id");
        if (id == null) {
            return view.liveAnalysis();
        }
        if (!ANALYSIS_ID.matcher(id).matches()) {
            json(ctx, 400, error("analysis_id must be 1-100 letters, digits, '.', '_' or '-'"));
            return null;
        }
        if (!id.equals(view.liveAnalysis()) && r.metrics(id).isEmpty()) {
            json(ctx, 404, error("run '" + r.name() + "' has no analysis '" + id + "' (it has " + r.analysisIds() + ")"));
            return null;
        }
        return id;
    }

    private void run(RoutingContext ctx) {
        RunsView.Run r = knownRun(ctx);
        String id = r == null ? null : analysisId(ctx, r);
        if (id == null) {
            return;
        }
        json(ctx, 200, new ApiBodies.RunDetail(ApiBodies.RunSummary.of(r, id, view.now()), r.record().orElse(null),
                r.telemetry().orElse(null), r.metrics(id).orElse(null), r.analysisIds().stream().sorted().toList()));
    }

    private void series(RoutingContext ctx) {
        RunsView.Run r = knownRun(ctx);
        String id = r == null ? null : analysisId(ctx, r);
        if (id == null) {
            return;
        }
        String name = ctx.request().getParam("metric");
        SeriesMetric metric;
        try {
            metric = SeriesMetric.of(name);
        } catch (IllegalArgumentException e) {
            json(ctx, 400, error(e.getMessage()));
            return;
        }
        long from;
        long to;
        long max;
        try {
            from = longParam(ctx, "from", 0);
            to = longParam(ctx, "to", Long.MAX_VALUE);
            max = longParam(ctx, "max_points", 2000);
        } catch (NumberFormatException e) {
            json(ctx, 400, error("from, to and max_points must be whole numbers"));
            return;
        }
        // range-checked as a long before any narrowing: 4294967298 is refused, never read as 2
        if (from < 0 || to < from || max < 2 || max > 100_000) {
            json(ctx, 400, error("need 0 ≤ from ≤ to and 2 ≤ max_points ≤ 100000"));
            return;
        }
        json(ctx, 200, new ApiBodies.Series(r.name(), metric.name(), metric.fromTelemetry() ? null : id,
                view.series(r, metric, id, from, to, (int) max)));
    }

    /** GET /api/runs/{run}/density?operator=hessian|gauss_newton: the operator's densities over training. */
    private void density(RoutingContext ctx) {
        RunsView.Run r = knownRun(ctx);
        if (r == null) {
            return;
        }
        String name = ctx.request().getParam("operator", MetricsRecord.Operator.HESSIAN.wire());
        MetricsRecord.Operator op = MetricsRecord.Operator.of(name);
        if (op == null) {
            json(ctx, 400, error("unknown operator '" + (name.length() > 64 ? name.substring(0, 64) + "..." : name)
                    + "': give ?operator=hessian or ?operator=gauss_newton"));
            return;
        }
        List<RunsView.DensityStep> steps = r.densities(op);
        if (steps.isEmpty()) {
            json(ctx, 404, error("run '" + r.name() + "' has no spectral density of " + op.wire() + " yet: analyzers compute it with"
                    + " --density on every --heavy-every K-th snapshot, or under an analysis id of its own (eos analyzer --group"
                    + " eos-heavy --analysis-id heavy --density)"));
            return;
        }
        MetricsRecord.Spectrum spectrum = op == MetricsRecord.Operator.HESSIAN ? MetricsRecord.Spectrum.HESSIAN
                : MetricsRecord.Spectrum.GAUSS_NEWTON;
        double[] tops = new double[steps.size()];
        for (int i = 0; i < tops.length; i++) {
            RunsView.DensityStep d = steps.get(i);
            tops[i] = Double.isFinite(d.top()) ? d.top() : r.liveTop(d.step(), spectrum);
        }
        RunStability stability = r.stability();
        json(ctx, 200, new ApiBodies.DensityHeatmap(r.name(), op.wire(), steps, tops, stability.threshold(), stability.formula(),
                r.densitiesDropped(op), view.maxDensitySteps()));
    }

    private void stream(RoutingContext ctx) {
        String run = runName(ctx);
        if (run == null) {
            return;
        }
        HttpServerResponse response = ctx.response();
        if (streams.incrementAndGet() > config.maxStreams()) {
            streams.decrementAndGet();
            streamsRefused.increment();
            if (streamsRefused.count() == 1 || streamsRefused.count() % 100 == 0) {
                LOG.warn("refused an event stream of run {}: {} streams are open, the most --max-streams allows ({} refused since start)",
                        run, config.maxStreams(), (long) streamsRefused.count());
            }
            json(ctx, 503, error("the gateway serves at most " + config.maxStreams() + " event streams at once (--max-streams); try again later"));
            return;
        }
        response.setChunked(true).putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
        response.setWriteQueueMaxSize(SSE_QUEUE_BYTES);
        response.write(": eoscope stream of run " + run + "\n\n");
        Consumer<RunsView.Update> listener = u -> {
            if (u.run().equals(run)) {
                String event = sseEvent(u.kind(), u.value().toString());
                vertx.runOnContext(v -> {
                    if (response.closed() || response.ended()) {
                        return;
                    }
                    if (response.writeQueueFull()) { // a client that does not read: end its stream (EventSource reconnects)
                        LOG.warn("closing the event stream of run {} to {}: the client does not keep up (write queue full)",
                                run, ctx.request().remoteAddress());
                        response.end();
                        return;
                    }
                    response.write(event);
                });
            }
        };
        view.listen(listener);
        response.closeHandler(v -> {
            view.unlisten(listener);
            streams.decrementAndGet();
        });
    }

    /**
     * One Server-Sent Event. A line break inside the data would end the data line and let what follows
     * pose as a field of the stream, so each line of the data gets its own {@code data:} prefix (JSON from
     * gson has none: strings escape their line breaks).
     */
    static String sseEvent(String kind, String data) {
        StringBuilder b = new StringBuilder("event: ").append(kind.replaceAll("[\\r\\n]", "")).append('\n');
        for (String line : data.split("\\r\\n|\\r|\\n", -1)) {
            b.append("data: ").append(line).append('\n');
        }
        return b.append('\n').toString();
    }

    private void powerLaw(RoutingContext ctx) {
        String runs = ctx.request().getParam("runs");
        String name = ctx.request().getParam("metric", "layer1.p_delta_J");
        if (runs == null || runs.isBlank()) {
            json(ctx, 400, error("give ?runs=a,b,c (at least two runs with different N) and optionally &metric=NAME"));
            return;
        }
        SeriesMetric metric;
        try {
            metric = SeriesMetric.of(name);
        } catch (IllegalArgumentException e) {
            json(ctx, 400, error(e.getMessage()));
            return;
        }
        List<String> names = List.of(runs.split(","));
        if (names.size() > 1000) {
            json(ctx, 400, error("at most 1000 runs"));
            return;
        }
        double[] n = new double[names.size()];
        double[] y = new double[names.size()];
        List<ApiBodies.FitPoint> points = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            RunsView.Run r = view.get(names.get(i).trim()).orElse(null);
            if (r == null || !r.record().isPresent() || !Double.isFinite(r.record().get().n()) || r.metrics().isEmpty()) {
                json(ctx, 400, error("run '" + names.get(i).trim() + "' is unknown or has no analysed snapshot yet"));
                return;
            }
            MetricsRecord m = r.metrics().get();
            double v = metric.onAnalysis().applyAsDouble(m);
            if (!Double.isFinite(v)) {
                json(ctx, 400, error("run '" + r.name() + "' has no value of '" + metric.name() + "'"));
                return;
            }
            n[i] = r.record().get().n();
            y[i] = v;
            points.add(new ApiBodies.FitPoint(r.name(), n[i], v, m.step()));
        }
        PowerLaw fit;
        try {
            fit = PowerLaw.fit(n, y);
        } catch (IllegalArgumentException e) {
            json(ctx, 400, error(e.getMessage()));
            return;
        }
        json(ctx, 200, new ApiBodies.PowerLawFit(metric.name(), fit.a(), fit.beta(), fit.r2(), points));
    }

    /**
     * POST /api/runs/{run}/replay?analysis_id=ID[&top_k=K&tol=T&from=A&to=B]: validates the request and
     * publishes it on the replays topic, where analyzers serve it (202 Accepted once the broker has it);
     * requires {@code Authorization: Bearer TOKEN}.
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
        String run = runName(ctx);
        if (run == null) {
            return;
        }
        ReplayRequest request;
        try {
            long from = longParam(ctx, "from", 0);
            long to = longParam(ctx, "to", Long.MAX_VALUE);
            long topK = longParam(ctx, "top_k", 1);
            if (topK < 1 || topK > ReplayRequest.MAX_TOP_K) { // checked as a long: 4294967298 is not 2
                throw new IllegalArgumentException("top_k must be in 1.." + ReplayRequest.MAX_TOP_K + ", got " + topK);
            }
            String tolText = ctx.request().getParam("tol", "1e-4");
            if (!DECIMAL.matcher(tolText).matches()) { // not Java's wider syntax: 0x1p-10 and 1e-4d are not JSON numbers
                throw new NumberFormatException(tolText);
            }
            double tol = Double.parseDouble(tolText);
            String id = ctx.request().getParam("analysis_id", "replay-" + System.currentTimeMillis());
            if (id.equals(config.analysisId())) {
                throw new IllegalArgumentException("analysis_id '" + id + "' is the live analysis: a replay needs an id of its own");
            }
            request = new ReplayRequest(run, id, from, to, (int) topK, tol, System.currentTimeMillis());
        } catch (NumberFormatException e) {
            json(ctx, 400, error("from, to and top_k must be whole numbers and tol a number"));
            return;
        } catch (IllegalArgumentException e) {
            json(ctx, 400, error(e.getMessage()));
            return;
        }
        if (view.get(run).isEmpty()) {
            json(ctx, 404, error("no run named '" + run + "'"));
            return;
        }
        replays.executeBlocking(() -> producer.send(request.toRecord(kafka.topics())).get(60, TimeUnit.SECONDS), false)
                .onSuccess(meta -> {
                    LOG.info("replay of run {} requested as analysis {} (steps {}..{}, top_k {}, tol {})", run, request.analysisId(),
                            request.from(), request.to(), request.topK(), request.tol());
                    json(ctx, 202, new ApiBodies.ReplayAccepted(request));
                })
                .onFailure(e -> {
                    LOG.warn("could not publish the replay request of run {}: {}", run, e.toString());
                    json(ctx, 503, error("could not publish the replay request: " + e.getMessage()));
                });
    }

    /** A whole number as the document's integer parameters write it: digits, an optional minus, nothing else. */
    private static long longParam(RoutingContext ctx, String name, long fallback) {
        String v = ctx.request().getParam(name);
        if (v == null) {
            return fallback;
        }
        if (!WHOLE.matcher(v).matches()) {
            throw new NumberFormatException(v);
        }
        return Long.parseLong(v);
    }

    private static ApiBodies.Error error(String message) {
        return new ApiBodies.Error(message);
    }

    private static void json(RoutingContext ctx, int status, ApiBodies.Body body) {
        json(ctx, status, body.toJson());
    }

    private static void json(RoutingContext ctx, int status, com.google.gson.JsonElement body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.toString());
    }

    /**
     * Completes when the view consumer's loop has returned (it was told to close), or after {@code limit}: closing its
     * worker while the loop still polls would interrupt the Kafka client mid-request.
     */
    private io.vertx.core.Future<Void> loopEnded(Duration limit) {
        io.vertx.core.Future<Void> loop = viewLoop;
        if (loop == null) {
            return io.vertx.core.Future.succeededFuture();
        }
        Promise<Void> ended = Promise.promise();
        long timer = vertx.setTimer(limit.toMillis(), t -> ended.tryComplete());
        loop.onComplete(ar -> {
            vertx.cancelTimer(timer);
            ended.tryComplete();
        });
        return ended.future();
    }

    @Override
    public void stop(Promise<Void> stopped) {
        if (consumer != null) {
            consumer.close();
        }
        (server == null ? io.vertx.core.Future.<Void>succeededFuture() : server.close())
                .compose(v -> loopEnded(Duration.ofSeconds(10)))
                .compose(v -> replays.executeBlocking(() -> {
                    if (producer != null) {
                        producer.close(Duration.ofSeconds(5));
                    }
                    return null;
                }, false))
                .onComplete(ar -> {
                    worker.close();
                    replays.close();
                    scrapes.close();
                    stopped.complete();
                });
    }
}
