package io.eoscope.trainer.run;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.Init;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.trainer.data.DatasetSource;
import io.eoscope.trainer.data.Preprocess;
import io.eoscope.trainer.solve.SolverKind;
import io.eoscope.trainer.solve.SolverSettings;
import java.nio.file.Path;

/**
 * The full configuration of a training run: enough to rerun it. Written as {@code run.json}; read back
 * by {@code --resume}. Validated on construction; messages name the command-line option.
 *
 * @param run the run's name
 * @param dataset dataset source name (see {@link DatasetSource})
 * @param dataDir dataset directory or file, or null
 * @param n N
 * @param classes C
 * @param dataSeed seed of the dataset and its subset
 * @param architecture widths such as 3072-512-512-10 (ignored when {@code modelFile} is set)
 * @param activation elu, tanh, relu or gelu
 * @param loss cross_entropy or mse
 * @param initSeed seed of the initialisation
 * @param modelFile a safetensors model to start from, or null
 * @param solver gd, adaptive-gd or exp-euler
 * @param learningRate η of GD
 * @param etaMax η_max
 * @param warmupSteps warm-up steps
 * @param warmupFactor warm-up factor s
 * @param tolerance eigen-solver tolerance
 * @param sharpnessEvery GD: sharpness every k steps (0: never)
 * @param steps stop after this many steps (0: no step limit)
 * @param untilTime stop when t reaches this (0: no limit)
 * @param untilLoss stop when the loss falls to this (0: no limit)
 * @param snapshotEvery a snapshot every k steps (0: none by steps)
 * @param snapshotDt a snapshot every Δt of continuous time (0: none by time)
 * @param dtype float32 or float64
 * @param device auto, cpu or gpu
 * @param chunkSize samples per chunk
 * @param strict fail (instead of warn) when exponential Euler increases the loss
 * @param init xavier or pytorch (see {@link Init}); a run.json without it (written before it existed) means xavier
 * @param preprocess none, center or standardize (see {@link Preprocess}); missing means none
 * @param optimizer solver gd's update rule: gd, momentum, nesterov, rmsprop, adam or adamw
 *     (docs/science.md#other-optimizers); missing means gd
 * @param momentum β of momentum and nesterov; null for the other rules (missing: PyTorch's defaults, see
 *     {@link OptimizerSettings#defaults}, as for the next four)
 * @param beta1 β1 of adam and adamw; null for the other rules
 * @param beta2 β2 of adam and adamw, alpha of rmsprop; null for the other rules
 * @param eps ε of rmsprop, adam and adamw; null for the other rules
 * @param weightDecay λ of adamw; null for the other rules
 * @param batchSize B of mini-batch SGD (each step one batch of a seeded shuffle, seed {@code initSeed}); null for
 *     full batch
 * @param snapshotAtEdge full-batch gd, momentum or nesterov: also a snapshot right after the step whose stability
 *     ratio (λmax(𝓗) over the rule's threshold) first reaches 1, the state one step after the trainer saw the run
 *     reach its edge; needs {@code sharpnessEvery > 0}
 */
