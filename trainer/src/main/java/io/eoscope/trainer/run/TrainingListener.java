package io.eoscope.trainer.run;

import io.eoscope.curvature.net.LabeledData;
import io.eoscope.trainer.solve.StepRecord;
import java.util.List;

/** Told what a training run does, step by step (progress bars, logs, Kafka telemetry). */
public interface TrainingListener {

    /** A listener that ignores everything. */
    TrainingListener NONE = new TrainingListener() { };

    /** After each step. */
    default void stepped(StepRecord record) { }

    /**
     * After the last step: the final state, the trajectory's last row (the step count, t, loss and accuracy of the
     * model in final.safetensors; no step is taken from it, so its step size and sharpness are NaN).
     */
    default void finalState(StepRecord record) { }

    /** A snapshot was written. */
    default void snapshot(long step, double time, java.nio.file.Path file) { }

    /** A non-fatal problem, for example a loss increase under exponential Euler without --strict. */
    default void warning(String message) { }

    /** Asked after each step: true ends the run there (its final model is still written). */
    default boolean stopRequested() {
        return false;
    }

    /** The run starts: its configuration, training set and the dataset's content hash. */
    default void started(RunConfig config, LabeledData data, String datasetHash) { }

    /**
     * The run starts, or resumes: what {@link TrainingRun} calls. {@code resumedFrom} is the step a
     * resumed run continues from (its first record will be that step's), −1 for a new run; {@code earlier}
     * holds the trajectory's rows before it, as the run directory kept them (empty for a new run). By
     * default this calls {@link #started(RunConfig, LabeledData, String)}.
     */
    default void started(RunConfig config, LabeledData data, String datasetHash, long resumedFrom, List<StepRecord> earlier) {
        started(config, data, datasetHash);
    }
}
