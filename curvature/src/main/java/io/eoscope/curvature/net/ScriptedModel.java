package io.eoscope.curvature.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Any differentiable TorchScript module (a {@code torch.jit.trace} of a PyTorch model) with the parameter
 * values of one snapshot, run by libtorch through DJL. Its parameters are the module's own, in the
 * module's order (θ concatenates them, each row-major), and its groups are its layers: consecutive
 * parameters that share a name prefix ({@code conv1.weight}, {@code conv1.bias} → {@code conv1}).
 *
 * <p>Exactness: the module runs op by op with autograd (graph-executor optimisations off, training mode,
 * so that DJL does not disable autograd), so the double backward of {@code CurvatureProducts} goes through
 * it exactly: checked against PyTorch's own double backward and against float64 finite differences
 * ({@code ScriptedModelTest}). The module computes in the precision it was traced in (eoscope's Python
 * client traces it in float64 and in float32, see {@link Precision}); the snapshot's values are rounded to that
 * precision (float32 values widen to float64 exactly). Modules traced in eval mode keep eval-mode behaviour (dropout off, batch
 * norm with its running statistics), whatever mode they run in here.
 *
 * <p>Owns a child manager of the given one; {@link #close()} frees the module and every array. One
 * {@link #differentiable} view at a time: it differentiates the module's own parameters.
 */
public final class ScriptedModel implements DifferentiableModel {
    private final NDManager manager;
    private final PtSymbolBlock block;
    private final List<NDArray> parameters;
    private final List<ParameterGroup> groups;
    private final List<ParameterGroup> ranges;
    private final ScriptedParameters state;
    private final DataType dataType;
    private final long count;

    private ScriptedModel(NDManager manager, PtSymbolBlock block, List<NDArray> parameters, List<ParameterGroup> groups,
            List<ParameterGroup> ranges, ScriptedParameters state, DataType dataType) {
        this.manager = manager;
        this.block = block;
        this.parameters = parameters;
        this.groups = groups;
        this.ranges = List.copyOf(ranges);
        this.state = state;
        this.dataType = dataType;
        this.count = groups.get(groups.size() - 1).to();
    }

    /**
     * Loads {@code module} (TorchScript bytes) into a child manager of {@code parent} and sets its
     * parameters to {@code state}'s.
     *
     * @throws IllegalArgumentException naming what does not fit: a module that cannot be loaded, a parameter
     *     missing, extra or of another shape, an output that is not [n, C]
     */
    public static ScriptedModel load(byte[] module, ScriptedParameters state, NDManager parent) {
        NDManager manager = parent.newSubManager();
        try {
            PtSymbolBlock block;
            try {
                block = JniUtils.loadModule((PtNDManager) manager, new ByteArrayInputStream(module), true, false);
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("the TorchScript module cannot be loaded: " + e.getMessage(), e);
            }
            JniUtils.setGradMode(false); // the parameters are written in place below, outside any graph
            Map<String, ScriptedParameters.Parameter> given = new HashMap<>();
            for (ScriptedParameters.Parameter p : state.parameters()) {
                given.put(p.name(), p);
            }
            List<NDArray> parameters = new ArrayList<>();
            List<ParameterGroup> groups = new ArrayList<>();
            List<ParameterGroup> ranges = new ArrayList<>();
            DataType type = null;
            long offset = 0;
            for (Pair<String, Parameter> named : block.getDirectParameters()) {
                String name = named.getKey();
                NDArray array = named.getValue().getArray();
                ScriptedParameters.Parameter p = given.remove(name);
                if (p == null) {
                    throw new IllegalArgumentException("the snapshot has no parameter '" + name + "' of the module");
                }
                if (!Arrays.equals(p.shape(), array.getShape().getShape())) {
                    throw new IllegalArgumentException("parameter '" + name + "' has shape " + Arrays.toString(p.shape())
                            + " in the snapshot but " + array.getShape() + " in the module");
                }
                if (type == null) {
                    type = array.getDataType();
                } else if (array.getDataType() != type) {
                    throw new IllegalArgumentException("the module's parameters mix " + type + " and " + array.getDataType());
                }
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    array.set(new NDIndex("..."), HostArrays.upload(manager, p.values(), array.getShape(), type));
                }
                parameters.add(array);
                String group = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
                ParameterGroup last = groups.isEmpty() ? null : groups.get(groups.size() - 1);
                long end = offset + array.size();
                ranges.add(new ParameterGroup(name, offset, end));
                if (last != null && last.name().equals(group)) {
                    groups.set(groups.size() - 1, new ParameterGroup(group, last.from(), end));
                } else {
                    groups.add(new ParameterGroup(group, offset, end));
                }
                offset = end;
            }
            if (!given.isEmpty()) {
                throw new IllegalArgumentException("the module has no parameter " + given.keySet().iterator().next()
                        + " (it has " + groups.size() + " layers: " + groups.stream().map(ParameterGroup::name).toList() + ")");
            }
            if (parameters.isEmpty()) {
                throw new IllegalArgumentException("the module has no parameters");
            }
            if (!type.isFloating()) {
                throw new IllegalArgumentException("the module's parameters are " + type + ", not floating point");
            }
            ScriptedModel model = new ScriptedModel(manager, block, parameters, groups, ranges, state, type);
            model.checkOutput();
            return model;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private void checkOutput() {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray z = logits(manager.zeros(new Shape(2, state.inputWidth()), dataType));
            Shape s = z.getShape();
            if (s.dimension() != 2 || s.get(0) != 2 || s.get(1) != state.classes()) {
                throw new IllegalArgumentException("the module maps 2 samples of shape " + Arrays.toString(state.inputShape())
                        + " to " + s + ", expected (2, " + state.classes() + ") logits");
            }
            if (z.getDataType() != dataType) {
                throw new IllegalArgumentException("the module's parameters are " + name(dataType) + " but it returns "
                        + name(z.getDataType()) + " logits (a tensor of the other precision was traced into it): trace it "
                        + "from a copy of the model in one precision, as eoscope's Python client does");
            }
        }
    }

    /**
     * {@link #load(byte[], ScriptedParameters, NDManager)}, refusing a module traced in another precision than
     * {@code precision}: a module computes in the precision it was traced in, so an analysis in float32 needs a module
     * traced in float32.
     */
    public static ScriptedModel load(byte[] module, ScriptedParameters state, NDManager parent, DataType precision) {
        ScriptedModel model = load(module, state, parent);
        if (model.dataType() != precision) {
            String traced = name(model.dataType());
            model.close();
            throw new IllegalArgumentException("the module was traced in " + traced + " but the analysis precision is "
                    + name(precision) + ": give a module traced in " + name(precision) + " (torch.jit.trace of a "
                    + name(precision) + " copy of the model) or analyse in " + traced);
        }
        return model;
    }

    /** {@code float32} or {@code float64}, as the options name them. */
    static String name(DataType type) {
        return type == DataType.FLOAT64 ? "float64" : type == DataType.FLOAT32 ? "float32" : type.toString();
    }

    @Override
    public String kind() {
        return "torchscript";
    }

    @Override
    public Loss loss() {
        return state.loss();
    }

    @Override
    public int classes() {
        return state.classes();
    }

    @Override
    public long parameterCount() {
        return count;
    }

    @Override
    public DataType dataType() {
        return dataType;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public List<ParameterGroup> groups() {
        return groups;
    }

    @Override
    public List<ParameterGroup> parameterRanges() {
        return ranges;
    }

    /** The module's parameters, in the order of θ (owned by the module: do not close). */
    public List<NDArray> parameters() {
        return parameters;
    }

    @Override
    public NDArray logits(NDArray x) {
        long n = x.getShape().get(0);
        long[] shape = new long[state.inputShape().length + 1];
        shape[0] = n;
        System.arraycopy(state.inputShape(), 0, shape, 1, shape.length - 1);
        // op by op: a graph executor's fused or specialised graph need not support the double backward
        JniUtils.setGraphExecutorOptimize(false);
        // training mode: DJL runs a module in inference mode under a guard that turns autograd off
        NDList out = block.forward(new ParameterStore(manager, false), new NDList(x.reshape(new Shape(shape))), true);
        if (out.size() != 1) {
            throw new IllegalArgumentException("the module returns " + out.size() + " tensors, expected one [n, C] tensor of logits");
        }
        return out.singletonOrThrow();
    }

    @Override
    public Differentiable differentiable(NDManager owner) {
        for (NDArray p : parameters) {
            p.setRequiresGradient(true);
        }
        return new Differentiable(parameters, this::logits);
    }

    @Override
    public void close() {
        block.close();
        manager.close();
    }
}
