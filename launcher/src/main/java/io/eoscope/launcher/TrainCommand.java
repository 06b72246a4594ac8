package io.eoscope.launcher;

import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.optim.StabilityQuantity;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.RunDirectory;
import io.eoscope.trainer.stream.SnapshotPublisher;
import io.eoscope.trainer.stream.StreamOptions;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.run.TrainingRun;
import io.eoscope.trainer.solve.StepRecord;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code eos train}: trains one run and writes its files (run.json, trajectory.csv, snapshots). */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains one MLP by full-batch GD, adaptive GD or exponential Euler (docs/science.md#solvers)",
            "and writes run.json, trajectory.csv, snapshots/ and final.safetensors to --out. Solver gd steps by",
            "--optimizer, one of torch.optim's rules, on the full batch or on mini-batches of --batch-size",
            "(docs/science.md#other-optimizers).",
            "--resume DIR continues a run from its newest snapshot, giving the same trajectory.",
            "With --bootstrap-servers the run is streamed to Kafka as it trains (wire schema 1); with --resume too,",
            "the stream continues from where it got. A record the broker does not acknowledge within",
            "--delivery-timeout-seconds stops the run (exit 1): a run never ends quietly with a hole in its stream."})
final class TrainCommand implements Callable<Integer> {

    @ArgGroup(multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--out", paramLabel = "DIR", description = "directory of a new run")
        Path out;

        @Option(names = "--resume", paramLabel = "DIR", description = "continue the run in DIR from its newest snapshot")
        Path resume;
    }

    @Option(names = "--run", paramLabel = "NAME", description = "run name (default: the --out directory's name)")
    String run;

    @Option(names = "--dataset", description = "synthetic, fashion-mnist, cifar10, xor or file (default: synthetic; file with --data)")
    String dataset;

    @Option(names = "--data-dir", paramLabel = "PATH", description = "dataset directory (fashion-mnist, cifar10) or file (file)")
    Path dataDir;

    @Option(names = "--data", paramLabel = "FILE", description = "train on this safetensors dataset file (as eos analyze --data; "
            + "the same as --dataset file --data-dir FILE)")
    Path data;

    @Option(names = "--preprocess", defaultValue = "none", description = "none, center or standardize, per feature with the "
            + "statistics of the N training samples (default: ${DEFAULT-VALUE})")
    String preprocess;

    @Option(names = "--n", defaultValue = "256", description = "training samples N, balanced over the classes (default: ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--classes", description = "classes C: the first C of the dataset (default: the outputs of --model, else 4)")
    Integer classes;

    @Option(names = "--data-seed", defaultValue = "0", description = "seed of the dataset and its subset (default: ${DEFAULT-VALUE})")
    long dataSeed;

    @Option(names = "--arch", paramLabel = "WIDTHS", description = "architecture d_0-…-d_L (default: the input width, 64, 64, C)")
    String architecture;

    @Option(names = "--activation", defaultValue = "elu", description = "elu, tanh, relu or gelu (default: ${DEFAULT-VALUE})")
    String activation;

