package io.eoscope.curvature.alignment;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.testing.TestProblems;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The cost of {@link ExactGaussNewtonTrace#compute} against one full-dataset gradient on the benchmark shape
 * (784-512-512-10, N = 1000, float32, one chunk of 1000), as wall-clock medians. A measurement, not a check: it runs only
 * with {@code -Deos.timing=true} (and {@code -Deos.timing.gpu=true} for the first GPU).
 */
@EnabledIfSystemProperty(named = "eos.timing", matches = "true")
class ExactGaussNewtonTraceTiming {

    @Test
    void traceAgainstOneGradient() {
        MlpModel model = TestProblems.model("784-512-512-10", Activation.RELU, Loss.CROSS_ENTROPY, 5);
        LabeledData data = TestProblems.data(1000, 784, 10, 6);
        Device device = Boolean.getBoolean("eos.timing.gpu") ? Device.gpu() : Device.cpu();
        int repeats = Integer.getInteger("eos.timing.repeats", 7);
        try (NDManager m = NDManager.newBaseManager(device);
                Network net = Network.upload(model, m, DataType.FLOAT32);
                DeviceData dev = DeviceData.upload(data, 10, m, DataType.FLOAT32, 1000);
                CurvatureProducts products = new CurvatureProducts(net, dev)) {
            double[] trace = new double[repeats];
            double[] gradient = new double[repeats];
            GaussNewtonTrace result = null;
            for (int r = -2; r < repeats; r++) { // two warm-up rounds
                long t0 = System.nanoTime();
                result = ExactGaussNewtonTrace.compute(net, dev, 1000);
                long t1 = System.nanoTime();
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray g = products.gradient();
                    HostArrays.scalar(g.get(0)); // waits for the device
                }
                long t2 = System.nanoTime();
                if (r >= 0) {
                    trace[r] = (t1 - t0) / 1e6;
                    gradient[r] = (t2 - t1) / 1e6;
                }
            }
            Arrays.sort(trace);
            Arrays.sort(gradient);
            System.out.printf("device %s: tr(G) = %.6g (layers %s, %d gradient equivalents) in %.1f ms median "
                    + "(min %.1f, max %.1f); one gradient %.1f ms median (min %.1f, max %.1f); ratio %.2f%n", device,
                    result.total(), Arrays.toString(result.layers()), result.gradientEquivalents(), trace[repeats / 2],
                    trace[0], trace[repeats - 1], gradient[repeats / 2], gradient[0], gradient[repeats - 1],
                    trace[repeats / 2] / gradient[repeats / 2]);
            assertThat(result.total()).isPositive();
        }
    }
}
