package io.eoscope.bench;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.eoscope.analyzer.AnalyzerConfig;
import io.eoscope.analyzer.SnapshotAnalysis;
import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.RunDirectory;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.run.TrainingRun;
import io.eoscope.trainer.solve.StepRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Native memory over long work ({@code bench/run memory}): the resident set size (RSS, from
 * /proc/self/status) of this JVM sampled while (1) the trainer runs S float32 exponential-Euler steps with
 * a snapshot every 10 steps, and (2) an analyzer ({@link SnapshotAnalysis}, what {@code eos analyzer}
 * runs per snapshot) analyses A snapshots of that run in turn. A leak of native arrays shows as RSS that
 * keeps growing; flat means it levels off after warm-up. Writes a CSV of the samples. See bench/README.md.
 */
public final class MemoryBench {

    private MemoryBench() {
    }

    /** The command line of {@code bench/run memory}. */
    @Command(name = "bench/run memory", sortOptions = false, usageHelpWidth = 110,
            description = {"RSS of one JVM over a long float32 exponential-Euler run (snapshot every 10 steps) and an",
                "analyzer over many snapshots; prints the curve and writes it as CSV.", ""})
    static final class Options {
        @Option(names = "--steps", paramLabel = "S", defaultValue = "2000",
                description = "exponential-Euler steps (default: ${DEFAULT-VALUE})")
        int steps;

        @Option(names = "--analyses", paramLabel = "A", defaultValue = "500",
                description = "snapshots analysed (default: ${DEFAULT-VALUE})")
        int analyses;

        @Option(names = "--arch", paramLabel = "A", defaultValue = "2-128-128-2",
                description = "widths, XOR-2D input (default: ${DEFAULT-VALUE})")
        String arch;

        @Option(names = "--out", paramLabel = "PATH", defaultValue = "bench/results/memory.csv",
                description = "CSV of the samples (default: ${DEFAULT-VALUE})")
        Path out;

        @Mixin
        BenchCli.Common common;
    }

    public static void main(String[] args) throws Exception {
        Options o = new Options();
        if (BenchCli.parse(args, o, () -> o) == null) {
            return;
        }
        BenchCli.positive("--steps", o.steps);
        BenchCli.positive("--analyses", o.analyses);
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(o.common.threads());
        Path dir = Files.createTempDirectory("eos-memory");
        List<String> csv = new ArrayList<>(List.of("phase,count,rss_mib,java_heap_committed_mib"));
        RunConfig config = new RunConfig("memory", "xor", null, 64, 2, 1, o.arch, "elu", "mse", o.common.seed, null,
                "exp-euler", 0.01, 0.05, 0, 0.1, 1e-4, 1, o.steps, 0, 0, 10, 0, "float32", "cpu", 1000, false);
        say("trainer: " + o.steps + " exponential-Euler steps of MLP " + o.arch + " on XOR-2D (N = 64), float32, "
                + "a snapshot every 10 steps");
        sample(csv, "trainer", 0);
        TrainingRun.start(config, dir.resolve("run"), new TrainingListener() {
            @Override
            public void stepped(StepRecord r) {
                long done = r.step() + 1;
                if (done % Math.max(1, o.steps / 20) == 0) {
                    sample(csv, "trainer", done);
                }
            }
        });
        List<Path> snapshots;
        try (Stream<Path> files = Files.list(dir.resolve("run/snapshots"))) {
            snapshots = files.filter(p -> p.getFileName().toString().matches("step-[0-9]+\\.safetensors")).sorted()
                    .toList();
        }
        LabeledData data = RunDirectory.config(dir.resolve("run")).datasetSource().load();
        say("analyzer: " + o.analyses + " analyses of the run's " + snapshots.size() + " snapshots in turn (float32, "
                + "all three spectra, layerwise quantities)");
        AnalyzerConfig analyzer = new AnalyzerConfig("memory", AnalysisOptions.defaults(), "float32", "cpu", "memory",
                "all");
        try (SnapshotAnalysis analysis = new SnapshotAnalysis(analyzer, 4)) {
            sample(csv, "analyzer", 0);
            for (int i = 1; i <= o.analyses; i++) {
                MlpModel snapshot = ModelFile.read(snapshots.get((i - 1) % snapshots.size()));
                analysis.analyse(snapshot, data);
                if (i % Math.max(1, o.analyses / 20) == 0) {
                    sample(csv, "analyzer", i);
                }
            }
        }
        Path out = o.out.toAbsolutePath();
        Files.createDirectories(out.getParent());
        Files.write(out, csv, StandardCharsets.UTF_8);
        say("CSV written to " + o.out);
    }

    private static void sample(List<String> csv, String phase, long count) {
        double rss = rssMib();
        double heap = Runtime.getRuntime().totalMemory() / (1024.0 * 1024.0);
        csv.add(String.format(Locale.ROOT, "%s,%d,%.1f,%.1f", phase, count, rss, heap));
        say(String.format(Locale.ROOT, "%-8s %6d  RSS %8.1f MiB  (Java heap committed %6.1f MiB)", phase, count, rss,
                heap));
    }

    /** VmRSS of this process in MiB. */
    static double rssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private static void say(String text) {
        System.err.println("[memory] " + text);
    }
}
