package io.eoscope.launcher;

import io.eoscope.reproduce.Preset;
import io.eoscope.reproduce.Reproducer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code eos reproduce}: runs the paper's five experiments through the real pipeline (an in-process
 * Kafka broker by default, or a cluster) and writes {@code DIR/report.html}. Resumable: runs that are
 * complete in DIR are not trained again.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs the experiments of Lowell & Kastner (2024) through the streaming pipeline",
            "(Kafka, trainer and analyzer verticles) and writes a self-contained report:",
            "DIR/report.html, its figures as PNG and every plotted series as CSV.",
            "  1. edge of stability: GD at two step sizes against exponential Euler",
            "     and a fine RK4 gradient flow, over continuous time;",
            "  2. λmax of 𝓗, G and H over training;",
            "  3. λmax(Gˡ) and E‖Kˡ‖²_max per layer;",
            "  4. ρ(K), E‖K‖²_max and the five factors of E‖K¹‖²_max;",
            "  5. the alignment P_ΔJ¹ against the dataset size N (cross-entropy, MSE)",
            "     with its power-law fit, β and R².",
            "The report opens with one row per claim: what the paper reports, what",
            "this run measured, and whether it agrees (criteria stated in the report).",
            "Interrupted? Run the same command again: finished runs are kept.",
            ""})
public final class ReproduceCommand implements Callable<Integer> {

    @Option(names = "--preset", defaultValue = "quick", description = "mini (a CI miniature on XOR-2D), quick (image data, about"
            + " 15 minutes on 2 cores), paper-cpu (the paper's depth, 6 Linear layers, at width 64: about 35 minutes on 2"
            + " cores), paper (6 Linear layers of width 512; for a GPU or a long run) (default: ${DEFAULT-VALUE})")
    String preset;

    @Option(names = "--dataset", description = "the image dataset: synthetic, fashion-mnist or cifar10 (default: the preset's;"
            + " mini trains experiments 1–4 on XOR-2D)")
    String dataset;

    @Option(names = "--data-dir", description = "the dataset directory (cifar10: data_batch_*.bin; fashion-mnist: the IDX files)")
    String dataDir;

    @Option(names = "--seeds", paramLabel = "S", description = "experiment 5: runs per dataset size and loss, each with its"
            + " own seed, so that the power law's exponent gets a bootstrap interval over seeds (default: the preset's: mini 2,"
            + " quick 1, paper-cpu and paper 3)")
    Integer seeds;

    @Option(names = "--out", defaultValue = "eos-reproduce", description = "the output directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--analyzers", defaultValue = "2", description = "analyzer verticles in the consumer group (default: ${DEFAULT-VALUE})")
    int analyzers;

    @Mixin
    KafkaOptions kafka;

    @Override
    public Integer call() throws Exception {
        if (analyzers < 1) {
            throw new UsageException("--analyzers must be at least 1, got " + analyzers);
        }
        if (dataDir != null && !Files.isDirectory(Path.of(dataDir))) {
            throw new UsageException("--data-dir " + dataDir + ": not a directory");
        }
        Preset p = UsageException.fromOptions(() -> {
            Preset chosen = Preset.of(preset, dataset, dataDir);
            return seeds == null ? chosen : chosen.withSeeds(seeds);
        });
        kafka.validate(); // before anything starts
        // the user's directory is checked before any work: exit 2 with the path and the system's reason
        io.eoscope.trainer.run.WritableDirectory.require("--out", out);
        try {
            return reproduce(p);
        } catch (IOException | java.io.UncheckedIOException e) {
            return writeFailure(e instanceof java.io.UncheckedIOException u ? u.getCause() : (IOException) e);
        } catch (io.eoscope.curvature.io.InputException e) {
            if (e.getCause() instanceof IOException io) { // a file of the reproduction could not be written: not bad input
                System.err.println("eos reproduce: " + e.getMessage());
                return 1;
            }
            throw e;
        }
    }

    /** A file could not be written during the run (a full disk, …): one line with the path and the reason, exit 1. */
    private static int writeFailure(IOException e) {
        String what = e instanceof java.nio.file.FileSystemException fs && fs.getFile() != null
                ? fs.getFile() + ": cannot write (" + (fs.getReason() != null ? fs.getReason() : e.getClass().getSimpleName()) + ")"
                : String.valueOf(e.getMessage());
        System.err.println("eos reproduce: " + what);
        return 1;
    }

    private int reproduce(Preset p) throws Exception {
        Path html = new Reproducer(p, out, kafka, analyzers, System.err).run();
        System.out.println(html.toAbsolutePath());
        return 0;
    }
}
