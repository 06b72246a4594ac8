package io.eoscope.curvature.net;

import java.util.Map;

/**
 * The host-side parameters of a model as a file or a snapshot holds them: an {@link MlpModel} (the MLP
 * contract, every quantity) or {@link ScriptedParameters} (any TorchScript module, named parameters).
 */
public sealed interface ModelState permits MlpModel, ScriptedParameters {
    /** The file's metadata: run, step, time, dataset, … (never null). */
    Map<String, String> metadata();

    /**
     * The optimizer's per-parameter state the file carries, by tensor name ({@code optimizer.exp_avg_sq.layer1.weight},
     * see {@link io.eoscope.curvature.optim.OptimizerState}), values row-major in float64; empty when it carries none.
     */
    Map<String, double[]> optimizerState();

    /** d, the width of one flattened input. */
    int inputWidth();

    /** C, the number of outputs. */
    int classes();

    /** The per-sample criterion. */
    Loss loss();

    /** A short description for messages ({@code 2-32-32-2}, {@code torchscript [3, 8, 8] → 3}). */
    String architecture();
}
