package io.eoscope.curvature.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A model whose curvature eoscope can compute: logits f(x, θ) for flat inputs [n, d], a loss, and its
 * parameters as a flat vector θ of length P cut into named groups (a layer each). An {@link Network}
 * (the MLP of docs/science.md#network-and-loss) or a {@link ScriptedModel} (any TorchScript module).
 *
 * <p>Owns its native arrays; {@link #close()} frees them.
 */
public interface DifferentiableModel extends AutoCloseable {

    /** A named range [from, to) of the flat parameter vector: one layer of the model. */
    record ParameterGroup(String name, long from, long to) {
        /** The number of parameters in the group. */
        public long size() {
            return to - from;
        }
    }

    /**
     * Parameters that autograd differentiates, and the logits through them. Gradients accumulate in the
     * leaves ({@link NDArray#getGradient()}), in the order of the flat vector θ.
     *
     * @param leaves the leaves, in the order of θ (owned by the model or its caller's manager: do not close)
     * @param forward f(x, θ) for flat inputs [n, d], through the leaves
     */
    record Differentiable(List<NDArray> leaves, UnaryOperator<NDArray> forward) {
        /** f(x, θ) for flat inputs [n, d], through the leaves. */
        public NDArray logits(NDArray x) {
            return forward.apply(x);
        }
    }

    /** {@code mlp} or {@code torchscript}: which quantities an analysis can give (the MLP factors are MLP-only). */
    String kind();

    /** The per-sample criterion. */
    Loss loss();

    /** C, the number of outputs. */
    int classes();

    /** P. */
    long parameterCount();

    /** The precision of the parameters (inputs must be uploaded in it). */
    DataType dataType();

    /** The manager that owns the parameters (and its device). */
    NDManager manager();

    /** The layers, in the order of θ, covering it. */
    List<ParameterGroup> groups();

    /**
     * Each parameter tensor's name as a snapshot names it ({@code layer1.weight}, {@code conv1.bias}) and its range of
     * θ, in the order of θ, covering it: how per-parameter host data (an optimizer's state) map onto θ.
     */
    List<ParameterGroup> parameterRanges();

    /** Logits with the model's own parameters (no graph: call with grad mode off). */
    NDArray logits(NDArray x);

    /**
     * The differentiable view for curvature products, its leaves in {@code manager} where they are copies.
     * At most one is in use at a time per model.
     */
    Differentiable differentiable(NDManager manager);

    @Override
    void close();
}
