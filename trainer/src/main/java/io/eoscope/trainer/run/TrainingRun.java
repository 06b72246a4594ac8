package io.eoscope.trainer.run;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.io.SafetensorsFile;
import io.eoscope.curvature.io.Tensor;
import io.eoscope.curvature.net.DeviceChoice;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.trainer.solve.BatchOrder;
import io.eoscope.trainer.solve.OptimizerStep;
import io.eoscope.trainer.solve.SolverKind;
import io.eoscope.trainer.solve.StepRecord;
import io.eoscope.trainer.solve.Trainer;
import io.eoscope.wire.Payloads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs {@code eos train --out DIR} and {@code --resume DIR}: loads the data and the model, steps the
 * {@link Trainer} until the stopping rule holds, appends the trajectory, writes snapshots on the
 * configured cadence (the initial state included) and the final model.
 */
public final class TrainingRun {
    private TrainingRun() {}

    /**
     * The outcome of a run.
     *
     * @param stoppedEarly true when a stop request ({@link TrainingListener#stopRequested()}) ended it before its
     *     stopping rule held
     */
    public record Outcome(long steps, double time, double loss, double accuracy, Path directory, boolean stoppedEarly) {}

    /** Thrown by --strict when exponential Euler increases the loss. */
    public static final class LossIncreased extends io.eoscope.trainer.solve.TrainingStopped {
        private static final long serialVersionUID = 1L;

        LossIncreased(String message) {
            super(message);
        }
    }

    /** Starts a new run in {@code dir}. */
    public static Outcome start(RunConfig config, Path dir, TrainingListener listener) throws InputException {
        MemoryEstimate.check(config); // before anything large is allocated
        MlpModel model = config.initialModel();
        LabeledData data = config.datasetSource().load();
        checkShapes(model, data, config);
        try (RunDirectory out = RunDirectory.create(dir, config)) {
            return loop(config, model, data, out, 0, 0, null, new OptimizerCheckpoint(0, Map.of()), null, listener);
        }
    }

    /** Continues the run in {@code dir} from its newest snapshot; the result equals an uninterrupted run. */
    public static Outcome resume(Path dir, TrainingListener listener) throws InputException {
        RunConfig config = RunDirectory.config(dir);
        MemoryEstimate.check(config);
        Path snapshot = RunDirectory.lastSnapshot(dir);
        if (snapshot == null) {
            throw new InputException(dir + ": has no snapshot to resume from (start it again with --out)");
        }
        SafetensorsFile file = Safetensors.read(snapshot);
        MlpModel model = ModelFile.fromSafetensors(OptimizerCheckpoint.withoutState(file), snapshot.toString());
        long step = Long.parseLong(model.metadata().getOrDefault("step", "0"));
        OptimizerCheckpoint state = OptimizerCheckpoint.read(file, config.optimizerSettings().kind(), model,
                snapshot.toString());
        double time = Double.parseDouble(model.metadata().getOrDefault("time", "0"));
        Tensor vectors = null;
        if (Files.exists(RunDirectory.eigenFile(snapshot))) {
            vectors = Safetensors.read(RunDirectory.eigenFile(snapshot)).tensors().get("vectors");
        }
        LabeledData data = config.datasetSource().load();
        checkShapes(model, data, config);
        try (RunDirectory out = RunDirectory.resume(dir, step)) {
            return loop(config, model, data, out, step, time, vectors, state, snapshot, listener);
        }
    }

