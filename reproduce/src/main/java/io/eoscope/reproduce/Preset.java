package io.eoscope.reproduce;

import java.util.List;
import java.util.Locale;

/**
 * The settings of one reproduction. {@code mini} is the CI miniature (XOR-2D, seconds), {@code quick} runs every
 * experiment on image data in under 20 minutes on 2 cores, {@code paper-cpu} is the paper's depth at width 64 (about
 * half an hour), {@code paper} uses the paper's scale (6 Linear layers of width 512, ELU, η_max 0.01).
 *
 * <p>Experiments 1–4 (GD at several step sizes against exponential Euler, and the analyses of those runs) use
 * {@code eosDataset}; experiment 5 (the N grid) uses {@code sizeDataset}. On image data the initialisation decides
 * whether GD reaches the edge of stability within a budget: with {@code xavier} on 784- or 3072-wide raw pixels the
 * initial sharpness is 10³–10⁴ and falls during a short run; with {@code pytorch} and the preset's preprocessing it
 * starts in the tens, below 2/η, and rises to it in a few hundred steps.
 *
 * @param name mini, quick, paper-cpu or paper
 * @param eosDataset dataset of experiments 1–4
 * @param sizeDataset dataset of experiment 5
 * @param dataDir the dataset directory, or null
 * @param eosClasses C of experiments 1–4
 * @param eosN N of experiments 1–4
 * @param eosHidden hidden widths of experiments 1–4 (the input width and C complete the architecture)
 * @param activation the activation (elu: the solver assumes a smooth network)
 * @param eosLoss the loss of experiments 1–4
 * @param gdSteps the GD step sizes η of experiment 1 (at least two)
 * @param etaMax η_max of exponential Euler
 * @param eosTime the continuous time every experiment-1 run trains for
 * @param snapshotDt a snapshot (analysed by the analyzers) every Δt of continuous time in experiment 1
 * @param sharpnessEvery GD: the trainer's sharpness every k steps
 * @param flowDt the step of the fine RK4 gradient-flow reference
 * @param sizeClasses C of experiment 5
 * @param sizeHidden hidden widths of experiment 5
 * @param sizes the N grid of experiment 5
 * @param sizeSteps GD steps of every experiment-5 run (the same stopping rule for every N)
 * @param sizeLrCrossEntropy the GD step size of the cross-entropy runs of experiment 5
 * @param sizeLrMse the GD step size of the MSE runs of experiment 5
 * @param seed the seed of data and initialisation (the same for every run)
 * @param init the initialisation of every run (xavier or pytorch)
 * @param preprocess the preprocessing of every run's inputs (none, center or standardize)
 * @param sizeSeeds experiment 5's runs per N and loss, with the seeds {@code seed}, {@code seed + 1}, … (each its own
 *     data subset and initialisation)
 * @param sizeSharpnessEvery experiment 5: the trainer's sharpness every k steps, which finds the moment each run first
 *     reaches 2/η (to within k steps)
 * @param optimizers experiment 6, on {@code eosDataset}
 */
