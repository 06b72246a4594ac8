package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.eoscope.analyzer.AnalyzerVerticle;
import io.eoscope.gateway.GatewayConfig;
import io.eoscope.gateway.GatewayVerticle;
import io.eoscope.launcher.embedded.EmbeddedKafka;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Topics;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.stream.TrainerVerticle;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live page in a real headless Chromium (Debian package chromium) during a run: the run appears
 * and every chart has drawn data. The screenshot is kept as a test artifact in
 * launcher/target/web-page.png.
 */
@Timeout(300)
class WebPageTest {
    @TempDir
    Path dir;

    @Test
    void pageShowsTheRunWithDataInEveryChart() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        // without the package the test is skipped with this reason; .ci/run sets EOS_REQUIRE_TOOLS, so there it fails instead
        assumeTrue(Files.exists(chromium) || System.getenv("EOS_REQUIRE_TOOLS") != null,
                "skipped: chromium is not installed (apt-get install chromium; .ci/run installs it)");
        assertThat(chromium).as("the Debian package chromium (.ci/run installs it)").exists();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
            KafkaSettings s = new KafkaSettings(kafka.bootstrapServers(), new Topics("web."), Map.of());
            try (Admin a = Admin.create(s.admin("test"))) {
                s.topics().create(a, 2, (short) 1);
            }
            Vertx vertx = Vertx.vertx();
            try {
                vertx.deployVerticle(new AnalyzerVerticle(s, StreamingPipelineTest.analyzerConfig("web"))).await();
                GatewayVerticle gateway = new GatewayVerticle(s, new GatewayConfig("127.0.0.1", 0, 300, 50, null,
                        GatewayConfig.DEFAULT_STALE_SECONDS, GatewayConfig.DEFAULT_MAX_VIEW_RUNS, "test"));
                vertx.deployVerticle(gateway).await();
                TrainerVerticle trainer = new TrainerVerticle(StreamingPipelineTest.run("webrun", 400, 20), dir.resolve("run"), s,
                        TrainingListener.NONE);
                vertx.deployVerticle(trainer).await();
                Poll.until(Duration.ofSeconds(120), "three analysed snapshots", () -> gateway.view().get("webrun")
                        .flatMap(r -> r.metrics()).map(m -> m.step() >= 40).orElse(false));
                // "&static": one drawing, no live stream or polling, so that headless Chromium's virtual time can end
                String url = "http://127.0.0.1:" + gateway.port() + "/#run=webrun&static";
                String dom = chromium(chromium, url, "--dump-dom");
                assertThat(dom).contains("webrun");
                Matcher m = Pattern.compile("id=\"(chart-[a-z]+)\"[^>]*data-points=\"([0-9]+)\"|data-points=\"([0-9]+)\"[^>]*id=\"(chart-[a-z]+)\"")
                        .matcher(dom);
                List<String> drawn = new ArrayList<>();
                while (m.find()) {
                    String id = m.group(1) != null ? m.group(1) : m.group(4);
                    int points = Integer.parseInt(m.group(2) != null ? m.group(2) : m.group(3));
                    if (points > 0) {
                        drawn.add(id);
                    }
                }
                assertThat(drawn).contains("chart-loss", "chart-sharpness", "chart-spectra", "chart-layers", "chart-factors",
                        "chart-rho");
                Path shot = Path.of("target", "web-page.png").toAbsolutePath();
                chromium(chromium, url, "--screenshot=" + shot, "--window-size=1400,1800");
                assertThat(shot).exists();
                assertThat(Files.size(shot)).isGreaterThan(10_000);
                trainer.finished().await();
            } finally {
                vertx.close().await();
            }
        }
    }

    private String chromium(Path binary, String url, String... mode) throws Exception {
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + Files.createTempDirectory(dir, "chromium"),
                "--virtual-time-budget=10000", "--run-all-compositor-stages-before-draw"));
        command.addAll(List.of(mode));
        command.add(url);
        Path out = dir.resolve("chromium-" + System.nanoTime() + ".out");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(dir.resolve("chromium.err").toFile())
                .start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 90 s");
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }
}
