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

    /**
     * The spectral density heatmap of issue 27 from hand-made metrics records as docs/contracts.md describes them
     * (no analyzer: the records are published straight to the broker, so the test takes seconds): a run whose heavy
     * analysis id ({@code heavy}, beside the live {@code test} every 20 steps) carries the density of 𝓗 and of G every
     * 40 steps is drawn as a heatmap in Chromium (its canvas pixels counted by the page), with the operator selector,
     * the traces with their intervals (read from the heavy analysis) and the eigenvalues with their error bars; a
     * run without a density says how to get one. The heatmap alone is kept as launcher/target/web-page-density.png
     * (docs/regenerate.sh density copies it to docs/density-heatmap.png).
     */
    @Test
    void theSpectralDensityIsDrawnAsAHeatmapAndARunWithoutOneSaysHowToGetIt() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        assumeTrue(Files.exists(chromium) || System.getenv("EOS_REQUIRE_TOOLS") != null,
                "skipped: chromium is not installed (apt-get install chromium; .ci/run installs it)");
        KafkaSettings s = new KafkaSettings(kafka().bootstrapServers(), new Topics("dens."), Map.of());
        try (Admin a = Admin.create(s.admin("test"))) {
            s.topics().create(a, 2, (short) 1);
        }
        Vertx vertx = Vertx.vertx();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(s.producer("test"))) {
            GatewayVerticle gateway = new GatewayVerticle(s, new GatewayConfig("127.0.0.1", 0, 300, 50, null,
                    GatewayConfig.DEFAULT_STALE_SECONDS, GatewayConfig.DEFAULT_MAX_VIEW_RUNS, "test"));
            vertx.deployVerticle(gateway).await();
            int last = 2000;
            int every = 20;
            int densityEvery = 40;
            for (String run : List.of("densrun", "plainrun")) {
                producer.send(Records.json(s.topics().runs(), run, JsonParser.parseString("{\"schema\":1,\"run\":\"" + run
                        + "\",\"status\":\"finished\",\"solver\":\"gd\",\"learningRate\":0.05,\"n\":1000,\"classes\":10,"
                        + "\"dataset\":\"cifar10\",\"architecture\":\"3072-200-200-10\"}").getAsJsonObject()));
                java.util.Random random = new java.util.Random(27);
                for (int step = 0; step <= last; step += every) {
                    double time = 0.05 * step;
                    double loss = 2.3 / (1 + step / 300.0);
                    producer.send(Records.json(s.topics().telemetry(), run, new TelemetryRecord.Step(run, step, time, loss,
                            Double.NaN, 0.05, Double.NaN, 0).toJson()));
                    // keyed run/step/analysis_id, as analyzers key them
                    producer.send(Records.json(s.topics().metrics(), run + "/" + step + "/test", metrics(run, step, time, "test", random)));
                    if (run.equals("densrun") && step % densityEvery == 0) { // as a second consumer group of heavy analyses
                        producer.send(Records.json(s.topics().metrics(), run + "/" + step + "/heavy",
                                metrics(run, step, time, "heavy", random)));
                    }
                }
            }
            producer.flush();
            Poll.until(Duration.ofSeconds(60), "both runs' last metrics", () -> List.of("densrun", "plainrun").stream()
                    .allMatch(r -> gateway.view().get(r).flatMap(v -> v.metrics()).map(m -> m.step() >= last).orElse(false)));
            String base = "http://127.0.0.1:" + gateway.port() + "/";

            String dom = chromium(chromium, base + "#run=densrun&static", "--dump-dom", "--window-size=1400,1800");
            Matcher chart = Pattern.compile("<div [^>]*id=\"chart-density\"[^>]*>").matcher(dom);
            assertThat(chart.find()).as("the heatmap's container in %s", dom).isTrue();
            Map<String, String> data = attributes(chart.group());
            // one column per step that carries a density, 2000 / 40 + 1, and cells coloured in them
            assertThat(data).containsEntry("data-columns", Integer.toString(last / densityEvery + 1))
                    .containsEntry("data-operator", "hessian").doesNotContainKey("hidden");
            assertThat(Integer.parseInt(data.get("data-points"))).isGreaterThan(last / densityEvery * 20);
            // pixels the page itself read back from its canvas after painting: most of the plot area is coloured
            // (the bulk near 0 and the outliers up to λmax; transparent only where the density is 10⁻⁶ of its largest)
            long pixels = Long.parseLong(data.get("data-pixels"));
            long area = Long.parseLong(data.get("data-plot-pixels"));
            assertThat(area).isGreaterThan(100_000);
            assertThat(pixels).isGreaterThan(area / 4).isLessThanOrEqualTo(area);
            assertThat(dom).containsPattern("<select id=\"density-operator\" aria-label=\"operator\">")
                    .containsPattern("<p class=\"muted\" id=\"density-none\" hidden=\"\">")
                    .containsPattern("id=\"density-readout\">step 2000 · λmax\\(𝓗\\) [0-9.]+ · 4 probe vectors · 51 steps drawn \\(analysis heavy\\)")
                    // the latest trace with its interval and method (of the heavy analysis: the live one has none), tr(G) exact,
            // their ratio
                    .contains("tr(𝓗) 312.5 [301.2, 323.8] (hutch++, 95% interval)", "tr(G) 290.1 (exact)", "tr(G)/tr(𝓗) 0.9283")
                    // each top eigenvalue with its residual bound, the Kato–Temple bound where a gap is known
                    .containsPattern("id=\"spectra-readout\"[^>]*>at step 2000: 𝓗: [0-9.]+ ± 2.0e-4 \\(K–T 1.0e-9\\), "
                            + "[0-9.]+ ± 0.003, [0-9.]+ ± 0.02 · G: [0-9.]+ ± 1.0e-4");
            assertThat(drawn(dom)).contains("chart-density", "chart-sharpness", "chart-spectra");

            String plain = chromium(chromium, base + "#run=plainrun&static", "--dump-dom");
            assertThat(plain).containsPattern("<p class=\"muted\" id=\"density-none\">No spectral density for this run yet: "
                    + "run the analyzer with\\s+<code>--density</code>")
                    .contains("docs/science.md#spectral-density")
                    .containsPattern("id=\"chart-density\" data-points=\"0\" data-columns=\"0\" hidden=\"\"")
                    .contains("<div class=\"density-legend\" id=\"density-legend\" hidden=\"\">");
            assertThat(drawn(plain)).doesNotContain("chart-density").contains("chart-sharpness");

            Path shot = Path.of("target", "web-page-density.png").toAbsolutePath();
            chromium(chromium, base + "#run=densrun&static&only=density", "--screenshot=" + shot, "--window-size=1000,540");
            assertThat(shot).exists();
            assertThat(Files.size(shot)).isGreaterThan(10_000);
        } finally {
            vertx.close().await();
        }
    }

    /** The attributes of one HTML start tag, by name (a bare attribute maps to ""). */
    private static Map<String, String> attributes(String tag) {
        Map<String, String> out = new java.util.HashMap<>();
        Matcher m = Pattern.compile("([a-z-]+)(?:=\"([^\"]*)\")?").matcher(tag.replaceFirst("^<[a-z]+", ""));
        while (m.find()) {
            out.put(m.group(1), m.group(2) == null ? "" : m.group(2));
        }
        return out;
    }

    /**
     * A metrics record of GD at η = 0.05 shaped like a real one (docs/science.md#sharpness-and-the-edge-of-stability), of the
     * live analysis id {@code test} or of the heavy one, {@code heavy}:
     * λmax(𝓗) sharpens progressively to 2/η = 40 by step 900 and then hovers at it, with two smaller outliers at fixed
     * fractions of it; the bulk of the spectrum sits near 0 with tails of small positive and negative eigenvalues that
     * widen (the negative one narrows) during training. A heavy record also carries the density of 𝓗 and of G (SLQ's
     * shape: 4 probes × 32 Ritz nodes, the outliers at about 1/n of the mass each, n = 4000, the bulk's nodes at its
     * quantiles with some jitter, the curve on the contract's grid) and the traces.
     */
    static JsonObject metrics(String run, int step, double time, String analysisId, java.util.Random random) {
        boolean heavy = analysisId.equals("heavy");
        double lmax = step < 900 ? 5 + 35 * (1 - Math.exp(-step / 330.0)) : 40 + 1.2 * Math.sin(step / 37.0) + 0.5 * Math.sin(step / 11.0);
        double gn = 0.97 * lmax;
        JsonObject o = JsonParser.parseString("{\"schema\":1,\"run\":\"" + run + "\",\"step\":" + step + ",\"time\":" + time
                + ",\"analysis_id\":\"" + analysisId + "\",\"rho_K\":" + gn + ",\"K_max_sq_mean\":" + 1.6 * gn
                + ",\"hessian\":{\"eigenvalues\":[" + lmax + "," + 0.35 * lmax + "," + 0.1 * lmax + "],"
                + "\"residual_bounds\":[2e-4,3e-3,0.02],\"kato_temple_bounds\":[1e-9,null,null]},"
                + "\"gauss_newton\":{\"eigenvalues\":[" + gn + "," + 0.35 * gn + "],\"residual_bounds\":[1e-4,2e-3]},"
                + "\"residual\":{\"eigenvalues\":[" + 0.03 * lmax + "]}}").getAsJsonObject();
        if (heavy) {
            JsonObject density = new JsonObject();
            density.add("hessian", slq(lmax, step, random));
            density.add("gauss_newton", slq(gn, step, random));
            o.add("density", density);
            o.add("trace", JsonParser.parseString("{\"hessian\":{\"value\":312.5,\"interval\":[301.2,323.8],\"coverage\":0.95,"
                    + "\"method\":\"hutch++\",\"products\":30,\"probes\":10},\"gauss_newton\":{\"value\":290.1,"
                    + "\"interval\":[290.1,290.1],\"coverage\":1.0,\"method\":\"exact\",\"products\":0,"
                    + "\"gradient_equivalents\":10},\"gauss_newton_share\":" + 290.1 / 312.5 + ",\"top_share\":{\"hessian\":"
                    + lmax / 312.5 + ",\"gauss_newton\":" + gn / 290.1 + "}}").getAsJsonObject());
        }
        return o;
    }

    /** A density as SLQ reports it (see {@link #metrics}): nodes and weights, probe-major, and the smoothed curve. */
    private static JsonObject slq(double lmax, int step, java.util.Random random) {
        int probes = 4;
        int steps = 32;
        double n = 4_000;
        double grow = Math.min(1, step / 1500.0);
        double[] outliers = {lmax, 0.35 * lmax, 0.1 * lmax};
        double[] nodes = new double[probes * steps];
        double[] weights = new double[probes * steps];
        for (int p = 0; p < probes; p++) {
            double outlierMass = 0;
            int at = p * steps;
            for (double v : outliers) {
                nodes[at] = v * (1 + 1e-3 * random.nextGaussian());
                weights[at] = (0.4 + 1.2 * random.nextDouble()) / n / probes;
                outlierMass += weights[at++];
            }
            int bulk = steps - outliers.length;
            for (int k = 0; k < bulk; k++, at++) {
                double q = Math.min(0.999, Math.max(0.001, (k + 0.5 + 0.35 * random.nextGaussian()) / bulk));
                // the bulk's quantile q: the negative tail (12%), the core |λ| < 1e-3 (63%), the positive tail (25%)
                if (q < 0.12) {
                    nodes[at] = -Math.exp(Math.log(0.4 - 0.3 * grow) + (Math.log(1e-3) - Math.log(0.4 - 0.3 * grow)) * q / 0.12);
                } else if (q < 0.75) {
                    nodes[at] = 1e-3 * (2 * (q - 0.12) / 0.63 - 1);
                } else {
                    nodes[at] = Math.exp(Math.log(1e-3) + (Math.log(0.3 + 1.5 * grow) - Math.log(1e-3)) * (q - 0.75) / 0.25);
                }
                weights[at] = (1.0 / probes - outlierMass) / bulk;
            }
        }
        double[] curve = new double[141];
        for (int i = 0; i < curve.length; i++) {
            double u = -7 + 0.1 * i;
            for (int j = 0; j < nodes.length; j++) {
                double z = (u - Math.max(-7, Math.min(7, asinh(nodes[j] / 1e-3) / Math.log(10)))) / 0.1;
                curve[i] += weights[j] * Math.exp(-0.5 * z * z) / (0.1 * Math.sqrt(2 * Math.PI));
            }
        }
        JsonObject d = new JsonObject();
        d.addProperty("probes", probes);
        d.addProperty("steps", steps);
        d.addProperty("products", probes * steps);
        d.add("nodes", array(nodes));
        d.add("weights", array(weights));
        d.add("curve", array(curve));
        d.add("grid", JsonParser.parseString("{\"scale\":0.001,\"u_min\":-7.0,\"u_step\":0.1,\"sigma_u\":0.1}"));
        return d;
    }

    /** asinh, odd by construction (Java 17's Math has none). */
    private static double asinh(double x) {
        return Math.copySign(Math.log(Math.abs(x) + Math.sqrt(x * x + 1)), x);
    }

    private static com.google.gson.JsonArray array(double[] values) {
        com.google.gson.JsonArray a = new com.google.gson.JsonArray();
        for (double v : values) {
            a.add(v);
        }
        return a;
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