    @Option(names = "--loss", defaultValue = "mse", description = "mse or cross_entropy (default: ${DEFAULT-VALUE})")
    String loss;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the initialisation and the eigen-solvers (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--init", defaultValue = "xavier", description = "xavier (normal, gain √2, biases 0) or pytorch (nn.Linear's "
            + "default: weights and biases uniform in ±1/√fan_in) (default: ${DEFAULT-VALUE})")
    String init;

    @Option(names = "--model", paramLabel = "FILE", description = "start from this safetensors model instead of a fresh initialisation")
    Path model;

    @Option(names = "--solver", defaultValue = "gd", description = "gd, adaptive-gd or exp-euler (default: ${DEFAULT-VALUE})")
    String solver;

    @Option(names = "--lr", defaultValue = "0.01", description = "GD step size η (default: ${DEFAULT-VALUE})")
    double lr;

    @picocli.CommandLine.Mixin
    OptimizerOptions optim = new OptimizerOptions();

    @Option(names = "--eta-max", defaultValue = "0.01", description = "η_max of adaptive GD and exponential Euler (default: ${DEFAULT-VALUE})")
    double etaMax;

    @Option(names = "--warmup-steps", defaultValue = "0", description = "steps that use the warm-up factor (default: ${DEFAULT-VALUE})")
    int warmupSteps;

    @Option(names = "--warmup-factor", defaultValue = "0.1", description = "warm-up factor s of the first steps (default: ${DEFAULT-VALUE})")
    double warmupFactor;

    @Option(names = "--tol", defaultValue = "1e-4", description = "eigen-solver tolerance (default: ${DEFAULT-VALUE})")
    double tol;

    @Option(names = "--sharpness-every", defaultValue = "1", description = "GD: compute the sharpness every k steps, 0 never (default: ${DEFAULT-VALUE})")
    int sharpnessEvery;

    @Option(names = "--steps", defaultValue = "0", description = "stop after this many steps")
    long steps;

    @Option(names = "--until-time", defaultValue = "0", description = "stop when the continuous time t reaches this")
    double untilTime;

    @Option(names = "--until-loss", defaultValue = "0", description = "stop when the loss falls to this")
    double untilLoss;

    @Option(names = "--snapshot-every", paramLabel = "K", description = "a snapshot every K ≥ 1 steps (default: every 100 steps when no --snapshot-dt)")
    Long snapshotEvery;

    @Option(names = "--snapshot-dt", defaultValue = "0", description = "a snapshot every Δt of continuous time")
    double snapshotDt;

    @Option(names = "--snapshot-at-edge", description = "full-batch gd, momentum or nesterov: also a snapshot right after the"
            + " step whose sharpness first reaches the rule's threshold (2/η for gd; needs --sharpness-every ≥ 1, and the"
            + " edge is seen to within that many steps)")
    boolean snapshotAtEdge;

    @Option(names = "--dtype", defaultValue = "float32", description = "float32 or float64 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--chunk-size", defaultValue = "1000", description = "samples per chunk of every dataset sum (default: ${DEFAULT-VALUE})")
    int chunkSize;

    @Option(names = "--strict", description = "exponential Euler: fail instead of warn when the loss increases")
    boolean strict;

    @Option(names = "--quiet", description = "no progress bar")
    boolean quiet;

    @Option(names = "--delivery-timeout-seconds", defaultValue = "120", paramLabel = "S",
            description = "with --bootstrap-servers: a record not acknowledged by the broker within S seconds is lost,"
                    + " and a lost record stops the run with exit status 1 (default: ${DEFAULT-VALUE})")
    long deliveryTimeoutSeconds;

    @Option(names = "--heartbeat-seconds", defaultValue = "10", paramLabel = "S",
            description = "with --bootstrap-servers: a heartbeat on the telemetry topic every S seconds, 1 to 30, so that"
                    + " a long step is not taken for a dead trainer (default: ${DEFAULT-VALUE})")
    long heartbeatSeconds;

    @picocli.CommandLine.Mixin
    KafkaOptions kafka;

    @Override
    public Integer call() throws InputException, InterruptedException {
        // every option is validated before anything is created or started
        StreamOptions stream = UsageException.fromOptions(() -> StreamOptions.ofSeconds(deliveryTimeoutSeconds, heartbeatSeconds));
        KafkaSettings settings = kafka.bootstrapServers != null ? kafka.settings(null) : null;
        RunConfig config = target.resume != null ? RunDirectory.config(target.resume) : config();
        try (Progress progress = new Progress(quiet)) {
            TrainingRun.Outcome outcome;
            progress.begin(config);
            if (settings != null) { // stream the run to Kafka as it trains
                kafka.createTopics(settings, "eos-train"); // an unreachable cluster stops here, before training
                try (SnapshotPublisher publisher = new SnapshotPublisher(settings, stream, progress)) {
                    outcome = publisher.publish(() -> target.resume != null ? TrainingRun.resume(target.resume, publisher)
                            : TrainingRun.start(config, target.out, publisher));
                }
            } else if (target.resume != null) {
                outcome = TrainingRun.resume(target.resume, progress);
            } else {
                outcome = TrainingRun.start(config, target.out, progress);
            }
            progress.close();
            System.err.printf(Locale.ROOT, "eos train: %d steps, t = %.4g, loss %.6g, accuracy %.3f; files in %s%n",
                    outcome.steps(), outcome.time(), outcome.loss(), outcome.accuracy(), outcome.directory());
        }
        return 0;
    }

    RunConfig config() throws InputException {
        if (snapshotEvery != null && snapshotEvery < 1) {
            throw new UsageException("--snapshot-every must be at least 1, got " + snapshotEvery
                    + " (without it: every 100 steps, or none by steps with --snapshot-dt)");
        }
        long every = snapshotEvery != null ? snapshotEvery : snapshotDt == 0 ? 100 : 0;
        String name = run != null ? run : target.out.toAbsolutePath().normalize().getFileName().toString();
        String dataset = this.dataset;
        Path dataDir = this.dataDir;
        if (data != null) {
            if (dataset != null && !dataset.equals("file") || dataDir != null) {
                throw new UsageException("--data FILE is a dataset file: give it without --dataset and --data-dir");
            }
            dataset = "file";
            dataDir = data;
        }
        dataset = dataset == null ? "synthetic" : dataset;
        int classes = this.classes != null ? this.classes
                : model != null ? RunConfig.readModel(model).classes() : 4;
        String arch = architecture;
        if (arch == null && model == null) {
            int width = switch (dataset) {
                case "xor" -> 2;
                case "fashion-mnist" -> 784;
                case "file" -> -1;
                default -> 3072;
            };
            if (width < 0) {
                throw new UsageException("a dataset file needs --arch (or --model)");
            }
            arch = width + "-64-64-" + classes;
        }
        String data = dataDir == null ? null : dataDir.toString();
        String set = dataset;
        String widths = arch;
        return UsageException.fromOptions(() -> new RunConfig(name, set, data, n, classes, dataSeed, widths, activation, loss,
                seed, model == null ? null : model.toString(), solver, lr, etaMax, warmupSteps, warmupFactor, tol, sharpnessEvery,
                steps, untilTime, untilLoss, every, snapshotDt, dtype, device, chunkSize, strict, init, preprocess,
                optim.optimizer, optim.momentum, optim.beta1, optim.beta2, optim.eps, optim.weightDecay, optim.batchSize,
                snapshotAtEdge));
    }

    /** A progress bar on stderr: step, t, loss, sharpness and the stability threshold (2/η for GD). */
    private static final class Progress implements TrainingListener, AutoCloseable {
        private final boolean quiet;
        private ProgressBar bar;
        private RunConfig config;
        private String threshold = "2/η";
        private StabilityQuantity quantity = StabilityQuantity.SHARPNESS;
        private final boolean terminal = System.console() != null;
        private long lastLine;
        private StepRecord lastMeasured; // the latest row with a sharpness estimate: shown until the next one

        Progress(boolean quiet) {
            this.quiet = quiet;
        }

        void begin(RunConfig c) {
            config = c;
            boolean gd = c.solverSettings().kind() == io.eoscope.trainer.solve.SolverKind.GD;
            threshold = gd ? c.optimizerSettings().thresholdFormula() : "2/η";
            quantity = gd ? c.optimizerSettings().quantity(c.miniBatch()) : StabilityQuantity.SHARPNESS;
            if (quiet || !terminal) {
                return;
            }
            long max = c.steps() > 0 ? c.steps() : c.untilTime() > 0 ? 1000 : -1;
            bar = new ProgressBarBuilder().setTaskName("train " + c.run()).setInitialMax(max)
                    .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        }

        @Override
        public void stepped(StepRecord r) {
            if (quiet) {
                return;
            }
            if (!Double.isNaN(r.sharpness()) || !Double.isNaN(r.stability())) {
                lastMeasured = r;
            }
            StepRecord m = lastMeasured == null ? r : lastMeasured;
            String at = m == r ? "" : " (step " + m.step() + ")";
            // the threshold beside its own quantity: λmax(𝓗) is compared with it only where that is the quantity
            String text = String.format(Locale.ROOT, "t=%.4g loss=%.5g sharpness=%s%s %s=%.4g ratio=%s%s", r.time(), r.loss(),
                    number(m.sharpness()), quantity == StabilityQuantity.SHARPNESS ? ""
                            : " " + quantity.id() + "=" + number(m.stability()), threshold,
                    Double.isNaN(r.stabilityThreshold()) ? 2 / r.stepSize() : r.stabilityThreshold(),
                    number(m.stabilityRatio()), at);
            if (bar != null) {
                bar.stepTo(config.steps() > 0 ? r.step() + 1 : config.untilTime() > 0
                        ? (long) (1000 * Math.min(1, (r.time() + r.stepSize()) / config.untilTime())) : r.step() + 1);
                bar.setExtraMessage(text);
            } else if (System.nanoTime() - lastLine > 5_000_000_000L || r.step() == 0) {
                lastLine = System.nanoTime();
                System.err.println("eos train: step " + r.step() + " " + text);
            }
        }

        private static String number(double v) {
            return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4g", v);
        }

        @Override
        public void warning(String message) {
            System.err.println("eos train: warning: " + message);
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }
}
