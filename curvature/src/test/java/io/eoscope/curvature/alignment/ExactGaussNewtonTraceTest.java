package io.eoscope.curvature.alignment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.testing.DenseOperators;
import io.eoscope.curvature.testing.TestProblems;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exact trace of G against the diagonal of the dense float64 G (materialised from Gauss-Newton products, which go
 * through autograd, not through the per-sample signals), per layer block and in total, with nonzero biases and a
 * dataset of several chunks; float32 against float64; non-finite inputs refused.
 */
class ExactGaussNewtonTraceTest {

    @ParameterizedTest
    @MethodSource("io.eoscope.curvature.alignment.LayerwiseAlignmentTest#cases") // the same four MLPs
    void matchesTheDenseGaussNewtonMatrix(String arch, Activation act, Loss loss) {
        MlpModel model = TestProblems.model(arch, act, loss, 81);
        LabeledData data = TestProblems.data(11, model.inputWidth(), model.classes(), 82);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, DataType.FLOAT64, 4);
                CurvatureProducts products = new CurvatureProducts(net, dev)) {
            double dense = trace(DenseOperators.materialise(CurvatureOperator.of(products, Curvature.GAUSS_NEWTON), m));
            GaussNewtonTrace exact = ExactGaussNewtonTrace.compute(net, dev, 4); // 3 chunks: 4 + 4 + 3
            assertRelative(exact.total(), dense, 1e-10);
            double sum = 0;
            for (int l = 1; l <= model.layers(); l++) {
                double block = trace(DenseOperators.materialise(
                        CurvatureOperator.block(products, Curvature.GAUSS_NEWTON, net.groups().get(l - 1)), m));
                assertRelative(exact.layers()[l - 1], block, 1e-10);
                sum += exact.layers()[l - 1];
            }
            assertRelative(sum, exact.total(), 1e-12);
            assertThat(exact.layers()).hasSize(model.layers());
            assertThat(exact.gradientEquivalents()).isEqualTo(model.classes());
            // the chunking changes only the order of the sums
            assertRelative(ExactGaussNewtonTrace.compute(net, dev, 1).total(), exact.total(), 1e-12);
            assertRelative(ExactGaussNewtonTrace.compute(net, dev, 100).total(), exact.total(), 1e-12);
        }
    }

    @Test
    void theBiasTermsCount() {
        // the bias part of tr(Gˡ) is (1/N) Σ_n ‖Δˡ_n‖²_F, the weight part (1/N) Σ_n ‖Δˡ_n‖²_F ‖xˡ⁻¹_n‖²: with zero
        // inputs to the first layer only its bias part is left, which must still equal the dense block's trace
        MlpModel model = TestProblems.model("3-5-2", Activation.TANH, Loss.CROSS_ENTROPY, 91);
        LabeledData data = new LabeledData(5, 3, new double[15], new int[] {0, 1, 0, 1, 1});
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, DataType.FLOAT64, 2);
                CurvatureProducts products = new CurvatureProducts(net, dev)) {
            double block = trace(DenseOperators.materialise(
                    CurvatureOperator.block(products, Curvature.GAUSS_NEWTON, net.groups().get(0)), m));
            assertThat(block).isGreaterThan(1e-3);
            assertRelative(ExactGaussNewtonTrace.compute(net, dev, 2).layers()[0], block, 1e-10);
        }
    }

    @ParameterizedTest
    @MethodSource("io.eoscope.curvature.alignment.LayerwiseAlignmentTest#cases") // the same four MLPs
    void float32AgreesWithFloat64(String arch, Activation act, Loss loss) {
        MlpModel model = TestProblems.model(arch, act, loss, 83);
        LabeledData data = TestProblems.data(50, model.inputWidth(), model.classes(), 84);
        GaussNewtonTrace f64 = compute(model, data, DataType.FLOAT64, 16);
        GaussNewtonTrace f32 = compute(model, data, DataType.FLOAT32, 16);
        assertRelative(f32.total(), f64.total(), 1e-5);
        for (int l = 0; l < model.layers(); l++) {
            assertRelative(f32.layers()[l], f64.layers()[l], 1e-5);
        }
    }

    @Test
    void refusesNonFiniteParametersAndInputs() {
        MlpModel model = TestProblems.model("4-6-3", Activation.RELU, Loss.CROSS_ENTROPY, 85);
        List<double[]> weights = new ArrayList<>(model.weights());
        double[] first = weights.get(0).clone();
        first[0] = Double.NaN;
        weights.set(0, first);
        MlpModel broken = new MlpModel(model.widths(), model.activation(), model.loss(), weights, model.biases(),
                model.metadata());
        LabeledData data = TestProblems.data(9, 4, 3, 86);
        for (DataType type : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
            assertThatThrownBy(() -> compute(broken, data, type, 4)).isInstanceOf(ArithmeticException.class)
                    .hasMessageContaining("non-finite");
        }
        double[] x = data.x().clone();
        x[4 * 7 + 2] = Double.POSITIVE_INFINITY; // sample 7
        LabeledData badInput = new LabeledData(9, 4, x, data.y());
        assertThatThrownBy(() -> compute(model, badInput, DataType.FLOAT64, 4)).isInstanceOf(ArithmeticException.class)
                .hasMessageContaining("sample 7");
        // float32 overflow: a finite float64 network whose per-sample gradient norm exceeds float32's range
        MlpModel huge = TestProblems.model("4-6-3", Activation.TANH, Loss.MSE, 87);
        // (MSE: R = √2·I does not depend on the logits; Δ¹ = R·A²·diag(σ′) has entries ~1e25, ‖Δ¹‖² ~1e50 > 3.4e38)
        List<double[]> hw = new ArrayList<>(huge.weights());
        double[] last = hw.get(1).clone();
        for (int i = 0; i < last.length; i++) {
            last[i] *= 1e25;
        }
        hw.set(1, last);
        MlpModel overflowing = new MlpModel(huge.widths(), huge.activation(), huge.loss(), hw, huge.biases(),
                huge.metadata());
        assertThat(compute(overflowing, data, DataType.FLOAT64, 4).total()).isFinite();
        assertThatThrownBy(() -> compute(overflowing, data, DataType.FLOAT32, 4)).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void leavesNoArrayBehind() {
        // every native array of a chunk belongs to that chunk's scope: the owners hold what they held before
        MlpModel model = TestProblems.model("4-6-5-3", Activation.TANH, Loss.CROSS_ENTROPY, 90);
        LabeledData data = TestProblems.data(10, 4, 3, 91);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT32);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, DataType.FLOAT32, 3)) {
            int networkArrays = net.manager().getManagedArrays().size();
            int dataArrays = dev.inputs().getManager().getManagedArrays().size();
            int rootArrays = m.getManagedArrays().size();
            ExactGaussNewtonTrace.compute(net, dev, 3);
            assertThat(net.manager().getManagedArrays()).hasSize(networkArrays);
            assertThat(dev.inputs().getManager().getManagedArrays()).hasSize(dataArrays);
            assertThat(m.getManagedArrays()).hasSize(rootArrays);
        }
    }

    @Test
    void rejectsABadChunkSize() {
        MlpModel model = TestProblems.model("3-4-2", Activation.TANH, Loss.MSE, 88);
        LabeledData data = TestProblems.data(4, 3, 2, 89);
        assertThatThrownBy(() -> compute(model, data, DataType.FLOAT64, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chunk size");
    }

    private static GaussNewtonTrace compute(MlpModel model, LabeledData data, DataType type, int chunkSize) {
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, type);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, type, 7)) {
            return ExactGaussNewtonTrace.compute(net, dev, chunkSize);
        }
    }

    private static double trace(double[][] a) {
        double t = 0;
        for (int i = 0; i < a.length; i++) {
            t += a[i][i];
        }
        return t;
    }

    private static void assertRelative(double actual, double expected, double tolerance) {
        assertThat(Math.abs(actual - expected)).as("%s vs %s", actual, expected)
                .isLessThanOrEqualTo(tolerance * Math.max(Math.abs(expected), 1e-300));
    }
}