    /**
     * @param state the optimizer's state to start from (no buffers: zeros)
     * @param resumedFrom the snapshot a resumed run starts from (told to the listener again, so that a
     *     stream that lost it in a crash has it), or null for a new run
     */
    private static Outcome loop(RunConfig config, MlpModel model, LabeledData data, RunDirectory out, long startStep,
            double startTime, Tensor warmVectors, OptimizerCheckpoint state, Path resumedFrom, TrainingListener listener)
            throws InputException {
        DataType type = config.dtype().equals("float64") ? DataType.FLOAT64 : DataType.FLOAT32;
        DType precision = type == DataType.FLOAT64 ? DType.F64 : DType.F32;
        if (config.batchSize() != null && config.batchSize() > data.n()) {
            throw new InputException("--batch-size " + config.batchSize() + " exceeds the " + data.n()
                    + " samples of the training set");
        }
        Payloads.Addressed encoded = Payloads.Addressed.of(DatasetFile.encode(data, precision));
        Map<String, String> metadata = new LinkedHashMap<>(Map.of("dataset", encoded.hash(), "solver", config.solver(),
                "lr", Double.toString(config.learningRate()), "eta_max", Double.toString(config.etaMax()),
                "init", config.modelFile() == null ? config.init() : model.metadata().getOrDefault("init", "unknown (--model)"),
                "preprocess", config.preprocess()));
        OptimizerSettings optimizer = config.optimizerSettings();
        boolean gd = config.solverSettings().kind() == SolverKind.GD;
        boolean miniBatch = gd && config.batchSize() != null && config.batchSize() < data.n();
        if (gd) { // the other solvers are not torch.optim rules: their snapshots say nothing of an optimizer
            metadata.putAll(optimizer.metadata());
        }
        if (miniBatch) {
            metadata.put(OptimizerCheckpoint.KEY_BATCH_SIZE, Integer.toString(config.batchSize()));
        }
        out.setMetadata(metadata);
        listener.started(config, data, encoded.hash(), resumedFrom == null ? -1 : startStep, out.keptRecords());
        Device device = DeviceChoice.parse(config.device()).resolve();
        boolean exponential = config.solverSettings().kind() == SolverKind.EXP_EULER;
        try (NDManager manager = NDManager.newBaseManager(device);
                DeviceData deviceData = DeviceData.upload(data, model.classes(), manager, type, config.chunkSize())) {
            NDArray warm = warmVectors == null ? null
                    : HostArrays.upload(manager, warmVectors.toDoubles(), new Shape(warmVectors.shape()), type);
            Map<String, NDArray> buffers = new LinkedHashMap<>();
            state.buffers().forEach((name, values) -> buffers.put(name,
                    HostArrays.upload(manager, values, new Shape(values.length), type)));
            OptimizerStep step = new OptimizerStep(optimizer, manager, state.steps(), buffers);
            buffers.values().forEach(NDArray::close); // copied by the optimizer
            BatchOrder batches = miniBatch ? new BatchOrder(data.n(), config.batchSize(), config.initSeed()) : null;
            try (Trainer trainer = new Trainer(model, deviceData, manager, type, config.solverSettings(), startStep,
                    startTime, warm, step, batches)) {
                if (resumedFrom == null) {
                    listener.snapshot(0, 0, snapshot(out, trainer, precision, config));
                } else {
                    listener.snapshot(startStep, startTime, resumedFrom);
                }
                double nextSnapshotTime = config.snapshotDt() > 0
                        ? (Math.floor(startTime / config.snapshotDt()) + 1) * config.snapshotDt() : Double.POSITIVE_INFINITY;
                LossMonitor monitor = exponential ? new LossMonitor(config.strict()) : null;
                boolean edgeTaken = !config.snapshotAtEdge()
                        || out.keptRecords().stream().anyMatch(k -> k.stabilityRatio() >= 1);
                boolean stoppedEarly;
                while (true) {
                    StepRecord r = trainer.step(); // DivergedException stops the run: no NaN trajectory
                    out.append(r);
                    listener.stepped(r);
                    if (monitor != null) {
                        monitor.observe(r.step(), r.loss()).ifPresent(listener::warning);
                    }
                    long done = trainer.stepCount();
                    boolean byStep = config.snapshotEvery() > 0 && done % config.snapshotEvery() == 0;
                    boolean byTime = trainer.time() >= nextSnapshotTime;
                    if (byTime) {
                        nextSnapshotTime = (Math.floor(trainer.time() / config.snapshotDt()) + 1) * config.snapshotDt();
                    }
                    boolean atEdge = !edgeTaken && r.stabilityRatio() >= 1;
                    edgeTaken |= atEdge;
                    if (byStep || byTime || atEdge) {
                        listener.snapshot(done, trainer.time(), snapshot(out, trainer, precision, config));
                    }
                    if (finished(config, done, trainer.time(), r.loss())) {
                        stoppedEarly = false;
                        break;
                    }
                    if (listener.stopRequested()) {
                        stoppedEarly = true;
                        break;
                    }
                }
                double[] end = trainer.evaluate();
                // the last row is the final state (the model in final.safetensors), with no step taken from it
                StepRecord finalState = new StepRecord(trainer.stepCount(), trainer.time(), end[0], end[1], Double.NaN, Double.NaN, 0);
                out.append(finalState);
                listener.finalState(finalState);
                MlpModel last = trainer.model();
                out.writeFinal(last, precision, trainer.stepCount(), trainer.time(), config.run(),
                        checkpoint(trainer).tensors(optimizer.kind(), last, precision), stateMetadata(trainer, config));
                return new Outcome(trainer.stepCount(), trainer.time(), end[0], end[1], out.path(), stoppedEarly);
            }
        }
    }

    /** Writes the snapshot of the trainer's current state: θ, the optimizer's state and the eigenvectors. */
    private static Path snapshot(RunDirectory out, Trainer trainer, DType precision, RunConfig config) {
        MlpModel model = trainer.model();
        return out.snapshot(model, precision, trainer.stepCount(), trainer.time(), config.run(), trainer.eigenvectors(),
                checkpoint(trainer).tensors(trainer.optimizer().settings().kind(), model, precision),
                stateMetadata(trainer, config));
    }

    /** The optimizer's state on the host. */
    private static OptimizerCheckpoint checkpoint(Trainer trainer) {
        Map<String, double[]> host = new LinkedHashMap<>();
        trainer.optimizer().buffers().forEach((name, b) -> host.put(name, HostArrays.download(b)));
        return new OptimizerCheckpoint(trainer.optimizer().steps(), host);
    }

    /** The optimizer's step count, for solver gd (the other solvers have no torch.optim rule). */
    private static Map<String, String> stateMetadata(Trainer trainer, RunConfig config) {
        return config.solverSettings().kind() != SolverKind.GD ? Map.of()
                : Map.of(OptimizerSettings.KEY_STEP, Long.toString(trainer.optimizer().steps()));
    }

    private static boolean finished(RunConfig c, long steps, double time, double loss) {
        return c.steps() > 0 && steps >= c.steps() || c.untilTime() > 0 && time >= c.untilTime()
                || c.untilLoss() > 0 && loss <= c.untilLoss();
    }

    private static void checkShapes(MlpModel model, LabeledData data, RunConfig config) throws InputException {
        if (model.inputWidth() != data.inputWidth()) {
            throw new InputException("the " + config.dataset() + " dataset has inputs of width " + data.inputWidth()
                    + " but the model's first layer takes " + model.inputWidth() + " (check --arch)");
        }
        if (model.classes() != config.classes()) {
            throw new InputException("the model has " + model.classes() + " outputs but --classes is " + config.classes());
        }
    }
}
