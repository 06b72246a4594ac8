package io.eoscope.curvature.net;

import java.util.Map;

/**
 * The host-side parameters of a model as a file or a snapshot holds them: an {@link MlpModel} (the MLP
 * contract, every quantity) or {@link ScriptedParameters} (any TorchScript module, named parameters).
 */
public sealed interface ModelState permits MlpModel, ScriptedParameters {
    /** The file's metadata: run, step, time, dataset, … (never null). */
    Map<String, String> metadata();

    /** d, the width of one flattened input. */
    int inputWidth();

    /** C, the number of outputs. */
    int classes();

    /** The per-sample criterion. */
    Loss loss();

    /** A short description for messages ({@code 2-32-32-2}, {@code torchscript [3, 8, 8] → 3}). */
    String architecture();
}
