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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Native memory stays flat over thousands of Hessian-vector products. Without the in-place detach of
 * the gradients (see GradientDetacher) every product leaks its whole double-backward graph: on this
 * network about 0.3 MB per product, 1.5 GB over the 5,000 measured here.
 */
class ProductMemoryTest {

    @Test
    void residentMemoryDoesNotGrowOverFiveThousandProducts() throws IOException {
        MlpModel model = TestProblems.model("20-64-64-10", Activation.ELU, Loss.CROSS_ENTROPY, 5);
        LabeledData data = TestProblems.data(128, 20, 10, 6);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT32);
                DeviceData dev = DeviceData.upload(data, 10, m, DataType.FLOAT32, 64);
                CurvatureProducts products = new CurvatureProducts(net, dev)) {
            long p = net.parameterCount();
            NDArray v = m.create(TestProblems.vector(p, 7), new Shape(1, p)).toType(DataType.FLOAT32, false);
            Curvature[] kinds = Curvature.values();
            for (int i = 0; i < 500; i++) { // warm-up: allocator pools and JIT settle
                run(products, kinds[i % 3], v);
            }
            long before = settledResidentKilobytes();
            long heapBefore = Runtime.getRuntime().totalMemory() / 1024;
            for (int i = 0; i < 5000; i++) {
                run(products, kinds[i % 3], v);
            }
            long rssGrowthMb = (settledResidentKilobytes() - before) / 1024;
            // RSS counts the Java heap too, and G1 grows the heap when collections look slow (a busy
            // machine): that growth is not native memory, so it is taken out
            long heapGrowthMb = Math.max(0, Runtime.getRuntime().totalMemory() / 1024 - heapBefore) / 1024;
            System.err.printf("ProductMemoryTest: RSS grew %d MB over 5,000 products, the committed Java heap %d MB%n",
                    rssGrowthMb, heapGrowthMb);
            // 5,000 leaked graphs would be > 1 GB; allocator noise is a few tens of MB at most.
            assertThat(rssGrowthMb - heapGrowthMb).as("RSS growth over 5,000 products beyond the Java heap's "
                    + "(RSS %d MB, committed heap %d MB)", rssGrowthMb, heapGrowthMb).isLessThan(64);
        }
    }

    private static void run(CurvatureProducts products, Curvature kind, NDArray v) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            products.apply(kind, v);
        }
    }

    /** glibc's {@code malloc_trim}: gives free heap pages back to the system. */
    private interface LibC extends com.sun.jna.Library {
        int malloc_trim(long pad);
    }

    /**
     * RSS after a collection (Java garbage not yet collected is not a leak) and after glibc has given
     * its free pages back: memory that was freed but kept by the allocator is not a leak either (one
     * clean-clone run measured 125 MB of such growth with only 6 MB of heap growth), while a leaked
     * graph is live memory that no trim returns.
     */
    private static long settledResidentKilobytes() throws IOException {
        System.gc();
        com.sun.jna.Native.load("c", LibC.class).malloc_trim(0);
        return residentKilobytes();
    }

    private static long residentKilobytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
