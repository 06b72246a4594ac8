package io.eoscope.launcher;

import io.eoscope.gateway.GatewayConfig;
import io.eoscope.gateway.GatewayVerticle;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code eos gateway}: Prometheus metrics, the REST/SSE API and the live page, from a Kafka cluster. */
@Command(name = "gateway", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serves /metrics (Prometheus), /api (REST and Server-Sent Events, see /openapi.yaml) and the",
            "live web page at /, rebuilt from the runs, telemetry and metrics topics. Keeps no state: run many."})
final class GatewayCommand implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to bind; 0.0.0.0 in a cluster (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "HTTP port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--grace-seconds", defaultValue = "300", description = "how long a finished run's Prometheus series stay (default: ${DEFAULT-VALUE})")
    long grace;

    @Option(names = "--max-runs", defaultValue = "50", description = "most runs with Prometheus series (default: ${DEFAULT-VALUE})")
    int maxRuns;

    @Mixin
    KafkaOptions kafka;

    @Override
    public Integer call() throws Exception {
        // the token that enables POST /api/runs/{run}/replay comes from the environment, never the command line
        GatewayConfig config = new GatewayConfig(host, port, grace, maxRuns, System.getenv("EOS_GATEWAY_TOKEN"));
        Vertx vertx = Vertx.vertx();
        try (StopSignal stop = StopSignal.install()) {
            GatewayVerticle gateway = new GatewayVerticle(kafka.required(), config);
            try {
                vertx.deployVerticle(gateway).await();
            } catch (Exception e) {
                throw new IllegalArgumentException("cannot serve on " + host + ":" + port + " (" + e.getMessage() + ")");
            }
            System.err.println("eos gateway: http://" + host + ":" + gateway.port() + "/ (metrics at /metrics, API at /api, "
                    + "/openapi.yaml); Ctrl-C stops");
            while (!stop.await(60_000)) {
                // serve until Ctrl-C
            }
        } finally {
            vertx.close().await();
        }
        return 0;
    }
}
