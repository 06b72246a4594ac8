package io.eoscope.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.gateway.PowerLaw;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eos reproduce --preset mini} end to end in its own JVM, through the embedded Kafka broker, the
 * trainer and analyzer verticles: every figure, CSV and claims row of the report exists with finite
 * numbers, the power law is the fit of the points shown, and a rerun trains nothing.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReproduceMiniTest {
    Path scratch;
    Path out;
    EosProcess.Result first;
    JsonObject report;

    @BeforeAll
    void reproduce(@TempDir Path dir) throws Exception {
        scratch = dir;
        out = scratch.resolve("mini");
        first = EosProcess.run(scratch, "reproduce", "--preset", "mini", "--out", out.toString());
        assertEquals(0, first.status(), first.err());
        report = JsonParser.parseString(Files.readString(out.resolve("report.json"), StandardCharsets.UTF_8)).getAsJsonObject();
    }

    @Test
    void writesTheReportWithOneRowPerClaim() throws Exception {
        assertEquals(out.resolve("report.html").toAbsolutePath().toString(), first.out().trim());
        String html = Files.readString(out.resolve("report.html"), StandardCharsets.UTF_8);
        JsonArray claims = report.getAsJsonArray("claims");
        List<String> numbers = new ArrayList<>();
        for (JsonElement e : claims) {
            JsonObject c = e.getAsJsonObject();
            numbers.add(c.get("claim").getAsString().split(" ")[0]);
            assertTrue(Set.of("agrees", "partly", "disagrees", "not measured").contains(c.get("verdict").getAsString()), c.toString());
            assertFalse(c.get("paper").getAsString().isBlank());
            assertFalse(c.get("measured").getAsString().isBlank());
            assertFalse(c.get("measured").getAsString().contains("NaN"), c.toString());
            assertTrue(html.contains(c.get("verdict").getAsString()));
        }
        // the claims 1–4 of docs/science.md#the-papers-claims, claim 3 split into its three parts; then one claim per
        // optimizer of experiment 6 (mini: gd, momentum, adam, mini-batch SGD)
        assertEquals(List.of("1.", "2.", "3a.", "3b.", "3c.", "4.", "6a.", "6b.", "6c.", "6d."), numbers);
        assertTrue(report.getAsJsonObject("versions").has("libtorch"));
        assertTrue(report.getAsJsonObject("configuration").getAsJsonArray("runs").size() >= 15);
        assertTrue(Files.size(out.resolve("data/examples.png")) > 100);
    }

    @Test
    void everyFigureHasItsPngAndAFiniteCsv() throws Exception {
        List<String> ids = new ArrayList<>();
        for (JsonElement s : report.getAsJsonArray("sections")) {
            for (JsonElement f : s.getAsJsonObject().getAsJsonArray("figures")) {
                JsonObject fig = f.getAsJsonObject();
                ids.add(fig.get("id").getAsString());
                Path png = out.resolve("figures").resolve(fig.get("id").getAsString() + ".png");
                byte[] head = Files.readAllBytes(png);
                assertTrue(head.length > 1000 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G', png.toString());
                List<String> lines = Files.readAllLines(out.resolve(fig.get("csv").getAsString()));
                List<String> header = List.of(lines.get(0).split(","));
                int x = header.indexOf(fig.get("x").getAsString());
                int y = header.indexOf(fig.get("y").getAsString());
                int series = header.indexOf(fig.get("series").getAsString());
                assertTrue(x >= 0 && y >= 0 && series >= 0, fig + " " + header);
                assertTrue(lines.size() > 3, fig.toString());
                for (String line : lines.subList(1, lines.size())) {
                    String[] v = line.split(",", -1);
                    assertEquals(header.size(), v.length, line);
                    for (int i = 0; i < v.length; i++) {
                        if (i != series) {
                            assertTrue(Double.isFinite(Double.parseDouble(v[i])), fig.get("csv") + ": " + line);
                        }
                    }
                }
            }
        }
        assertEquals(List.of("eos-sharpness", "eos-loss", "sharpness-split", "layers-gauss-newton", "layers-k-max",
                "alignment-rho", "alignment-factors", "powerlaw-cross-entropy", "powerlaw-cross-entropy-edge", "powerlaw-mse",
                "powerlaw-mse-edge", "optimizers-ratio"), ids);
    }

    @Test
    void eachGdRunOfExperimentOneHasItsDensityHeatmapAndTraces() throws Exception {
        JsonObject section = null;
        for (JsonElement s : report.getAsJsonArray("sections")) {
            if (s.getAsJsonObject().get("id").getAsString().equals("density")) {
                section = s.getAsJsonObject();
            }
        }
        assertTrue(section != null, "no density section");
        JsonArray heatmaps = section.getAsJsonArray("heatmaps");
        assertEquals(2, heatmaps.size(), section.toString()); // the mini preset's two GD step sizes
        for (JsonElement e : heatmaps) {
            JsonObject h = e.getAsJsonObject();
            byte[] png = Files.readAllBytes(out.resolve("figures").resolve(h.get("id").getAsString() + ".png"));
            assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', h.toString());
            List<String> lines = Files.readAllLines(out.resolve(h.get("csv").getAsString()));
            assertEquals(5 + 141, lines.get(0).split(",").length, lines.get(0));
            assertTrue(lines.size() >= 2, h.toString());
            Path trace = out.resolve(h.get("csv").getAsString()).resolveSibling("trace.csv");
            assertTrue(Files.readAllLines(trace).size() >= 2, trace.toString());
        }
        // only GD runs of experiment 1 pay for the density
        assertFalse(Files.exists(out.resolve("runs/eos-exp-euler/density.csv")));
    }

    @Test
    void thePowerLawIsTheFitOfEverySeedsPointAtBothMoments() throws Exception {
        JsonObject section = null;
        for (JsonElement s : report.getAsJsonArray("sections")) {
            if (s.getAsJsonObject().get("id").getAsString().equals("powerlaw")) {
                section = s.getAsJsonObject();
            }
        }
        // fits: loss, moment, quantity, a, beta, beta 95% low, high, bootstrap low, high, R2 of means, R2, points, sizes
        Map<String, JsonArray> reported = new HashMap<>();
        Set<String> quantities = new java.util.HashSet<>();
        for (JsonElement r : section.getAsJsonArray("tables").get(0).getAsJsonObject().getAsJsonArray("rows")) {
            JsonArray row = r.getAsJsonArray();
            quantities.add(row.get(2).getAsString());
            reported.put(row.get(0).getAsString() + "/" + row.get(1).getAsString() + "/" + row.get(2).getAsString(), row);
        }
        // every alignment quantity is fitted, not only the default
        assertEquals(Set.of("Π_χ¹", "P_{χ,Δ/χ}¹", "Π_J¹", "P_{Δ,J}¹", "E‖K¹‖²_max", "λmax(G¹)"), quantities);
        // points: loss, N, seed, moment, ...: at the end two seeds per N and loss; at the edge only the runs that
        // reached 2/η (in mini most start near it; at least two sizes per loss reach it, so that there is a fit)
        Map<String, Integer> perN = new HashMap<>();
        Map<String, Integer> atMoment = new HashMap<>();
        for (JsonElement r : section.getAsJsonArray("tables").get(1).getAsJsonObject().getAsJsonArray("rows")) {
            JsonArray row = r.getAsJsonArray();
            perN.merge(row.get(0).getAsString() + "/" + row.get(1).getAsString() + "/" + row.get(3).getAsString(), 1,
                    Integer::sum);
            atMoment.merge(row.get(0).getAsString() + "/" + row.get(3).getAsString(), 1, Integer::sum);
        }
        for (String loss : List.of("cross_entropy", "mse")) {
            assertEquals(12, atMoment.get(loss + "/end"), perN.toString());
            assertTrue(perN.entrySet().stream().filter(e -> e.getKey().startsWith(loss + "/") && e.getKey().endsWith("/edge"))
                    .count() >= 2, perN.toString());
        }
        assertTrue(perN.values().stream().allMatch(c -> c >= 1 && c <= 2), perN.toString());
        for (String loss : List.of("cross_entropy", "mse")) {
            for (String moment : List.of("end", "edge")) {
                List<double[]> points = new ArrayList<>();
                List<double[]> line = new ArrayList<>();
                String csv = "powerlaw/" + loss + (moment.equals("end") ? "" : "-edge") + ".csv";
                try (Stream<String> lines = Files.lines(out.resolve(csv))) {
                    lines.skip(1).map(l -> l.split(",")).forEach(v -> {
                        double[] p = {Double.parseDouble(v[0]), Double.parseDouble(v[1])};
                        if (v[2].equals("each seed")) {
                            points.add(p);
                        } else if (v[2].startsWith("fit")) {
                            line.add(p);
                        }
                    });
                }
                assertEquals(atMoment.get(loss + "/" + moment), points.size(), csv);
                PowerLaw fit = PowerLaw.fit(points.stream().mapToDouble(p -> p[0]).toArray(),
                        points.stream().mapToDouble(p -> p[1]).toArray());
                JsonArray r = reported.get(loss + "/" + moment + "/P_{Δ,J}¹");
                assertEquals(fit.a(), r.get(3).getAsDouble(), 1e-9 * Math.abs(fit.a()));
                assertEquals(fit.beta(), r.get(4).getAsDouble(), 1e-9);
                double[] ci = fit.betaInterval(0.95);
                assertEquals(ci[0], r.get(5).getAsDouble(), 1e-9);
                assertEquals(ci[1], r.get(6).getAsDouble(), 1e-9);
                // the bootstrap over two seeds per N is an interval around β
                assertTrue(r.get(7).getAsDouble() < fit.beta() && fit.beta() < r.get(8).getAsDouble(), r.toString());
                assertEquals(fit.r2Means(), r.get(9).getAsDouble(), 1e-9);
                assertEquals(fit.r2(), r.get(10).getAsDouble(), 1e-9);
                for (double[] p : line) { // the drawn line is a·N^β
                    assertEquals(fit.a() * Math.pow(p[0], fit.beta()), p[1], 1e-9 * p[1]);
                }
            }
        }
    }

    @Test
    void aRerunTrainsNothingAndAnotherPresetIsRefused() throws Exception {
        Path done = out.resolve("runs/eos-gd-0.05/done.json");
        FileTime before = Files.getLastModifiedTime(done);
        // the rerun and the report in this JVM (EosCli: no JVM and native engine to start); the refusal in a process of its
        // own, whose stderr then holds every line it printed, logs included
        EosProcess.Result again = EosCli.run("reproduce", "--preset", "mini", "--out", out.toString());
        assertEquals(0, again.status(), again.err());
        assertTrue(again.err().contains("every run is complete"), again.err());
        assertFalse(again.err().contains("starting a Kafka broker"), again.err());
        assertEquals(before, Files.getLastModifiedTime(done));

        EosProcess.Result other = EosProcess.run(scratch, "reproduce", "--preset", "quick", "--out", out.toString());
        assertEquals(2, other.status(), other.err());
        assertEquals(1, other.err().strip().lines().count(), other.err());
        assertTrue(other.err().contains("--out"), other.err());

        EosProcess.Result render = EosCli.run("report", "--dir", out.toString());
        assertEquals(0, render.status(), render.err());
    }

    @Test
    void anInterruptedRunIsTrainedAgainThroughAClusterAndTheOthersAreKept() throws Exception {
        // a copy of the finished directory, with one run as an interruption leaves it: files, no done.json
        Path copy = scratch.resolve("resumed");
        copyTree(out, copy, p -> !p.startsWith("kafka")); // the embedded broker's log stays behind
        Files.delete(copy.resolve("runs/size-mse-36-seed1/done.json"));
        Files.writeString(copy.resolve("runs/size-mse-36-seed1/metrics.csv"), "step,time\n0,0.0\n"); // stale, half-written
        FileTime kept = Files.getLastModifiedTime(copy.resolve("runs/eos-exp-euler/done.json"));
        try (io.eoscope.broker.EmbeddedKafka cluster =
                io.eoscope.broker.EmbeddedKafka.start(scratch.resolve("cluster"))) {
            EosProcess.Result again = EosProcess.run(scratch, "reproduce", "--preset", "mini", "--out", copy.toString(),
                    "--bootstrap-servers", cluster.bootstrapServers(), "--analyzers", "1");
            assertEquals(0, again.status(), again.err());
            assertTrue(again.err().contains("23 of 24 runs were complete"), again.err());
            assertTrue(again.err().contains("Kafka at " + cluster.bootstrapServers()), again.err());
        }
        assertEquals(kept, Files.getLastModifiedTime(copy.resolve("runs/eos-exp-euler/done.json")));
        assertTrue(Files.exists(copy.resolve("runs/size-mse-36-seed1/done.json")));
        assertTrue(Files.readAllLines(copy.resolve("runs/size-mse-36-seed1/metrics.csv")).get(0).contains("layer1.p_delta_J"));
        assertFalse(Files.exists(copy.resolve("kafka")), "no embedded broker when --bootstrap-servers is given");
    }

    /** Copies the tree {@code from} into {@code to}, keeping what {@code keep} accepts (it is given each path relative to {@code from}). */
    private static void copyTree(Path from, Path to, java.util.function.Predicate<Path> keep) throws java.io.IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path relative = from.relativize(p);
                if (!keep.test(relative)) {
                    continue;
                }
                Path target = to.resolve(relative.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    /**
     * The CIFAR-10 path end to end: batches in CIFAR-10's binary layout (a label byte, then 1,024 red, 1,024 green and
     * 1,024 blue bytes per record, data_batch_1.bin … data_batch_5.bin), read by experiment 5 of the mini preset through
     * the whole pipeline. Each class is a brightness level with noise, so the images are learnable.
     */
    @Test
    void theCifar10PathRunsEndToEndOnFilesInItsBinaryLayout() throws Exception {
        Path batches = scratch.resolve("cifar-10-batches-bin");
        Files.createDirectories(batches);
        java.util.Random r = new java.util.Random(5);
        for (int b = 1; b <= 5; b++) {
            byte[] batch = new byte[30 * 3073];
            for (int i = 0; i < 30; i++) {
                int label = (i + b) % 10;
                batch[i * 3073] = (byte) label;
                for (int k = 1; k < 3073; k++) {
                    batch[i * 3073 + k] = (byte) Math.max(0, Math.min(255, 20 * label + 40 + r.nextInt(60)));
                }
            }
            Files.write(batches.resolve("data_batch_" + b + ".bin"), batch);
        }
        // experiments 1–4 and 6 train on XOR-2D whatever --dataset says: their finished runs and the flow reference are
        // those of the reproduction above, kept as a resumed reproduction keeps finished runs, so that only experiment 5,
        // the one that reads the dataset, trains here (every one of its runs, on CIFAR-10)
        Path cifar = scratch.resolve("mini-cifar");
        copyTree(out.resolve("runs"), cifar.resolve("runs"), p -> !p.toString().startsWith("size-"));
        EosProcess.Result run = EosProcess.run(scratch, "reproduce", "--preset", "mini", "--dataset", "cifar10", "--data-dir",
                batches.toString(), "--out", cifar.toString());
        assertEquals(0, run.status(), run.err());
        assertTrue(run.err().contains("3 of 3 runs were complete") && run.err().contains("4 of 4 runs were complete"), run.err());
        assertFalse(run.err().contains("experiment 5 (dataset sizes): "), run.err()); // none of its runs was complete before
        JsonObject r2 = JsonParser.parseString(Files.readString(cifar.resolve("report.json"), StandardCharsets.UTF_8)).getAsJsonObject();
        String config = r2.getAsJsonObject("configuration").toString();
        assertTrue(config.contains("cifar10") && config.contains(batches.toString()), config);
        List<String> metrics = Files.readAllLines(cifar.resolve("runs/size-mse-36-seed1/metrics.csv"));
        assertTrue(metrics.size() >= 3 && metrics.get(0).contains("layer1.p_delta_J"), metrics.toString());
        assertFalse(Files.readString(cifar.resolve("powerlaw/mse.csv")).contains("NaN"));
    }
}
