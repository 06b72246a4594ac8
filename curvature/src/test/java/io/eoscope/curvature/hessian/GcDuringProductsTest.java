package io.eoscope.curvature.hessian;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.testing.TestProblems;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The root cause of the wrong sharpness (0, or a scaled value) once printed by the benchmark and of the
 * resumed run that lost an update: DJL's {@code mul(double)} wraps the number in a temporary array over
 * a direct buffer that it closes at once, while autograd keeps that array in the graph and reads it at
 * backward time. A garbage collection in between frees the buffer; a new direct buffer reuses the
 * memory; the gradient comes out scaled by whatever is there (0 when the new buffer was zero-filled).
 */
@Tag("integration")
class GcDuringProductsTest {

    /** The mechanism itself, on DJL directly: the graph reads the freed scalar at backward time. */
    @Test
    void djlMulByANumberLeavesAFreedScalarInTheGraph() throws Exception {
        int wrong = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            for (int rep = 0; rep < 20; rep++) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray x = HostArrays.upload(m, new double[] {1, 2, 3}, new Shape(3), DataType.FLOAT64);
                    x.setRequiresGradient(true);
                    JniUtils.setGradMode(true);
                    try {
                        NDArray y = x.mul(x).sum().mul(0.5); // DJL: a temporary 0.5 over a direct buffer, closed
                        reuseFreedDirectMemory(42.0);
                        try (NDArray ones = y.onesLike()) {
                            JniUtils.backward((PtNDArray) y, (PtNDArray) ones, false, false);
                        }
                    } finally {
                        JniUtils.setGradMode(false);
                    }
                    if (HostArrays.download(x.getGradient())[0] != 1.0) {
                        wrong++;
                    }
                }
            }
        }
        // if this ever fails, DJL has fixed mul(Number): HostArrays.constant is then merely harmless
        assertThat(wrong).as("gradients of 0.5·Σx² that read the freed 0.5").isPositive();
    }

    /**
     * The engine's products and gradients do not depend on the garbage collector: computed again and
     * again while another thread collects and fills freed direct memory with 42.0, every result equals
     * the first bit for bit.
     */
    @Test
    void productsAndGradientsAreBitIdenticalUnderCollectionsThatReuseFreedMemory() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        Thread churn = new Thread(() -> {
            while (running.get()) {
                reuseFreedDirectMemory(42.0);
            }
        });
        churn.setDaemon(true);
        try (NDManager m = NDManager.newBaseManager();
                Network network = Network.upload(TestProblems.model("5-16-16-3", Activation.ELU, Loss.CROSS_ENTROPY, 4),
                        m, DataType.FLOAT32);
                DeviceData data = DeviceData.upload(TestProblems.data(40, 5, 3, 5), 3, m, DataType.FLOAT32, 16);
                CurvatureProducts products = new CurvatureProducts(network, data)) {
            NDArray v = HostArrays.upload(m, TestProblems.vector(network.parameterCount(), 6),
                    new Shape(1, network.parameterCount()), DataType.FLOAT32);
            double[] gradient = once(products::gradient);
            double[] hvp = once(() -> products.apply(Curvature.HESSIAN, v));
            double[] gv = once(() -> products.apply(Curvature.GAUSS_NEWTON, v));
            churn.start();
            for (int rep = 0; rep < 100; rep++) {
                assertThat(once(products::gradient)).as("gradient, repetition %d", rep).containsExactly(gradient);
                assertThat(once(() -> products.apply(Curvature.HESSIAN, v))).as("𝓗v, repetition %d", rep)
                        .containsExactly(hvp);
                assertThat(once(() -> products.apply(Curvature.GAUSS_NEWTON, v))).as("Gv, repetition %d", rep)
                        .containsExactly(gv);
            }
        } finally {
            running.set(false);
            churn.join();
        }
    }

    private static double[] once(java.util.function.Supplier<NDArray> product) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            return HostArrays.download(product.get());
        }
    }

    /** A collection (which frees unreachable direct buffers), then many small direct buffers holding {@code fill}. */
    private static void reuseFreedDirectMemory(double fill) {
        for (int i = 0; i < 2; i++) {
            System.gc();
            try {
                Thread.sleep(5); // the cleaner frees collected direct buffers on its own thread
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        List<ByteBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
            b.putDouble(0, fill);
            buffers.add(b);
        }
    }
}
