package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.analyzer.AnalyzerVerticle;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.io.SafetensorsFile;
import io.eoscope.gateway.GatewayConfig;
import io.eoscope.gateway.GatewayVerticle;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.stream.TrainerVerticle;
import io.eoscope.wire.ChunkCodec;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Records;
import io.eoscope.wire.TelemetryRecord;
import io.eoscope.wire.Topics;
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live page in a real headless Chromium (Debian package chromium) during a run: the run appears
 * and every chart has drawn data. The screenshot is kept as a test artifact in
 * launcher/target/web-page.png.
 */
@Tag("integration")
@Timeout(300)
class WebPageTest {
    @TempDir
    Path dir;
    /** The broker's directory: one broker for both tests (each its own topic prefix), started by the first that runs. */
    @TempDir
    static Path brokerDir;
    static EmbeddedKafka kafka;

    /** The class's broker, started on first use (not at all when chromium is missing and every test is skipped). */
    static synchronized EmbeddedKafka kafka() throws Exception {
        if (kafka == null) {
            kafka = EmbeddedKafka.start(brokerDir.resolve("kafka"));
        }
        return kafka;
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void pageShowsTheRunWithDataInEveryChart() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        // without the package the test is skipped with this reason; .ci/run sets EOS_REQUIRE_TOOLS, so there it fails instead
        assumeTrue(Files.exists(chromium) || System.getenv("EOS_REQUIRE_TOOLS") != null,
                "skipped: chromium is not installed (apt-get install chromium; .ci/run installs it)");
        assertThat(chromium).as("the Debian package chromium (.ci/run installs it)").exists();
        KafkaSettings s = new KafkaSettings(kafka().bootstrapServers(), new Topics("web."), Map.of());
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
            assertThat(drawn(dom)).contains("chart-loss", "chart-sharpness", "chart-spectra", "chart-layers", "chart-factors",
                    "chart-rho");
            // a GD run against its own threshold, 2/η = 40 (η = 0.05), and its ratio read out
            assertThat(dom).contains("<span id=\"stability-formula\">2/η</span>")
                    .containsPattern("id=\"stability-readout\">ratio [0-9.]+ = λmax\\(𝓗\\) [0-9.]+ ÷ 2/η = 40 at step [0-9]+ "
                            + "\\(analyzer, gd\\)<");
            Path shot = Path.of("target", "web-page.png").toAbsolutePath();
            chromium(chromium, url, "--screenshot=" + shot, "--window-size=1400,1800");
            assertThat(shot).exists();
            assertThat(Files.size(shot)).isGreaterThan(10_000);
            trainer.finished().await();
        } finally {
            vertx.close().await();
        }
    }

    /**
     * A run of eoscope's Python client with a TorchScript module (the traced CNN of the curvature module's
     * fixtures), its records written to a real broker as the client writes them and analysed by a real
     * analyzer: the page draws λmax(Gˡ) of each named layer and says why there is no factor chart.
     */
    @Test
    void aTorchScriptRunShowsItsLayersByNameAndSaysWhyItHasNoFactors() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        assumeTrue(Files.exists(chromium) || System.getenv("EOS_REQUIRE_TOOLS") != null,
                "skipped: chromium is not installed (apt-get install chromium; .ci/run installs it)");
        Path fixtures = Path.of("..", "curvature", "src", "test", "resources", "torchscript");
        byte[] module = Files.readAllBytes(fixtures.resolve("cnn.pt"));
        byte[] dataset = Files.readAllBytes(fixtures.resolve("cnn-data.safetensors"));
        String datasetHash = Records.sha256(dataset);
        String moduleHash = Records.sha256(module);
        SafetensorsFile params = Safetensors.read(fixtures.resolve("cnn.safetensors"));
        KafkaSettings s = new KafkaSettings(kafka().bootstrapServers(), new Topics("ts."), Map.of());
        try (Admin a = Admin.create(s.admin("test"))) {
            s.topics().create(a, 2, (short) 1);
        }
        Vertx vertx = Vertx.vertx();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(s.producer("test"))) {
            vertx.deployVerticle(new AnalyzerVerticle(s, StreamingPipelineTest.analyzerConfig("ts"))).await();
            GatewayVerticle gateway = new GatewayVerticle(s, new GatewayConfig("127.0.0.1", 0, 300, 50, null,
                    GatewayConfig.DEFAULT_STALE_SECONDS, GatewayConfig.DEFAULT_MAX_VIEW_RUNS, "test"));
            vertx.deployVerticle(gateway).await();
            List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
            records.addAll(ChunkCodec.encodeCompacted(s.topics().datasets(), datasetHash, datasetHash, dataset));
            records.addAll(ChunkCodec.encodeCompacted(s.topics().datasets(), moduleHash, moduleHash, module));
            JsonObject run = JsonParser.parseString("{\"schema\":1,\"run\":\"tsrun\",\"status\":\"running\",\"solver\":\"gd\","
                    + "\"learningRate\":0.5,\"n\":16,\"classes\":3,\"dataset\":\"pytorch\",\"model_kind\":\"torchscript\","
                    + "\"architecture\":\"torchscript 3x8x8 -> 3\",\"dataset_hash\":\"" + datasetHash + "\"}").getAsJsonObject();
            records.add(Records.json(s.topics().runs(), "tsrun", run));
            for (int step = 0; step <= 20; step += 10) {
                Map<String, String> meta = new java.util.HashMap<>(params.metadata());
                meta.putAll(Map.of("run", "tsrun", "step", Integer.toString(step), "time", Double.toString(0.5 * step),
                        "dataset", datasetHash, "lr", "0.5", "solver", "gd"));
                byte[] snapshot = Safetensors.encode(new SafetensorsFile(params.tensors(), meta));
                records.addAll(ChunkCodec.encode(s.topics().snapshots(), "tsrun", "tsrun@" + step, snapshot));
                records.add(Records.json(s.topics().telemetry(), "tsrun",
                        new TelemetryRecord.Step("tsrun", step, 0.5 * step, 1.0, Double.NaN, 0.5, Double.NaN, 0).toJson()));
            }
            for (ProducerRecord<String, byte[]> r : records) {
                producer.send(r).get();
            }
            Poll.until(Duration.ofSeconds(120), "three analysed TorchScript snapshots", () -> gateway.view().get("tsrun")
                    .flatMap(r -> r.metrics()).map(m -> m.step() >= 20).orElse(false));
            String url = "http://127.0.0.1:" + gateway.port() + "/#run=tsrun&static";
            String dom = chromium(chromium, url, "--dump-dom");
            assertThat(drawn(dom)).contains("chart-sharpness", "chart-spectra", "chart-layers").doesNotContain("chart-factors");
            assertThat(dom).containsPattern("<p class=\"muted\" id=\"factors-note\">This run is a TorchScript module")
                    .contains("conv1", "conv2", "head");
            Path shot = Path.of("target", "web-page-torchscript.png").toAbsolutePath();
            chromium(chromium, url, "--screenshot=" + shot, "--window-size=1400,1800");
            assertThat(shot).exists();
            // a PyTorch Adam loop as the Python client publishes it (its runs record names the optimizer, its steps
            // carry no stability of their own): the page labels the run's own threshold, (2+2β1)/((1−β1)η) = 3.8/(0.1·0.5)
            // = 76, and says that λmax(P⁻¹𝓗) has no value yet rather than compare λmax(𝓗) with it
            producer.send(Records.json(s.topics().runs(), "adamrun", JsonParser.parseString("{\"schema\":1,\"run\":\"adamrun\","
                    + "\"status\":\"running\",\"solver\":\"pytorch\",\"learningRate\":0.5,\"optimizer\":\"adam\",\"beta1\":0.9,"
                    + "\"beta2\":0.999,\"eps\":1e-8,\"n\":16,\"classes\":3,\"dataset\":\"pytorch\",\"dataset_hash\":\""
                    + datasetHash + "\"}").getAsJsonObject())).get();
            for (int step = 0; step <= 20; step += 10) {
                producer.send(Records.json(s.topics().telemetry(), "adamrun",
                        new TelemetryRecord.Step("adamrun", step, 0.5 * step, 1.0, Double.NaN, 0.5, Double.NaN, 0).toJson())).get();
            }
            Poll.until(Duration.ofSeconds(30), "the Adam run's steps", () -> gateway.view().get("adamrun")
                    .flatMap(r -> r.telemetry()).map(t -> t.step() >= 20).orElse(false));
            String adam = chromium(chromium, "http://127.0.0.1:" + gateway.port() + "/#run=adamrun&static", "--dump-dom");
            assertThat(adam).contains("<span id=\"stability-formula\">(2+2β1)/((1−β1)η)</span>",
                    "<span id=\"stability-title\">Stability quantity λmax(P⁻¹𝓗)</span>",
                    "id=\"stability-readout\">no value of λmax(P⁻¹𝓗) yet · threshold (2+2β1)/((1−β1)η) = 76 (adam)<");
        } finally {
            vertx.close().await();
        }
    }

    /** The ids of the charts in {@code dom} that drew at least one point. */
    private static List<String> drawn(String dom) {
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
        return drawn;
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