public record Preset(String name, String eosDataset, String sizeDataset, String dataDir, int eosClasses, int eosN,
        List<Integer> eosHidden, String activation, String eosLoss, List<Double> gdSteps, double etaMax, double eosTime,
        double snapshotDt, int sharpnessEvery, double flowDt, int sizeClasses, List<Integer> sizeHidden,
        List<Integer> sizes, long sizeSteps, double sizeLrCrossEntropy, double sizeLrMse, long seed, String init,
        String preprocess, int sizeSeeds, int sizeSharpnessEvery, OptimizerExperiment optimizers) {

    /** The larger GD step size of the paper preset (see the README for how it was chosen). */
    static final double PAPER_ETA = 0.05;

    /** The preset names. */
    public static final List<String> NAMES = List.of("mini", "quick", "paper-cpu", "paper");

    /** Validates; messages name the option. */
    public Preset {
        if (gdSteps.size() < 2) {
            throw new IllegalArgumentException("--preset " + name + ": experiment 1 needs at least two GD step sizes");
        }
        if (sizes.size() < 6) {
            throw new IllegalArgumentException("--preset " + name + ": experiment 5 needs at least six dataset sizes");
        }
        width(eosDataset, "--dataset");
        width(sizeDataset, "--dataset");
        if (sizeSeeds < 1 || sizeSeeds > 20) {
            throw new IllegalArgumentException("--seeds must be between 1 and 20, got " + sizeSeeds);
        }
        if (sizeSharpnessEvery < 1) {
            throw new IllegalArgumentException("--preset " + name + ": experiment 5 needs the sharpness every k ≥ 1 steps");
        }
        if (dataDir == null && ("cifar10".equals(eosDataset) || "cifar10".equals(sizeDataset))) {
            throw new IllegalArgumentException("--data-dir is required with --dataset cifar10 (the directory with data_batch_*.bin)");
        }
    }

    /** The preset called {@code name}; {@code dataset} (null: the preset's own) replaces the image dataset. */
    public static Preset of(String name, String dataset, String dataDir) {
        if (dataset != null && !List.of("synthetic", "fashion-mnist", "cifar10").contains(dataset)) {
            throw new IllegalArgumentException("--dataset must be synthetic, fashion-mnist or cifar10, got '" + dataset + "'");
        }
        switch (name.toLowerCase(Locale.ROOT)) {
            case "mini":
                return new Preset("mini", "xor", or(dataset, "synthetic"), dataDir, 2, 32, List.of(8, 8), "elu", "mse",
                        List.of(0.05, 0.04), 0.05, 4.0, 1.0, 2, 0.005, 3, List.of(8, 8), List.of(6, 9, 12, 18, 24, 36), 10,
                        0.004, 0.0005, 0, "xavier", "none", 2, 1, OptimizerExperiment.mini());
            case "quick":
                return quick(or(dataset, "synthetic"), dataDir);
            case "paper-cpu": {
                // the paper's depth (6 Linear layers) at width 64, N = 500, MSE: measured on 2 cores in the README
                String d = or(dataset, "fashion-mnist");
                List<Integer> hidden = List.of(64, 64, 64, 64, 64);
                return new Preset("paper-cpu", d, d, dataDir, 5, 500, hidden, "elu", "mse", List.of(0.05, 0.04), 0.02, 20.0,
                        1.0, 5, 0.01, 5, hidden, List.of(64, 128, 256, 512, 1024, 2048), 1000, 0.08, 0.04, 0, "pytorch",
                        preprocessFor(d), 3, 10, OptimizerExperiment.images());
            }
            case "paper": {
                // the paper's scale; at least 3 hours on 2 cores (measured in the README): for a GPU
                String d = or(dataset, "fashion-mnist");
                List<Integer> hidden = List.of(512, 512, 512, 512, 512);
                return new Preset("paper", d, d, dataDir, 5, 1000, hidden, "elu", "mse", List.of(PAPER_ETA, 0.8 * PAPER_ETA),
                        0.01, 10.0, 0.25, 5, 0.0025, 5, hidden, List.of(128, 256, 512, 1024, 2048, 4096), 2000, 0.08, 0.04, 0,
                        "pytorch", preprocessFor(d), 3, 10, OptimizerExperiment.images());
            }
            default:
                throw new IllegalArgumentException("--preset must be one of " + NAMES + ", got '" + name + "'");
        }
    }

    /**
     * The quick preset on image data: every experiment on {@code dataset}, PyTorch's initialisation, MSE, 4 classes.
     * Each dataset has its own input scaling and step sizes, chosen so that GD's sharpness starts well below 2/η and
     * rises to it within the budget (measured on 2 cores, see the README); the inputs as {@link #preprocessFor}.
     */
    private static Preset quick(String dataset, String dataDir) {
        if (dataset.equals("fashion-mnist")) {
            return new Preset("quick", dataset, dataset, dataDir, 4, 512, List.of(64, 64), "elu", "mse", List.of(0.04, 0.03),
                    0.025, 24.0, 1.0, 2, 0.01, 4, List.of(32, 32), List.of(16, 32, 64, 128, 256, 512), 1000, 0.05, 0.02, 0,
                    "pytorch", preprocessFor(dataset), 1, 10, OptimizerExperiment.images());
        }
        // synthetic, and cifar10 (3072 inputs too; its step sizes are the synthetic imagery's, not tuned on CIFAR-10)
        return new Preset("quick", dataset, dataset, dataDir, 4, 256, List.of(64, 64), "elu", "mse", List.of(0.1, 0.09),
                0.04, 56.0, 2.0, 2, 0.02, 4, List.of(32, 32), List.of(16, 32, 64, 128, 256, 512), 1000, 0.1, 0.05, 0,
                "pytorch", preprocessFor(dataset), 1, 10, OptimizerExperiment.images());
    }

    /**
     * The image presets' preprocessing: the synthetic imagery centred (its template pixels vary little over the
     * samples, and dividing by their small deviations starts the sharpness above 2/η), real images standardized.
     */
    private static String preprocessFor(String dataset) {
        return dataset.equals("synthetic") ? "center" : "standardize";
    }

    /** The same preset with {@code seeds} runs per N and loss in experiment 5. */
    public Preset withSeeds(int seeds) {
        return new Preset(name, eosDataset, sizeDataset, dataDir, eosClasses, eosN, eosHidden, activation, eosLoss, gdSteps,
                etaMax, eosTime, snapshotDt, sharpnessEvery, flowDt, sizeClasses, sizeHidden, sizes, sizeSteps,
                sizeLrCrossEntropy, sizeLrMse, seed, init, preprocess, seeds, sizeSharpnessEvery, optimizers);
    }

    private static String or(String a, String b) {
        return a == null ? b : a;
    }

    static int width(String dataset, String option) {
        switch (dataset) {
            case "synthetic":
            case "cifar10":
                return 3072;
            case "fashion-mnist":
                return 784;
            case "xor":
                return 2;
            default:
                throw new IllegalArgumentException(option + " must be synthetic, fashion-mnist or cifar10, got '" + dataset + "'");
        }
    }

    static String architecture(int input, List<Integer> hidden, int classes) {
        StringBuilder b = new StringBuilder().append(input);
        hidden.forEach(h -> b.append('-').append(h));
        return b.append('-').append(classes).toString();
    }

    /** The architecture of experiments 1–4. */
    public String eosArchitecture() {
        return architecture(width(eosDataset, "--dataset"), eosHidden, eosClasses);
    }

    /** The architecture of experiment 5. */
    public String sizeArchitecture() {
        return architecture(width(sizeDataset, "--dataset"), sizeHidden, sizeClasses);
    }

    /** The architecture of experiment 6. */
    public String optimizerArchitecture() {
        return architecture(width(eosDataset, "--dataset"), optimizers.hidden(), optimizers.classes());
    }

    /** L of experiments 1–4. */
    public int eosLayers() {
        return eosHidden.size() + 1;
    }

    /** L of experiment 5. */
    public int sizeLayers() {
        return sizeHidden.size() + 1;
    }

    /** The data directory a dataset reads (null for the generated ones). */
    String dataDirFor(String dataset) {
        return "synthetic".equals(dataset) || "xor".equals(dataset) ? null : dataDir;
    }
}
