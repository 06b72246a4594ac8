package io.eoscope.curvature.net;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.eoscope.curvature.testing.TestProblems;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every native array has one owner and copies are explicit: a network built from a flat vector, from
 * host arrays, or uploaded inside a scope that then closes, keeps its values after its sources are
 * changed in place, closed, and their Java buffers collected (with memory allocated and freed in
 * between, so that freed memory is reused and a dangling view would read other values).
 */
class NativeOwnershipTest {

    /** The two precisions a network runs in. */
    enum Precision {
        FLOAT64(DataType.FLOAT64), FLOAT32(DataType.FLOAT32);

        final DataType type;

        Precision(DataType type) {
            this.type = type;
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void withParametersCopiesItsSourceWhichMayThenBeChangedAndClosed(Precision precision) {
        MlpModel model = TestProblems.model("3-7-2", Activation.ELU, Loss.MSE, 1);
        try (NDManager root = NDManager.newBaseManager();
                Network base = Network.upload(model, root, precision.type)) {
            double[] theta = TestProblems.vector(base.parameterCount(), 2);
            Network copy;
            try (NDManager sourceOwner = root.newSubManager()) {
                // a flat vector over a Java buffer: the case DJL backs by that buffer alone (from_blob)
                NDArray flat = sourceOwner.create(theta, new Shape(theta.length)).toType(precision.type, false);
                copy = base.withParameters(flat);
                flat.muli(-7); // an in-place write to the source
                flat.close();
            }
            churn(root);
            try (Network network = copy) {
                assertThat(flatOf(network.download())).containsExactly(rounded(theta, precision.type));
                assertThat(network.manager().getManagedArrays()).hasSize(4); // A¹, b¹, A², b² and nothing else
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void uploadsInsideAClosedScopeKeepTheirValues(Precision precision) {
        MlpModel model = TestProblems.model("4-6-3", Activation.TANH, Loss.CROSS_ENTROPY, 3);
        LabeledData data = TestProblems.data(9, 4, 3, 4);
        try (NDManager root = NDManager.newBaseManager()) {
            Network network;
            DeviceData device;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                network = Network.upload(model, root, precision.type);
                device = DeviceData.upload(data, 3, root, precision.type, 4);
            }
            churn(root);
            try (network; device) {
                assertThat(flatOf(network.download())).containsExactly(rounded(flatOf(model), precision.type));
                assertThat(HostArrays.download(device.inputs())).containsExactly(rounded(data.x(), precision.type));
                assertThat(network.manager().getManagedArrays()).hasSize(4);
                assertThat(device.inputs().getManager().getManagedArrays()).hasSize(2); // x and the one-hot targets
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void downloadLeavesNothingBehindInTheSourceManager(Precision precision) {
        try (NDManager root = NDManager.newBaseManager();
                NDManager owner = root.newSubManager()) {
            NDArray a = HostArrays.upload(owner, new double[] {1.5, -2, 3}, new Shape(3), precision.type);
            for (int i = 0; i < 100; i++) {
                assertThat(HostArrays.download(a)).containsExactly(1.5, -2, 3);
            }
            assertThat(owner.getManagedArrays()).containsExactly(a);
        }
    }

    /** Allocates and frees native and direct-buffer memory, then collects: freed memory gets reused. */
    private static void churn(NDManager root) {
        for (int round = 0; round < 5; round++) {
            try (NDManager m = root.newSubManager()) {
                List<NDArray> junk = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    junk.add(m.create(TestProblems.vector(997, 100 + i), new Shape(997)));
                }
                junk.forEach(NDArray::close);
            }
            System.gc();
        }
    }

    private static double[] flatOf(MlpModel m) {
        List<Double> out = new ArrayList<>();
        for (int l = 0; l < m.layers(); l++) {
            for (double v : m.weights().get(l)) {
                out.add(v);
            }
            for (double v : m.biases().get(l)) {
                out.add(v);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double[] rounded(double[] values, DataType type) {
        double[] out = values.clone();
        if (type == DataType.FLOAT32) {
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) out[i];
            }
        }
        return out;
    }
}
