package io.eoscope.launcher;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The HTTP endpoints of a service without an API of its own (the analyzer): {@code /metrics} for
 * Prometheus, {@code /health} (alive: 200, or 503 with the reason once the service has failed: the
 * liveness probe) and {@code /ready} (200 when it can do its work now, 503 with the reason otherwise:
 * the readiness probe). The suppliers give the reason a check fails, or empty when it passes.
 */
final class ServiceEndpoints {
    private ServiceEndpoints() {}

    /** Starts the server; the message names {@code portOption} when the port cannot be bound. */
    static HttpServer start(Vertx vertx, String host, int port, String portOption, PrometheusMeterRegistry registry,
            Supplier<Optional<String>> unhealthy, Supplier<Optional<String>> unready) {
        try {
            return vertx.createHttpServer().requestHandler(req -> {
                switch (req.path()) {
                    case "/metrics" -> req.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                            .end(registry.scrape());
                    case "/health" -> status(req, unhealthy.get(), "ok");
                    case "/ready" -> status(req, unhealthy.get().or(unready), "ready");
                    default -> req.response().setStatusCode(404).putHeader("content-type", "application/json")
                            .end("{\"error\":\"not found: /metrics, /health and /ready are served here\"}");
                }
            }).listen(port, host).await();
        } catch (Exception e) {
            throw new UsageException(portOption + " " + port + ": cannot listen on " + host + " (" + e.getMessage() + ")");
        }
    }

    private static void status(HttpServerRequest req, Optional<String> problem, String ok) {
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        o.addProperty("status", problem.isPresent() ? "unavailable" : ok);
        problem.ifPresent(p -> o.addProperty("reason", p));
        req.response().setStatusCode(problem.isPresent() ? 503 : 200).putHeader("content-type", "application/json").end(o.toString());
    }
}
