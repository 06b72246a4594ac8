package io.eoscope.launcher;

import io.eoscope.gateway.GatewayConfig;
import io.eoscope.gateway.GatewayVerticle;
import io.eoscope.wire.MetricsRecord;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code eos gateway}: Prometheus metrics, the REST/SSE API and the live page, from a Kafka cluster. Exits
 * with status 1, and the reason logged, when the gateway's view consumer dies (its {@code /health} then
 * answers 503): the orchestrator restarts it rather than keeping a gateway that serves a frozen view.
 */
@Command(name = "gateway", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serves /metrics (Prometheus), /api (REST and Server-Sent Events, see /openapi.yaml), /health, /ready",
            "and the live web page at /, rebuilt from the runs, telemetry and metrics topics. Keeps no state: run many."})
final class GatewayCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayCommand.class);

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to bind; 0.0.0.0 in a cluster (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "HTTP port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--grace-seconds", defaultValue = "300", description = "how long a finished run's Prometheus series stay (default: ${DEFAULT-VALUE})")
    long grace;

    @Option(names = "--max-runs", defaultValue = "50", description = "most runs with Prometheus series (default: ${DEFAULT-VALUE})")
    int maxRuns;

    @Option(names = "--stale-seconds", defaultValue = "60",
            description = "a running run silent (no record, no heartbeat) for longer is shown as stale (default: ${DEFAULT-VALUE})")
    long staleSeconds;

    @Option(names = "--max-view-runs", defaultValue = "1000",
            description = "most runs kept in memory; finished, failed and stale ones are evicted first, oldest first (default: ${DEFAULT-VALUE})")
    int maxViewRuns;

    @Option(names = "--analysis-id", defaultValue = "default",
            description = "the live analysis shown by summaries, Prometheus and the live page; others via ?analysis_id= (default: ${DEFAULT-VALUE})")
    String analysisId;

    @Option(names = "--max-layers", defaultValue = "256", paramLabel = "N",
            description = "most layers of an MLP in one metrics record (each is seven Prometheus series); a record over it is "
                    + "rejected and dead-lettered (default: ${DEFAULT-VALUE})")
    int maxLayers;

    @Option(names = "--max-groups", defaultValue = "1024", paramLabel = "N",
            description = "most groups (parameterised submodules) of a TorchScript module in one metrics record; a record over it "
                    + "is rejected and dead-lettered (default: ${DEFAULT-VALUE})")
    int maxGroups;

    @Option(names = "--max-eigenvalues", defaultValue = "1000", paramLabel = "N",
            description = "most eigenvalues (and residuals) of one spectrum in a metrics record; a record over it is rejected and "
                    + "dead-lettered (default: ${DEFAULT-VALUE}, the largest top_k of a replay)")
    int maxEigenvalues;

    @Option(names = "--max-record-items", defaultValue = "1024", paramLabel = "N",
            description = "most entries of any other list or object in a metrics record; a record over it is rejected and "
                    + "dead-lettered (default: ${DEFAULT-VALUE})")
    int maxRecordItems;

    @Option(names = "--max-density-nodes", defaultValue = "16384", paramLabel = "N",
            description = "most nodes (probes × Lanczos steps) of one operator's spectral density in a metrics record; a record over "
                    + "it is rejected and dead-lettered (default: ${DEFAULT-VALUE})")
    int maxDensityNodes;

    @Option(names = "--max-density-steps", defaultValue = "256", paramLabel = "N",
            description = "most steps whose spectral densities are kept per run and operator for /api/runs/{run}/density; older "
                    + "ones are dropped, counted in eos_gateway_density_steps_dropped_total (default: ${DEFAULT-VALUE})")
    int maxDensitySteps;

    @Option(names = "--max-streams", defaultValue = "256", paramLabel = "N",
            description = "most Server-Sent Event streams (/api/runs/{run}/stream, the live page) open at once; one more is refused "
                    + "with 503 and counted in eos_gateway_streams_refused_total (default: ${DEFAULT-VALUE})")
    int maxStreams;

    @Mixin
    KafkaOptions kafka;

    @Override
    public Integer call() throws Exception {
        // the token that enables POST /api/runs/{run}/replay comes from the environment, never the command line
        String token = System.getenv("EOS_GATEWAY_TOKEN");
        GatewayConfig config = UsageException.fromOptions(() -> new GatewayConfig(host, port, grace, maxRuns, token, staleSeconds,
                maxViewRuns, analysisId, new MetricsRecord.Limits(maxLayers, maxGroups, maxEigenvalues, maxRecordItems, maxDensityNodes), maxStreams,
                maxDensitySteps));
        io.eoscope.wire.KafkaSettings settings = kafka.required();
        Vertx vertx = Vertx.vertx();
        try (StopSignal stop = StopSignal.install()) {
            try {
                GatewayVerticle gateway = new GatewayVerticle(settings, config);
                try {
                    vertx.deployVerticle(gateway).await();
                } catch (RuntimeException e) { // the port in use, or an address not of this machine: one line, exit 2
                    GatewayVerticle.CannotListen cannot = GatewayVerticle.CannotListen.in(e);
                    if (cannot != null) {
                        throw new UsageException("--port " + port + ": " + cannot.getMessage(), e);
                    }
                    throw e;
                }
                LOG.info("eos gateway: http://{}:{}/ (metrics at /metrics, API at /api, /health, /ready, /openapi.yaml); Ctrl-C stops",
                        host, gateway.port());
                while (!stop.await(1_000)) {
                    String dead = gateway.deathReason();
                    if (dead != null) {
                        LOG.error("exiting: {}", dead);
                        return Eos.INTERNAL;
                    }
                }
                LOG.info("stopping");
            } finally {
                vertx.close().await(); // inside the stop signal's scope: the JVM waits for the clients to close
            }
        }
        return 0;
    }
}
