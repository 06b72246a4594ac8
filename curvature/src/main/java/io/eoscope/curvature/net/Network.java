package io.eoscope.curvature.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.List;

/**
 * An MLP's parameters as NDArrays on one device, in one precision, and its forward pass
 * (docs/science.md#network-and-loss). Parameters are ordered A¹, b¹, A², b², …; the flat parameter vector θ
 * concatenates them in that order, each row-major.
 *
 * <p>Owns a child manager of the given one; {@link #close()} frees every array. Its groups are the layers
 * {@code layer1} … {@code layerL}, each its weight then its bias.
 */
public final class Network implements DifferentiableModel {
    private final MlpModel model;
    private final NDManager manager;
    private final DataType dataType;
    private final List<NDArray> parameters;
    private final long[] offsets;

    private Network(MlpModel model, NDManager manager, DataType dataType, List<NDArray> parameters) {
        this.model = model;
        this.manager = manager;
        this.dataType = dataType;
        this.parameters = parameters;
        this.offsets = new long[parameters.size() + 1];
        for (int i = 0; i < parameters.size(); i++) {
            offsets[i + 1] = offsets[i] + parameters.get(i).size();
        }
    }

    /** Uploads {@code model} into a new child manager of {@code parent} in {@code dataType}. */
    public static Network upload(MlpModel model, NDManager parent, DataType dataType) {
        NDManager manager = parent.newSubManager();
        List<NDArray> params = new ArrayList<>();
        int[] w = model.widths();
        for (int l = 0; l < model.layers(); l++) {
            params.add(HostArrays.upload(manager, model.weights().get(l), new Shape(w[l + 1], w[l]), dataType));
            params.add(HostArrays.upload(manager, model.biases().get(l), new Shape(w[l + 1]), dataType));
        }
        params.forEach(NDScope::unregister); // owned by the network, not by the caller's scope
        return new Network(model, manager, dataType, params);
    }

    /**
     * A network with the same architecture and a copy of the parameters in {@code flat} (a length-P
     * vector): the new network owns its arrays and does not depend on {@code flat} afterwards, which the
     * caller may change or close.
     */
    public Network withParameters(NDArray flat) {
        NDManager sub = manager.getParentManager().newSubManager();
        List<NDArray> params = new ArrayList<>();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (int i = 0; i < parameters.size(); i++) {
                NDArray view = flat.get(offsets[i] + ":" + offsets[i + 1]).reshape(parameters.get(i).getShape());
                // a copy, never a view: toType(sameType, true) would alias flat (libtorch's to(copy=false))
                NDArray p = view.getDataType() == dataType ? view.duplicate() : view.toType(dataType, false);
                NDScope.unregister(p); // owned by the new network, not by any scope
                p.attach(sub);
                params.add(p);
            }
        }
        return new Network(model, sub, dataType, params);
    }

    @Override
    public String kind() {
        return "mlp";
    }

    @Override
    public Loss loss() {
        return model.loss();
    }

    @Override
    public int classes() {
        return model.classes();
    }

    @Override
    public List<ParameterGroup> groups() {
        List<ParameterGroup> groups = new ArrayList<>();
        for (int l = 1; l <= model.layers(); l++) {
            long[] r = layerRange(l);
            groups.add(new ParameterGroup("layer" + l, r[0], r[1]));
        }
        return groups;
    }

    @Override
    public List<ParameterGroup> parameterRanges() {
        List<ParameterGroup> ranges = new ArrayList<>();
        for (int i = 0; i < parameters.size(); i++) {
            ranges.add(new ParameterGroup("layer" + (i / 2 + 1) + (i % 2 == 0 ? ".weight" : ".bias"), offsets[i], offsets[i + 1]));
        }
        return ranges;
    }

    @Override
    public Differentiable differentiable(NDManager owner) {
        List<NDArray> leaves = new ArrayList<>();
        for (NDArray p : parameters) {
            NDArray leaf = p.duplicate();
            leaf.attach(owner);
            leaf.setRequiresGradient(true);
            leaves.add(leaf);
        }
        return new Differentiable(leaves, x -> logits(leaves, x));
    }

    /** The host-side model with the current parameter values (metadata kept). */
    public MlpModel download() {
        List<double[]> ws = new ArrayList<>();
        List<double[]> bs = new ArrayList<>();
        for (int i = 0; i < parameters.size(); i++) {
            double[] values = HostArrays.download(parameters.get(i));
            (i % 2 == 0 ? ws : bs).add(values);
        }
        return new MlpModel(model.widths(), model.activation(), model.loss(), ws, bs, model.metadata());
    }

    /** The architecture, activation and loss (and the parameters it was uploaded with). */
    public MlpModel model() {
        return model;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public DataType dataType() {
        return dataType;
    }

    /** A₁, b₁, A₂, b₂, … (owned by this network: do not close). */
    public List<NDArray> parameters() {
        return parameters;
    }

    @Override
    public long parameterCount() {
        return offsets[offsets.length - 1];
    }

    /** Start of parameter tensor {@code i} in the flat vector; {@code offset(size)} is P. */
    public long offset(int i) {
        return offsets[i];
    }

    /** The flat range of layer {@code l} (1-based): its weight then its bias. */
    public long[] layerRange(int layer) {
        return new long[] {offsets[2 * (layer - 1)], offsets[2 * layer]};
    }

    /** θ as one vector of length P. */
    public NDArray flatParameters() {
        return flatten(parameters);
    }

    /** Concatenates per-tensor arrays (shaped like the parameters) into one flat vector. */
    public static NDArray flatten(List<NDArray> tensors) {
        NDList flat = new NDList(tensors.size());
        for (NDArray t : tensors) {
            flat.add(t.flatten());
        }
        return NDArrays.concat(flat);
    }

    /**
     * Splits a block of flat vectors [k, P] into per-parameter views shaped [k, *parameter shape].
     */
    public List<NDArray> splitBlock(NDArray block) {
        long k = block.getShape().get(0);
        List<NDArray> parts = new ArrayList<>(parameters.size());
        for (int i = 0; i < parameters.size(); i++) {
            Shape s = new Shape(k).addAll(parameters.get(i).getShape());
            parts.add(block.get(":, " + offsets[i] + ":" + offsets[i + 1]).reshape(s));
        }
        return parts;
    }

    /** Logits f(x, θ) = x̂ᴸ for inputs [n, d_0], with the given parameter tensors. */
    public NDArray logits(List<NDArray> params, NDArray x) {
        NDArray h = x;
        int layers = model.layers();
        for (int l = 0; l < layers; l++) {
            NDArray z = Linear.linear(h, params.get(2 * l), params.get(2 * l + 1)).singletonOrThrow();
            h = l + 1 < layers ? model.activation().apply(z) : z;
        }
        return h;
    }

    /** Logits with this network's own parameters. */
    @Override
    public NDArray logits(NDArray x) {
        return logits(parameters, x);
    }

    /** Preactivations x̂¹ … x̂ᴸ for inputs [n, d_0] (no graph needed: call under no-grad). */
    public List<NDArray> preactivations(NDArray x) {
        List<NDArray> out = new ArrayList<>();
        NDArray h = x;
        int layers = model.layers();
        for (int l = 0; l < layers; l++) {
            NDArray z = Linear.linear(h, parameters.get(2 * l), parameters.get(2 * l + 1)).singletonOrThrow();
            out.add(z);
            h = model.activation().apply(z);
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
