package io.eoscope.curvature.hessian;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.testing.TestProblems;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tangent route (Pearlmutter's R-operator, {@link TangentProducts}) against the double-backward reference
 * route, in float64, for every activation and both losses, with blocks of several vectors, several chunks, and
 * with and without the cached forward state. Finite differences check the default route in
 * {@link CurvatureProductsTest}, which now takes this one.
 */
class TangentProductsTest {

    @ParameterizedTest
    @MethodSource("io.eoscope.curvature.hessian.CurvatureProductsTest#cases")
    void everyProductEqualsTheDoubleBackwardReference(String arch, Activation act, Loss loss) {
        MlpModel model = TestProblems.model(arch, act, loss, 21);
        LabeledData data = TestProblems.data(11, model.inputWidth(), model.classes(), 22);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, DataType.FLOAT64, 4); // chunks of 4, 4, 3
                CurvatureProducts tangent = new CurvatureProducts(net, dev);
                CurvatureProducts reference = new CurvatureProducts(net, dev, CurvatureProducts.Route.DOUBLE_BACKWARD);
                TangentProducts uncached = new TangentProducts(net, dev, m, 0)) {
            assertThat(tangent.route()).isEqualTo("tangent");
            assertThat(reference.route()).isEqualTo("double_backward");
            assertThat(uncached.caching()).isFalse();
            long p = net.parameterCount();
            NDArray block = m.create(TestProblems.vector(3 * p, 23), new Shape(3, p));
            for (int repeat = 0; repeat < 2; repeat++) { // the second time from the cached forward state
                for (Curvature kind : Curvature.values()) {
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        double[] want = reference.apply(kind, block).toDoubleArray();
                        double[] got = tangent.apply(kind, block).toDoubleArray();
                        double[] recomputed = uncached.apply(kind, block).toDoubleArray();
                        assertThat(TestProblems.relativeError(got, want)).as("%s %s, tangent against double backward", arch, kind)
                                .isLessThan(1e-12);
                        assertThat(TestProblems.relativeError(recomputed, want)).as("%s %s, without the cache", arch, kind)
                                .isLessThan(1e-12);
                    }
                }
            }
        }
    }

    /** Diagonal blocks of one layer and of two adjacent layers, by passes restricted to them. */
    @ParameterizedTest
    @MethodSource("io.eoscope.curvature.hessian.CurvatureProductsTest#cases")
    void layerBlocksEqualTheDoubleBackwardReference(String arch, Activation act, Loss loss) {
        MlpModel model = TestProblems.model(arch, act, loss, 31);
        LabeledData data = TestProblems.data(10, model.inputWidth(), model.classes(), 32);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, DataType.FLOAT64, 6);
                CurvatureProducts tangent = new CurvatureProducts(net, dev);
                CurvatureProducts reference = new CurvatureProducts(net, dev, CurvatureProducts.Route.DOUBLE_BACKWARD)) {
            var groups = net.groups();
            for (int lo = 0; lo < groups.size(); lo++) {
                for (int hi = lo; hi < Math.min(groups.size(), lo + 2); hi++) {
                    long from = groups.get(lo).from();
                    long to = groups.get(hi).to();
                    NDArray block = m.create(TestProblems.vector(2 * (to - from), 33 + lo), new Shape(2, to - from));
                    for (Curvature kind : Curvature.values()) {
                        try (NDScope scope = new NDScope()) {
                            scope.suppressNotUsedWarning();
                            double[] want = reference.applyBlock(kind, block, from, to).toDoubleArray();
                            double[] got = tangent.applyBlock(kind, block, from, to).toDoubleArray();
                            assertThat(TestProblems.relativeError(got, want)).as("%s %s, layers %d..%d", arch, kind, lo + 1, hi + 1)
                                    .isLessThan(1e-12);
                        }
                    }
                }
            }
        }
    }
}
