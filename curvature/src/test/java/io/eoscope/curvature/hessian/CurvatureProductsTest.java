package io.eoscope.curvature.hessian;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.testing.TestProblems;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The invariants of docs/science.md#hessian-decomposition, in float64, on several architectures and both losses. */
class CurvatureProductsTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("3-5-4", Activation.ELU, Loss.CROSS_ENTROPY),
                Arguments.of("4-6-5-3", Activation.TANH, Loss.CROSS_ENTROPY),
                Arguments.of("3-6-6-2", Activation.ELU, Loss.MSE),
                Arguments.of("2-7-3", Activation.GELU, Loss.MSE),
                Arguments.of("5-4-4-4-3", Activation.GELU, Loss.CROSS_ENTROPY),
                Arguments.of("3-5-2", Activation.RELU, Loss.MSE));
    }

    /**
     * 𝓗v against a central difference of gradients, (∇L̃(θ+εv) − ∇L̃(θ−εv))/2ε, with ε = 1e-5: the
     * truncation error is O(ε²)·‖∇³L̃‖ ≈ 1e-10 and the rounding error ≈ 1e-16/ε ≈ 1e-11, so a
     * relative error of 1e-6 (docs/science.md#hessian-decomposition) leaves a wide margin and still catches any wrong term.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void hessianVectorProductMatchesFiniteDifferences(String arch, Activation act, Loss loss) {
        MlpModel model = TestProblems.model(arch, act, loss, 11);
        LabeledData data = TestProblems.data(9, model.inputWidth(), model.classes(), 12);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, DataType.FLOAT64, 4);
                CurvatureProducts products = new CurvatureProducts(net, dev)) {
            long p = net.parameterCount();
            NDArray v = m.create(TestProblems.vector(p, 13), new Shape(1, p));
            double[] hv = products.apply(Curvature.HESSIAN, v).toDoubleArray();
            double eps = 1e-5;
            NDArray theta = net.flatParameters();
            double[] plus = gradientAt(net, dev, theta.add(v.get(0).mul(eps)));
            double[] minus = gradientAt(net, dev, theta.sub(v.get(0).mul(eps)));
            double[] fd = new double[hv.length];
            for (int i = 0; i < fd.length; i++) {
                fd[i] = (plus[i] - minus[i]) / (2 * eps);
            }
            assertThat(relativeError(hv, fd)).isLessThan(1e-6);
            assertThat(norm(hv)).isGreaterThan(1e-3);
        }
    }

    /** 𝓗v = Gv + Hv; uᵀ𝓗v = vᵀ𝓗u (and for G, H); vᵀGv ≥ 0 for many random v. */
    @ParameterizedTest
    @MethodSource("cases")
    void splitIsConsistentSymmetricAndGaussNewtonIsPsd(String arch, Activation act, Loss loss) {
        MlpModel model = TestProblems.model(arch, act, loss, 21);
        LabeledData data = TestProblems.data(10, model.inputWidth(), model.classes(), 22);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, DataType.FLOAT64, 3);
                CurvatureProducts products = new CurvatureProducts(net, dev)) {
            long p = net.parameterCount();
            int k = 6;
            double[] both = new double[(int) (k * p)];
            for (int j = 0; j < k; j++) {
                System.arraycopy(TestProblems.vector(p, 100 + j), 0, both, (int) (j * p), (int) p);
            }
            NDArray block = m.create(both, new Shape(k, p));
            NDArray hv = products.apply(Curvature.HESSIAN, block);
            NDArray gv = products.apply(Curvature.GAUSS_NEWTON, block);
            NDArray rv = products.apply(Curvature.RESIDUAL, block);
            assertThat(relativeError(hv.toDoubleArray(), gv.add(rv).toDoubleArray())).isLessThan(1e-12);
            for (NDArray av : new NDArray[] {hv, gv, rv}) {
                double[][] gram = toMatrix(block.matMul(av.transpose()).toDoubleArray(), k);
                for (int a = 0; a < k; a++) {
                    for (int b = 0; b < k; b++) {
                        double scale = Math.abs(gram[a][a]) + Math.abs(gram[b][b]) + 1e-300;
                        assertThat(Math.abs(gram[a][b] - gram[b][a]) / scale).isLessThan(1e-12);
                    }
                }
            }
            double[][] g = toMatrix(block.matMul(gv.transpose()).toDoubleArray(), k);
            for (int j = 0; j < k; j++) {
                assertThat(g[j][j]).isGreaterThanOrEqualTo(0);
            }
            assertThat(products.products()).isEqualTo(3L * k);
        }
    }

    private static double[] gradientAt(Network net, DeviceData data, NDArray theta) {
        try (Network shifted = net.withParameters(theta);
                CurvatureProducts products = new CurvatureProducts(shifted, data)) {
            return products.gradient().toDoubleArray();
        }
    }

    static double[][] toMatrix(double[] flat, int k) {
        double[][] out = new double[k][k];
        for (int i = 0; i < k; i++) {
            System.arraycopy(flat, i * k, out[i], 0, k);
        }
        return out;
    }

    static double relativeError(double[] a, double[] b) {
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(diff) / Math.max(norm(b), 1e-300);
    }

    static double norm(double[] a) {
        double s = 0;
        for (double x : a) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    /** A single affine layer: f is affine in θ, so H = 0 exactly and 𝓗 = G, whatever the vectors. */
    @org.junit.jupiter.api.Test
    void theResidualOfAModelAffineInTheParametersIsExactlyZero() {
        MlpModel model = TestProblems.model("4-3", Activation.TANH, Loss.CROSS_ENTROPY, 3);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData data = DeviceData.upload(TestProblems.data(10, 4, 3, 4), 3, m, DataType.FLOAT64, 4);
                CurvatureProducts products = new CurvatureProducts(net, data)) {
            long p = net.parameterCount();
            NDArray v = m.create(TestProblems.vector(2 * p, 5), new Shape(2, p));
            double[] residual = products.apply(Curvature.RESIDUAL, v).toDoubleArray();
            assertThat(residual).containsOnly(0.0);
            double[] hessian = products.apply(Curvature.HESSIAN, v).toDoubleArray();
            double[] gaussNewton = products.apply(Curvature.GAUSS_NEWTON, v).toDoubleArray();
            assertThat(java.util.Arrays.stream(hessian).map(Math::abs).max().getAsDouble()).isGreaterThan(1e-3);
            for (int i = 0; i < hessian.length; i++) {
                assertThat(hessian[i]).isCloseTo(gaussNewton[i], org.assertj.core.data.Offset.offset(1e-14));
            }
        }
    }
}
