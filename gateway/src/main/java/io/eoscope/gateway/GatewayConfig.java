package io.eoscope.gateway;

import io.eoscope.wire.MetricsRecord;

/**
 * The gateway's settings. Validated on construction; messages name the option.
 *
 * @param host address to bind ({@code 127.0.0.1} for the demo, {@code 0.0.0.0} in a cluster)
 * @param port HTTP port (0: any free port)
 * @param graceSeconds how long a finished run's Prometheus series stay
 * @param maxRuns most runs with Prometheus series at once
 * @param token bearer token required by the endpoints that start work (replays); null disables them
 * @param staleSeconds how long a running run may be silent (no record, no heartbeat) before it is stale
 * @param maxViewRuns most runs kept in memory by the view
 * @param analysisId the live analysis id: the one summaries, Prometheus and the live stream show
 * @param metricsLimits the most layers, groups, eigenvalues and list entries of one metrics record it holds
 *     ({@code --max-layers}, {@code --max-groups}, {@code --max-eigenvalues}, {@code --max-record-items},
 *     {@code --max-density-nodes}); a record over
 *     them is rejected and dead-lettered saying which
 * @param maxStreams most Server-Sent Event streams open at once ({@code --max-streams}); one more is refused with 503 and counted
 * @param maxDensitySteps most steps whose spectral densities the view keeps per run and operator
 *     ({@code --max-density-steps}); older ones are dropped, counted in {@code eos_gateway_density_steps_dropped_total}
 */
public record GatewayConfig(String host, int port, long graceSeconds, int maxRuns, String token, long staleSeconds,
        int maxViewRuns, String analysisId, MetricsRecord.Limits metricsLimits, int maxStreams, int maxDensitySteps) {
    /** Default of {@code --stale-seconds}. */
    public static final long DEFAULT_STALE_SECONDS = 60;
    /** Default of {@code --max-view-runs}. */
    public static final int DEFAULT_MAX_VIEW_RUNS = 1000;
    /** Default of {@code --max-streams}. */
    public static final int DEFAULT_MAX_STREAMS = 256;

    /** A gateway with the default bound on density steps. */
    public GatewayConfig(String host, int port, long graceSeconds, int maxRuns, String token, long staleSeconds, int maxViewRuns,
            String analysisId, MetricsRecord.Limits metricsLimits, int maxStreams) {
        this(host, port, graceSeconds, maxRuns, token, staleSeconds, maxViewRuns, analysisId, metricsLimits, maxStreams,
                RunsView.DEFAULT_DENSITY_STEPS);
    }

    /** A gateway with the default bound on event streams. */
    public GatewayConfig(String host, int port, long graceSeconds, int maxRuns, String token, long staleSeconds, int maxViewRuns,
            String analysisId, MetricsRecord.Limits metricsLimits) {
        this(host, port, graceSeconds, maxRuns, token, staleSeconds, maxViewRuns, analysisId, metricsLimits, DEFAULT_MAX_STREAMS);
    }

    /** A gateway whose work-starting endpoints are disabled. */
    public GatewayConfig(String host, int port, long graceSeconds, int maxRuns) {
        this(host, port, graceSeconds, maxRuns, null);
    }

    /** A gateway with the default limits on metrics records. */
    public GatewayConfig(String host, int port, long graceSeconds, int maxRuns, String token, long staleSeconds, int maxViewRuns,
            String analysisId) {
        this(host, port, graceSeconds, maxRuns, token, staleSeconds, maxViewRuns, analysisId, MetricsRecord.Limits.DEFAULTS);
    }

    /** A gateway with the default stale period, view size and live analysis id. */
    public GatewayConfig(String host, int port, long graceSeconds, int maxRuns, String token) {
        this(host, port, graceSeconds, maxRuns, token, DEFAULT_STALE_SECONDS, DEFAULT_MAX_VIEW_RUNS, RunsView.DEFAULT_ANALYSIS);
    }

    /** Validates. */
    public GatewayConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("--host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        }
        if (graceSeconds < 0) {
            throw new IllegalArgumentException("--grace-seconds must be ≥ 0, got " + graceSeconds);
        }
        if (maxRuns < 1) {
            throw new IllegalArgumentException("--max-runs must be at least 1, got " + maxRuns);
        }
        if (token != null && (token.codePoints().anyMatch(Character::isWhitespace) || token.codePoints().count() < 16)) {
            throw new IllegalArgumentException("EOS_GATEWAY_TOKEN must be at least 16 characters with no whitespace "
                    + "(got " + token.codePoints().count() + " characters" + (token.codePoints().anyMatch(Character::isWhitespace)
                    ? ", some of them whitespace" : "") + "); unset it to disable replays");
        }
        if (staleSeconds < 1 || staleSeconds > 30L * 24 * 3600) {
            throw new IllegalArgumentException("--stale-seconds must be in 1.." + 30L * 24 * 3600 + ", got " + staleSeconds);
        }
        if (maxViewRuns < 1 || maxViewRuns > 1_000_000) {
            throw new IllegalArgumentException("--max-view-runs must be in 1..1000000, got " + maxViewRuns);
        }
        if (analysisId == null || !analysisId.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new IllegalArgumentException("--analysis-id must be 1-100 letters, digits, '.', '_' or '-', got '" + analysisId + "'");
        }
        if (maxStreams < 1 || maxStreams > 100_000) {
            throw new IllegalArgumentException("--max-streams must be in 1..100000, got " + maxStreams);
        }
        if (maxDensitySteps < 1 || maxDensitySteps > 100_000) {
            throw new IllegalArgumentException("--max-density-steps must be in 1..100000, got " + maxDensitySteps);
        }
        if (metricsLimits == null) {
            throw new IllegalArgumentException("the limits on metrics records are required");
        }
    }
}
