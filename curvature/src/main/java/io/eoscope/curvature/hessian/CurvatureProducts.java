package io.eoscope.curvature.hessian;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.net.DifferentiableModel;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Exact, matrix-free products with 𝓗, G and H over the whole dataset (docs/science.md#hessian-decomposition), from
 * one Hessian-vector-product primitive: a backward pass with {@code create_graph}, then one backward
 * pass of ⟨∇θ, vⱼ⟩ per vector of the block. Sums run over the dataset in chunks.
 *
 * <p>When the dataset is one chunk, the gradient and its graph depend only on θ and the operator, so they are built
 * once and kept for every later product of the same operator (a solve's hundred products then cost one forward and
 * one backward pass less each); with several chunks they are built per product, so that memory stays at one
 * chunk's graph. Either way the peak holds one chunk's graph. {@link #releaseGraph()} frees it.
 *
 * <p>An instance differentiates the model's {@link DifferentiableModel#differentiable differentiable view}:
 * an MLP's own copies of the parameters, a TorchScript module's parameters themselves. One instance per
 * model at a time, used by one thread at a time. Every
 * array in the differentiated graph owns its memory and lives until the backward passes are done:
 * in particular no Java number enters the graph through DJL's {@code mul(Number)} (see
 * {@link HostArrays#constant}).
 */
public final class CurvatureProducts implements AutoCloseable {
    private final DifferentiableModel model;
    private final DeviceData data;
    private final NDManager manager;
    private final DifferentiableModel.Differentiable differentiable;
    private final List<NDArray> leaves;
    private final AtomicLong products = new AtomicLong();
    private final TangentProducts tangent;
    private NDList kept; // the one chunk's gradient per tensor with its graph, kept between products of keptKind (double backward)
    private Curvature keptKind;

    /** How products are computed. */
    public enum Route {
        /** Hand-written tangent passes for an MLP ({@link TangentProducts}), double backward for any other model. */
        AUTO,
        /** The double backward of autograd for every model: the reference route. */
        DOUBLE_BACKWARD
    }

    /**
     * The bytes of per-chunk forward state the tangent route keeps between products (beyond it, it recomputes
     * the forward pass for every product).
     */
    public static final long TANGENT_CACHE_BYTES = 512L << 20;

    /** Products for {@code model} on {@code data} by the {@link Route#AUTO} route; neither is closed by this object. */
    public CurvatureProducts(DifferentiableModel model, DeviceData data) {
        this(model, data, Route.AUTO);
    }

    /** Products for {@code model} on {@code data} by {@code route}; neither is closed by this object. */
    public CurvatureProducts(DifferentiableModel model, DeviceData data, Route route) {
        this.model = model;
        this.data = data;
        this.manager = model.manager().newSubManager();
        this.differentiable = model.differentiable(manager);
        this.leaves = differentiable.leaves();
        this.tangent = route == Route.AUTO && model instanceof Network network
                ? new TangentProducts(network, data, manager, TANGENT_CACHE_BYTES) : null;
    }

    /** The route products take here: {@code tangent} or {@code double_backward}. */
    /** Whether a block of {@code k} rows of {@code width} parameters costs about one product (the tangent route batches it). */
    public boolean batches(long k, long width) {
        return tangent != null && tangent.batches(k, width);
    }

    public String route() {
        return tangent != null ? "tangent" : "double_backward";
    }

    /** P, the dimension of the operators. */
    public long dimension() {
        return model.parameterCount();
    }

    /** The model these products differentiate. */
    public DifferentiableModel model() {
        return model;
    }

    /** Single-vector operator products done so far (a block of k counts k). */
    public long products() {
        return products.get();
    }

    /**
     * Applies {@code kind} to each row of {@code block} [k, P]; returns [k, P] in the block's precision,
     * registered with the caller's {@link NDScope} if there is one.
     */
    public NDArray apply(Curvature kind, NDArray block) {
        int k = Math.toIntExact(block.getShape().get(0));
        if (tangent != null) {
            NDArray result = tangent.apply(kind, block);
            products.addAndGet(k);
            return result;
        }
        return doubleBackward(kind, block, 0, leaves.size());
    }

    /**
     * The diagonal block of {@code kind} for the parameter tensors {@code first..end-1} applied to each row of
     * {@code block} [k, their P], by double backward: per chunk, the gradient of those tensors alone (with its graph, kept
     * between products when the data is one chunk) dotted with each row, then a backward pass of that. Only the part of
     * the graph those tensors' gradients depend on is traversed, so a layer's block costs less than the whole operator.
     */
    private NDArray doubleBackward(Curvature kind, NDArray block, int first, int end) {
        int k = Math.toIntExact(block.getShape().get(0));
        NDArray result = manager.zeros(block.getShape(), block.getDataType(), block.getDevice());
        JniUtils.setGradMode(true);
        try {
            for (int c = 0; c < data.chunks(); c++) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    boolean keep = data.chunks() == 1;
                    NDList gradient = keep ? keptGradient(kind) : null;
                    if (gradient == null) {
                        gradient = gradientWithGraph(kind, c);
                        if (keep) {
                            for (NDArray g : gradient) {
                                NDScope.unregister(g);
                            }
                            kept = gradient;
                            keptKind = kind;
                        }
                    }
                    NDArray part = end - first == 1 ? gradient.get(first) : NDArrays.concat(new NDList(gradient.subList(first, end)));
                    NDArray directional = block.matMul(part); // [k], each ⟨∇θ, vⱼ⟩ with its graph
                    NDList rows = new NDList(k);
                    for (int j = 0; j < k; j++) {
                        try {
                            backward(directional.get(j), keep || j + 1 < k, false);
                        } catch (EngineException e) {
                            if (!String.valueOf(e.getMessage()).contains("does not require grad")) {
                                throw e;
                            }
                            // the gradient has no graph: the objective is linear in θ here (H of a model affine in θ,
                            // such as a one-layer MLP), its Hessian is exactly 0, and so is the product (which the
                            // solvers then report as an error)
                            rows = null;
                            break;
                        }
                        rows.add(flatten(gradients(first, end)));
                        zeroGradients();
                    }
                    if (rows != null) {
                        result.addi(NDArrays.stack(rows));
                    }
                }
            }
        } finally {
            // libtorch's grad mode is thread-local; DJL keeps it off outside a GradientCollector.
            JniUtils.setGradMode(false);
        }
        products.addAndGet(k);
        return result;
    }

    /**
     * ∇θ of {@code kind}'s objective summed over chunk {@code c} (scaled by 1/N), one flat vector per parameter tensor, with
     * the graph that makes it differentiable again (a backward pass with {@code create_graph}); registered with the
     * caller's scope.
     */
    private NDList gradientWithGraph(Curvature kind, int c) {
        NDArray logits = differentiable.logits(data.inputs(c));
        NDArray objective = kind.objective(model.loss(), logits, data.targets(c))
                .mul(HostArrays.constant(manager, 1.0 / data.size())); // never mul(double): see HostArrays.constant
        backward(objective, true, true);
        NDList grads = gradients(0, leaves.size());
        NDList flat = new NDList(grads.size());
        NDArray one = HostArrays.constant(manager, 1.0);
        for (NDArray g : grads) {
            // a copy with its graph (× 1; DJL's duplicate() is not recorded by autograd): a flattened view would share the
            // gradient's memory, which is zeroed below
            flat.add(g.flatten().mul(one));
        }
        for (NDArray g : grads) {
            GradientDetacher.detachInPlace((PtNDArray) g);
        }
        zeroGradients();
        return flat;
    }

    /** The gradient kept from an earlier product of {@code kind}, or null (dropping one kept for another kind). */
    private NDList keptGradient(Curvature kind) {
        if (kept != null && keptKind != kind) {
            releaseGraph();
        }
        return kept;
    }

    /**
     * Frees the gradient graph kept between products (the next product builds it again). Called when a stage is done,
     * so that the graph does not stay beside another stage's memory.
     */
    public void releaseGraph() {
        if (kept != null) {
            kept.close();
            kept = null;
            keptKind = null;
        }
    }

    /**
     * The diagonal block [from, to) of {@code kind} applied to each row of {@code block} [k, to − from]: when the range is
     * whole parameter tensors (a layer), by passes restricted to them (the tangent passes of an MLP start and stop at
     * those layers; the double backward differentiates only those tensors' gradients); otherwise as the full operator
     * applied to the block embedded in zeros, then sliced.
     */
    public NDArray applyBlock(Curvature kind, NDArray block, long from, long to) {
        long p = dimension();
        if (from == 0 && to == p) {
            return apply(kind, block);
        }
        if (tangent != null) {
            int lo = -1;
            int hi = -1;
            List<DifferentiableModel.ParameterGroup> groups = model.groups();
            for (int i = 0; i < groups.size(); i++) {
                if (groups.get(i).from() == from) {
                    lo = i + 1;
                }
                if (groups.get(i).to() == to) {
                    hi = i + 1;
                }
            }
            if (lo > 0 && hi >= lo) {
                NDArray result = tangent.apply(kind, block, lo, hi);
                products.addAndGet(block.getShape().get(0));
                return result;
            }
        }
        if (tangent == null) {
            List<DifferentiableModel.ParameterGroup> ranges = model.parameterRanges();
            int first = -1;
            int end = -1;
            for (int i = 0; i < ranges.size() && ranges.size() == leaves.size(); i++) {
                if (ranges.get(i).from() == from) {
                    first = i;
                }
                if (ranges.get(i).to() == to) {
                    end = i + 1;
                }
            }
            if (first >= 0 && end > first) {
                return doubleBackward(kind, block, first, end);
            }
        }
        long k = block.getShape().get(0);
        NDList parts = new NDList();
        if (from > 0) {
            parts.add(block.getManager().zeros(new Shape(k, from), block.getDataType(), block.getDevice()));
        }
        parts.add(block);
        if (to < p) {
            parts.add(block.getManager().zeros(new Shape(k, p - to), block.getDataType(), block.getDevice()));
        }
        return apply(kind, NDArrays.concat(parts, 1)).get(":, " + from + ":" + to);
    }

    /** ∇L̃ as a flat vector [P], summed over the dataset in chunks. */
    public NDArray gradient() {
        releaseGraph();
        NDArray result = manager.zeros(new ai.djl.ndarray.types.Shape(dimension()), model.dataType(),
                leaves.get(0).getDevice());
        JniUtils.setGradMode(true);
        try {
            for (int c = 0; c < data.chunks(); c++) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray logits = differentiable.logits(data.inputs(c));
                    NDArray objective = model.loss().perSample(logits, data.targets(c)).sum()
                            .mul(HostArrays.constant(manager, 1.0 / data.size())); // see HostArrays.constant
                    backward(objective, false, false);
                    result.addi(flatten(gradients(0, leaves.size())));
                    zeroGradients();
                }
            }
        } finally {
            // libtorch's grad mode is thread-local; DJL keeps it off outside a GradientCollector.
            JniUtils.setGradMode(false);
        }
        return result;
    }

    private static void backward(NDArray scalar, boolean keepGraph, boolean createGraph) {
        try (NDArray ones = scalar.onesLike()) {
            if (createGraph) {
                FirstWarningSilencer.run(() -> JniUtils.backward((PtNDArray) scalar, (PtNDArray) ones, true, true));
            } else {
                JniUtils.backward((PtNDArray) scalar, (PtNDArray) ones, keepGraph, false);
            }
        }
    }

    private NDList gradients(int first, int end) {
        NDList grads = new NDList(end - first);
        for (NDArray leaf : leaves.subList(first, end)) {
            grads.add(leaf.getGradient());
        }
        return grads;
    }

    private void zeroGradients() {
        for (NDArray leaf : leaves) {
            JniUtils.zeroGrad((PtNDArray) leaf);
        }
    }

    private static NDArray flatten(NDList parts) {
        NDList flat = new NDList(parts.size());
        for (NDArray p : parts) {
            flat.add(p.flatten());
        }
        return NDArrays.concat(flat);
    }

    @Override
    public void close() {
        releaseGraph();
        manager.close();
    }
}