public record RunConfig(String run, String dataset, String dataDir, int n, int classes, long dataSeed,
        String architecture, String activation, String loss, long initSeed, String modelFile, String solver,
        double learningRate, double etaMax, int warmupSteps, double warmupFactor, double tolerance, int sharpnessEvery,
        long steps, double untilTime, double untilLoss, long snapshotEvery, double snapshotDt, String dtype,
        String device, int chunkSize, boolean strict, String init, String preprocess, String optimizer, Double momentum,
        Double beta1, Double beta2, Double eps, Double weightDecay, Integer batchSize, boolean snapshotAtEdge) {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls().create();

    /** Validates every field that does not need a file to check. */
    public RunConfig {
        init = init == null ? Init.XAVIER.id() : Init.parse(init).id();
        preprocess = preprocess == null ? Preprocess.NONE.id() : Preprocess.parse(preprocess).id();
        if (run == null || !run.matches("(?!\\.{1,2}$)[A-Za-z0-9._-]{1,100}")) {
            throw new IllegalArgumentException("--run must be 1-100 letters, digits, '.', '_' or '-', and not . or .., got '" + run + "'");
        }
        datasetSource(dataset, dataDir, n, classes, dataSeed, preprocess);
        if (modelFile == null) {
            MlpModel.parseArchitecture(architecture);
        }
        Activation.parse(activation);
        Loss.parse(loss);
        SolverSettings solverSettings = solverSettings(solver, learningRate, etaMax, warmupSteps, warmupFactor, tolerance,
                sharpnessEvery, initSeed);
        OptimizerKind kind = optimizer == null ? OptimizerKind.GD : OptimizerKind.parse("--optimizer", optimizer);
        optimizer = kind.id();
        if (solverSettings.kind() != SolverKind.GD && (kind != OptimizerKind.GD || batchSize != null)) {
            throw new IllegalArgumentException((kind != OptimizerKind.GD ? "--optimizer " + kind.id() : "--batch-size")
                    + " applies to --solver gd only: " + solverSettings.kind().id() + " is a full-batch gradient solver");
        }
        OptimizerSettings d = OptimizerSettings.defaults(kind, learningRate);
        momentum = hyperParameter("--momentum", momentum, d.momentum(), kind == OptimizerKind.MOMENTUM
                || kind == OptimizerKind.NESTEROV, kind, "momentum or nesterov");
        beta1 = hyperParameter("--beta1", beta1, d.beta1(), kind == OptimizerKind.ADAM || kind == OptimizerKind.ADAMW, kind,
                "adam or adamw");
        beta2 = hyperParameter("--beta2", beta2, d.beta2(), kind.adaptive(), kind, "rmsprop, adam or adamw");
        eps = hyperParameter("--eps", eps, d.eps(), kind.adaptive(), kind, "rmsprop, adam or adamw");
        if (weightDecay != null && kind != OptimizerKind.ADAMW) {
            optimizerSettings(kind, learningRate, momentum, beta1, beta2, eps, weightDecay); // names the option
        }
        weightDecay = hyperParameter("--weight-decay", weightDecay, d.weightDecay(), kind == OptimizerKind.ADAMW, kind,
                "adamw");
        optimizerSettings(kind, learningRate, momentum, beta1, beta2, eps, weightDecay);
        if (batchSize != null && batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
        }
        if (batchSize != null && batchSize > n) {
            throw new IllegalArgumentException("--batch-size must be at most --n (" + n + " samples), got " + batchSize);
        }
        if (steps < 0) {
            throw new IllegalArgumentException("--steps must be ≥ 0, got " + steps);
        }
        // NaN and infinities are refused by name: they would stop nothing, and run.json (JSON) cannot hold them
        finiteAtLeastZero("--until-time", untilTime);
        finiteAtLeastZero("--until-loss", untilLoss);
        finiteAtLeastZero("--snapshot-dt", snapshotDt);
        if (steps == 0 && untilTime == 0 && untilLoss == 0) {
            throw new IllegalArgumentException("give a stopping rule: --steps, --until-time or --until-loss");
        }
        if (snapshotEvery < 0) {
            throw new IllegalArgumentException("--snapshot-every must be ≥ 0, got " + snapshotEvery);
        }
        if (!dtype.equals("float32") && !dtype.equals("float64")) {
            throw new IllegalArgumentException("--dtype must be float64 or float32, got '" + dtype + "'");
        }
        if (chunkSize < 1) {
            throw new IllegalArgumentException("--chunk-size must be at least 1, got " + chunkSize);
        }
        if (snapshotAtEdge && (SolverKind.parse(solver) != SolverKind.GD || sharpnessEvery < 1 || kind.adaptive()
                || batchSize != null && batchSize < n)) {
            throw new IllegalArgumentException("--snapshot-at-edge needs --solver gd with full-batch gd, momentum or nesterov,"
                    + " and --sharpness-every ≥ 1 (the edge is seen in the trainer's own estimates of λmax(𝓗))");
        }
    }

    /**
     * A hyper-parameter of the optimizer: its default when the rule uses it and it is not given, null when the rule
     * does not use it (refused if given, naming the option).
     */
    private static Double hyperParameter(String option, Double given, double otherwise, boolean used, OptimizerKind kind,
            String users) {
        if (!used) {
            if (given != null) {
                throw new IllegalArgumentException(option + " applies to --optimizer " + users + " only, not " + kind.id());
            }
            return null;
        }
        if (given != null && !Double.isFinite(given)) {
            throw new IllegalArgumentException(option + " must be a finite number, got " + given);
        }
        return given != null ? given : otherwise;
    }

    private static OptimizerSettings optimizerSettings(OptimizerKind kind, double lr, Double momentum, Double beta1,
            Double beta2, Double eps, Double weightDecay) {
        OptimizerSettings d = OptimizerSettings.defaults(kind, lr);
        return new OptimizerSettings(kind, lr, momentum != null ? momentum : 0, beta1 != null ? beta1 : d.beta1(),
                beta2 != null ? beta2 : d.beta2(), eps != null ? eps : d.eps(), weightDecay != null ? weightDecay : 0);
    }

    private static void finiteAtLeastZero(String option, double value) {
        if (!(value >= 0) || value == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException(option + " must be a finite number ≥ 0, got " + value);
        }
    }

    /** A run with the default initialisation (xavier) and no preprocessing. */
    public RunConfig(String run, String dataset, String dataDir, int n, int classes, long dataSeed, String architecture,
            String activation, String loss, long initSeed, String modelFile, String solver, double learningRate,
            double etaMax, int warmupSteps, double warmupFactor, double tolerance, int sharpnessEvery, long steps,
            double untilTime, double untilLoss, long snapshotEvery, double snapshotDt, String dtype, String device,
            int chunkSize, boolean strict) {
        this(run, dataset, dataDir, n, classes, dataSeed, architecture, activation, loss, initSeed, modelFile, solver,
                learningRate, etaMax, warmupSteps, warmupFactor, tolerance, sharpnessEvery, steps, untilTime, untilLoss,
                snapshotEvery, snapshotDt, dtype, device, chunkSize, strict, null, null);
    }

    /** A run with plain full-batch GD (the configuration of the runs before eoscope had other optimizers). */
    public RunConfig(String run, String dataset, String dataDir, int n, int classes, long dataSeed, String architecture,
            String activation, String loss, long initSeed, String modelFile, String solver, double learningRate,
            double etaMax, int warmupSteps, double warmupFactor, double tolerance, int sharpnessEvery, long steps,
            double untilTime, double untilLoss, long snapshotEvery, double snapshotDt, String dtype, String device,
            int chunkSize, boolean strict, String init, String preprocess) {
        this(run, dataset, dataDir, n, classes, dataSeed, architecture, activation, loss, initSeed, modelFile, solver,
                learningRate, etaMax, warmupSteps, warmupFactor, tolerance, sharpnessEvery, steps, untilTime, untilLoss,
                snapshotEvery, snapshotDt, dtype, device, chunkSize, strict, init, preprocess, null, null, null, null, null,
                null, null, false);
    }

    /**
     * The same configuration with solver gd's update rule {@code settings} (its {@code lr} becomes the run's
     * {@code --lr}) and mini-batches of {@code batchSize} (null: full batch).
     */
    public RunConfig withOptimizer(OptimizerSettings settings, Integer batchSize) {
        boolean heavy = settings.kind() == OptimizerKind.MOMENTUM || settings.kind() == OptimizerKind.NESTEROV;
        boolean adam = settings.kind() == OptimizerKind.ADAM || settings.kind() == OptimizerKind.ADAMW;
        boolean adaptive = settings.kind().adaptive();
        return new RunConfig(run, dataset, dataDir, n, classes, dataSeed, architecture, activation, loss, initSeed, modelFile,
                solver, settings.lr(), etaMax, warmupSteps, warmupFactor, tolerance, sharpnessEvery, steps, untilTime,
                untilLoss, snapshotEvery, snapshotDt, dtype, device, chunkSize, strict, init, preprocess, settings.kind().id(),
                heavy ? settings.momentum() : null, adam ? settings.beta1() : null, adaptive ? settings.beta2() : null,
                adaptive ? settings.eps() : null, settings.kind() == OptimizerKind.ADAMW ? settings.weightDecay() : null,
                batchSize, snapshotAtEdge);
    }

    /** Solver gd's update rule and its hyper-parameters. */
    public OptimizerSettings optimizerSettings() {
        return optimizerSettings(OptimizerKind.parse("--optimizer", optimizer), learningRate, momentum, beta1, beta2, eps,
                weightDecay);
    }

    /** True when solver gd steps on mini-batches (B given and smaller than N; B = N is full batch). */
    public boolean miniBatch() {
        return batchSize != null && batchSize < n;
    }

    /** The same configuration under another run name. */
    public RunConfig withRun(String name) {
        return new RunConfig(name, dataset, dataDir, n, classes, dataSeed, architecture, activation, loss, initSeed, modelFile,
                solver, learningRate, etaMax, warmupSteps, warmupFactor, tolerance, sharpnessEvery, steps, untilTime,
                untilLoss, snapshotEvery, snapshotDt, dtype, device, chunkSize, strict, init, preprocess, optimizer, momentum,
                beta1, beta2, eps, weightDecay, batchSize, snapshotAtEdge);
    }

    /** The dataset source. */
    public DatasetSource datasetSource() {
        return datasetSource(dataset, dataDir, n, classes, dataSeed, preprocess);
    }

    /** The solver settings. */
    public SolverSettings solverSettings() {
        return solverSettings(solver, learningRate, etaMax, warmupSteps, warmupFactor, tolerance, sharpnessEvery, initSeed);
    }

    private static DatasetSource datasetSource(String dataset, String dataDir, int n, int classes, long seed,
            String preprocess) {
        return new DatasetSource(dataset, dataDir == null ? null : Path.of(dataDir), n, classes, seed,
                Preprocess.parse(preprocess));
    }

    private static SolverSettings solverSettings(String solver, double lr, double etaMax, int warmupSteps,
            double warmupFactor, double tolerance, int sharpnessEvery, long seed) {
        return new SolverSettings(SolverKind.parse(solver), lr, etaMax, warmupSteps, warmupFactor, tolerance,
                sharpnessEvery, seed);
    }

    /** The initial model: from {@code modelFile}, or initialised from the architecture and seed. */
    public MlpModel initialModel() throws InputException {
        if (modelFile != null) {
            return readModel(Path.of(modelFile));
        }
        return MlpModel.initialise(MlpModel.parseArchitecture(architecture), Activation.parse(activation),
                Loss.parse(loss), Init.parse(init), initSeed);
    }

    /**
     * A model file for {@code --model}: a snapshot or final model of another run may carry its optimizer's state, which
     * is not part of the model and is left out.
     */
    public static MlpModel readModel(Path file) throws InputException {
        return io.eoscope.curvature.io.ModelFile.fromSafetensors(
                OptimizerCheckpoint.withoutState(io.eoscope.curvature.io.Safetensors.read(file)), file.toString());
    }

    /** run.json text. */
    public String toJson() {
        return GSON.toJson(this);
    }

    /** Parses run.json; {@code source} names the file in errors. */
    public static RunConfig fromJson(String text, String source) throws InputException {
        try {
            JsonObject o = com.google.gson.JsonParser.parseString(text).getAsJsonObject();
            RunConfig c = GSON.fromJson(o, RunConfig.class);
            if (c == null) {
                throw new JsonParseException("empty");
            }
            return c;
        } catch (JsonParseException | IllegalStateException e) {
            throw new InputException(source + ": not a run.json written by eos train (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw new InputException(source + ": " + e.getMessage());
        } catch (RuntimeException e) {
            // Gson wraps what the constructor refused ("Failed to invoke constructor …"): the cause names the field
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof IllegalArgumentException invalid) {
                    throw new InputException(source + ": " + invalid.getMessage());
                }
            }
            throw e;
        }
    }
}
