package io.eoscope.launcher;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.broker.EmbeddedKafka;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A real Prometheus process (the Debian package, 2.42) that scrapes its targets every second and loads
 * the rules of deploy/prometheus (the alerts and the eoscope-fleet recording rules), for the tests that
 * read series, rules and dashboard queries back through its HTTP API. One per test class: starting it
 * and waiting for the first scrapes is what costs.
 */
final class RealPrometheus implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/prometheus");
    static final Path RULES = Path.of("..", "deploy", "prometheus", "eoscope-rules.yaml").toAbsolutePath().normalize();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Process process;
    private final int port;

    private RealPrometheus(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts Prometheus in {@code dir}, scraping {@code 127.0.0.1:targetPort} (job {@code eoscope}) every second. */
    static RealPrometheus start(Path dir, int targetPort) throws IOException {
        return start(dir, List.of(targetPort));
    }

    /**
     * Starts Prometheus in {@code dir}, scraping every {@code 127.0.0.1:port} of {@code targetPorts} (job {@code eoscope},
     * one {@code instance} each, as Prometheus sees gateway replicas) every second.
     */
    static RealPrometheus start(Path dir, List<Integer> targetPorts) throws IOException {
        // without the package the test is skipped with this reason; .ci/run sets EOS_REQUIRE_TOOLS, so there it fails instead
        assumeTrue(Files.exists(BINARY) || System.getenv("EOS_REQUIRE_TOOLS") != null,
                "skipped: prometheus is not installed (apt-get install prometheus; .ci/run installs it)");
        int port = EmbeddedKafka.freePort();
        Path config = dir.resolve("prometheus.yml");
        Files.createDirectories(dir);
        Files.writeString(config, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                + "rule_files:\n  - '" + RULES + "'\n"
                + "scrape_configs:\n  - job_name: eoscope\n    static_configs:\n      - targets: ["
                + targetPorts.stream().map(p -> "'127.0.0.1:" + p + "'").collect(Collectors.joining(", ")) + "]\n");
        Process p = new ProcessBuilder(BINARY.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        return new RealPrometheus(p, port);
    }

    int port() {
        return port;
    }

    /** The result of an instant query, or an empty array when the query fails (see {@link #instant} for the status). */
    JsonArray query(String promql) {
        try {
            JsonObject o = instant(promql);
            return "success".equals(o.get("status").getAsString()) ? o.getAsJsonObject("data").getAsJsonArray("result") : new JsonArray();
        } catch (RuntimeException e) {
            return new JsonArray();
        }
    }

    /** The whole answer of {@code /api/v1/query} at the current time (status, data or errorType and error). */
    JsonObject instant(String promql) {
        return get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    }

    /** The whole answer of {@code /api/v1/query_range} over the last {@code seconds}, one point per {@code stepSeconds}. */
    JsonObject range(String promql, long seconds, long stepSeconds) {
        long end = System.currentTimeMillis() / 1000;
        return get("/api/v1/query_range?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8) + "&start=" + (end - seconds)
                + "&end=" + end + "&step=" + stepSeconds);
    }

    /** {@code /api/v1/rules}: the rule groups as loaded, with each rule's query, health and last error. */
    JsonArray ruleGroups() {
        return get("/api/v1/rules").getAsJsonObject("data").getAsJsonArray("groups");
    }

    private JsonObject get(String path) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return JsonParser.parseString(r.body()).getAsJsonObject();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }
}
