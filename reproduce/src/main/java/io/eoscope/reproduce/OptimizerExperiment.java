package io.eoscope.reproduce;

import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSettings;
import java.util.List;

/**
 * Experiment 6: one run per optimizer on the same data and network, each judged against its own edge
 * (docs/science.md#other-optimizers) by the trainer's stability ratio, read back from the telemetry topic.
 *
 * @param n N
 * @param classes C
 * @param hidden the hidden widths (the dataset's input width and C complete the architecture)
 * @param steps the steps of every run
 * @param sharpnessEvery the trainer's stability estimate every k steps
 * @param runs the runs, in the order of the claims
 */
record OptimizerExperiment(int n, int classes, List<Integer> hidden, long steps, int sharpnessEvery, List<Run> runs) {

    /**
     * One run.
     *
     * @param id its name in the output directory ({@code runs/opt-<id>}) and its figure series
     * @param settings the update rule and its hyper-parameters
     * @param batchSize B of mini-batch SGD, or null for full batch
     */
    record Run(String id, OptimizerSettings settings, Integer batchSize) {
        String label() {
            OptimizerSettings s = settings;
            String rule = switch (s.kind()) {
                case MOMENTUM, NESTEROV -> s.kind().id() + " β = " + s.momentum();
                case ADAMW -> "adamw λ = " + s.weightDecay();
                default -> s.kind().id();
            };
            return rule + " η = " + s.lr() + (batchSize == null ? "" : " on batches of " + batchSize);
        }
    }

    /** Validates. */
    OptimizerExperiment {
        if (runs.isEmpty() || steps < 2 || sharpnessEvery < 1) {
            throw new IllegalArgumentException("experiment 6 needs runs, at least 2 steps and an estimate every k ≥ 1 steps");
        }
    }

    private static Run run(String id, OptimizerKind kind, double lr) {
        return new Run(id, OptimizerSettings.defaults(kind, lr), null);
    }

    /**
     * On images (784 or 3072 inputs), 4 classes, N = 512, two hidden layers of 128, 600 steps. The step sizes were
     * measured on Fashion-MNIST on 2 cores (see the README): with PyTorch, full-batch Adam at η = 2e-3 holds
     * λmax(P⁻¹𝓗) at 0.85–1.06 of 38/η; heavy-ball momentum at η = 0.05 touches its edge and then trains to zero loss.
     */
    static OptimizerExperiment images() {
        return new OptimizerExperiment(512, 4, List.of(128, 128), 600, 25, List.of(run("gd", OptimizerKind.GD, 0.02),
                run("momentum", OptimizerKind.MOMENTUM, 0.05), run("nesterov", OptimizerKind.NESTEROV, 0.02),
                run("rmsprop", OptimizerKind.RMSPROP, 1e-3), run("adam", OptimizerKind.ADAM, 2e-3),
                run("adamw", OptimizerKind.ADAMW, 2e-3),
                new Run("sgd-batch-64", OptimizerSettings.gd(0.05), 64)));
    }

    /** The CI miniature on XOR-2D: a few runs of a few steps, one of each kind of quantity. */
    static OptimizerExperiment mini() {
        return new OptimizerExperiment(32, 2, List.of(8, 8), 40, 4, List.of(run("gd", OptimizerKind.GD, 0.05),
                run("momentum", OptimizerKind.MOMENTUM, 0.02), run("adam", OptimizerKind.ADAM, 0.01),
                new Run("sgd-batch-8", OptimizerSettings.gd(0.05), 8)));
    }
}
