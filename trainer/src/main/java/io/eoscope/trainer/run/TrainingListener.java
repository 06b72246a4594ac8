package io.eoscope.trainer.run;

import io.eoscope.trainer.solve.StepRecord;

/** Told what a training run does, step by step (progress bars, logs, later Kafka telemetry). */
public interface TrainingListener {

    /** A listener that ignores everything. */
    TrainingListener NONE = new TrainingListener() { };

    /** After each step. */
    default void stepped(StepRecord record) { }

    /** A snapshot was written. */
    default void snapshot(long step, double time, java.nio.file.Path file) { }

    /** A non-fatal problem, for example a loss increase under exponential Euler without --strict. */
    default void warning(String message) { }

    /** Asked after each step: true ends the run there (its final model is still written). */
    default boolean stopRequested() {
        return false;
    }

    /** The run starts: its configuration, training set and the dataset's content hash. */
    default void started(RunConfig config, io.eoscope.curvature.net.LabeledData data, String datasetHash) { }
}
