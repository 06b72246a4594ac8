package io.eoscope.gateway;

/**
 * The gateway's settings. Validated on construction; messages name the option.
 *
 * @param host address to bind ({@code 127.0.0.1} for the demo, {@code 0.0.0.0} in a cluster)
 * @param port HTTP port (0: any free port)
 * @param graceSeconds how long a finished run's Prometheus series stay
 * @param maxRuns most runs with Prometheus series at once
 * @param token bearer token required by the endpoints that start work (replays); null disables them
 */
public record GatewayConfig(String host, int port, long graceSeconds, int maxRuns, String token) {

    /** A gateway whose work-starting endpoints are disabled. */
    public GatewayConfig(String host, int port, long graceSeconds, int maxRuns) {
        this(host, port, graceSeconds, maxRuns, null);
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
        if (token != null && token.length() < 16) {
            throw new IllegalArgumentException("the gateway token (EOS_GATEWAY_TOKEN) must be at least 16 characters");
        }
    }
}
