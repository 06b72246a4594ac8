package io.eoscope.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code helm test} hook: helm template leaves hooks out, so a copy of the chart without the hook annotation
 * renders the pod, and its script runs in a real BusyBox shell against a stand-in gateway.
 */
@Tag("integration")
class TestHookTest {
    static final Path HOOK = Path.of("templates/tests/test-gateway.yaml");
    /** Links to BusyBox named after its applets (outside the temporary directories, which warn about links). */
    static final Path APPLETS = Path.of("target/busybox-applets").toAbsolutePath();

    @TempDir
    Path scratch;

    private Map<String, Object> renderHookPod() throws IOException {
        Path chart = Chart.copy(scratch);
        Path hook = chart.resolve(HOOK);
        String text = Files.readString(hook);
        Files.writeString(hook, text.replaceAll("(?m)^\\s*helm\\.sh/hook.*\\n", ""));
        Manifests m = Chart.template(chart, List.of(), Map.of());
        return m.get("Pod", ManifestTest.FULLNAME + "-test-gateway");
    }

    @Test
    void theHookIsATestPodThatRunsAsNonRoot() throws IOException {
        String source = Files.readString(Chart.DIR.resolve(HOOK));
        assertThat(source).contains("helm.sh/hook: test").contains("helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded");
        Map<String, Object> pod = renderHookPod();
        assertThat(Yamls.at(pod, "spec.restartPolicy")).isEqualTo("Never");
        assertThat(Yamls.at(pod, "spec.securityContext.runAsNonRoot")).isEqualTo(true);
        assertThat((Integer) Yamls.at(pod, "spec.securityContext.runAsUser")).isPositive();
        Map<String, Object> c = Yamls.map(pod, "spec.containers.0");
        assertThat(c.get("image")).isEqualTo("busybox:1.37.0");
        assertThat(Yamls.at(c, "securityContext.readOnlyRootFilesystem")).isEqualTo(true);
        assertThat(Yamls.at(c, "securityContext.allowPrivilegeEscalation")).isEqualTo(false);
        assertThat(Workloads.env(c)).containsEntry("GATEWAY", "http://" + ManifestTest.GATEWAY + ":8080");
        assertThat(Yamls.map(pod, "metadata.labels")).containsEntry("app.kubernetes.io/component", "test");
        // the gateway's network policy lets the test pod in even when it names its peers
        Manifests restricted = Chart.template(List.of(Chart.CI.resolve("monitoring-values.yaml")), Map.of());
        assertThat(Yamls.<Map<String, Object>>list(restricted.get("NetworkPolicy", ManifestTest.GATEWAY), "spec.ingress.0.from"))
                .anySatisfy(peer -> assertThat(Yamls.at(peer, "podSelector.matchLabels")).isEqualTo(Map.of(
                        "app.kubernetes.io/name", "eoscope", "app.kubernetes.io/instance", Chart.RELEASE,
                        "app.kubernetes.io/component", "test")));
    }

    @Test
    void theScriptPassesOnAHealthyGatewayAndNamesWhatIsWrongOtherwise() throws Exception {
        // without the package the test is skipped with this reason; .ci/run sets EOS_REQUIRE_TOOLS, so there it fails instead
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/busybox")) || Files.isExecutable(Path.of("/bin/busybox"))
                || System.getenv("EOS_REQUIRE_TOOLS") != null,
                "skipped: busybox is not installed (apt-get install busybox; .ci/run installs it)");
        String script = Yamls.<String>list(renderHookPod(), "spec.containers.0.command").get(2);
        assertThat(run(script, 200, "{\"status\":\"ok\"}", "# HELP eos_run_loss ...\neos_run_loss{run=\"a\"} 0.5\njvm_threads 3\n"))
                .startsWith("0:").contains("OK: ").contains("holds 1 eos_ samples");
        assertThat(run(script, 200, "{\"status\":\"ok\"}", "# HELP jvm_threads\njvm_threads 3\n"))
                .startsWith("1:").contains("/metrics holds no eos_ series");
        assertThat(run(script, 503, "{\"status\":\"down\"}", "eos_x 1\n")).startsWith("1:").contains("/health did not answer 200");
        assertThat(run(script, 200, "{\"status\":\"starting\"}", "eos_x 1\n")).startsWith("1:").contains("/health answered");
    }

    /** Runs the script in BusyBox's sh against a stand-in gateway; returns "status:output". */
    private String run(String script, int healthStatus, String health, String metrics) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/health", ex -> reply(ex, healthStatus, health));
        server.createContext("/metrics", ex -> reply(ex, 200, metrics));
        server.start();
        try {
            ProcessBuilder pb = new ProcessBuilder(busybox(), "sh", "-c", script).redirectErrorStream(true);
            pb.environment().put("GATEWAY", "http://127.0.0.1:" + server.getAddress().getPort());
            // BusyBox resolves wget, grep and friends to its own applets when it runs as the shell
            pb.environment().put("PATH", APPLETS.toString());
            linkApplets();
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            return p.exitValue() + ":" + out;
        } finally {
            server.stop(0);
        }
    }

    private void linkApplets() throws IOException {
        Path dir = Files.createDirectories(APPLETS);
        for (String applet : List.of("sh", "wget", "grep", "echo", "cat", "tr", "sleep", "nc")) {
            Path link = dir.resolve(applet);
            if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, Path.of(busybox()));
            }
        }
    }

    private static String busybox() {
        for (String candidate : List.of("/usr/bin/busybox", "/bin/busybox")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new AssertionError("the helm test hook's script runs in BusyBox: install the Debian package busybox");
    }

    private static void reply(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }
}
