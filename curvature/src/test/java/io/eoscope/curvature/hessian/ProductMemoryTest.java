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
import io.eoscope.curvature.net.ScriptedModel;
import io.eoscope.curvature.testing.TorchScriptFixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Native memory stays flat over thousands of Hessian-vector products. Without the in-place detach of
 * the gradients (see GradientDetacher) every product leaks its whole double-backward graph: on this
 * network about 0.3 MB per product, 1.5 GB over the 5,000 measured here.
 *
 * <p>What is measured is the native memory in use: glibc's {@code mallinfo2}, bytes handed out by
 * {@code malloc} and not yet freed (LibTorch's CPU allocator takes its tensors from {@code malloc}).
 * Resident memory is printed too, but not judged: it also grows when the JVM first touches pages of
 * its already committed heap, compiles code or keeps freed pages, none of which is a leak (clean-clone
 * runs measured 112 and 125 MB of such growth with a flat committed heap).
 */
@Tag("integration")
class ProductMemoryTest {

    @Test
    void nativeMemoryInUseDoesNotGrowOverFiveThousandProducts() throws IOException {
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
            System.gc();
            long before = mallocInUseBytes();
            long rssBefore = residentKilobytes();
            for (int i = 0; i < 5000; i++) {
                run(products, kinds[i % 3], v);
            }
            System.gc(); // Java garbage not yet collected is not a leak
            long growthMb = (mallocInUseBytes() - before) >> 20;
            long rssGrowthMb = (residentKilobytes() - rssBefore) / 1024;
            System.err.printf("ProductMemoryTest: native memory in use grew %d MB over 5,000 products (RSS %d MB)%n",
                    growthMb, rssGrowthMb);
            // 5,000 leaked graphs would be > 1 GB; allocator and JIT noise is a few MB at most.
            assertThat(growthMb).as("native memory in use (malloc), growth over 5,000 products in MB; RSS grew %d MB",
                    rssGrowthMb).isLessThan(64);
        }
    }

    /**
     * Chunks of 8 of the 16 samples: the graph is built per product. One chunk of 16: it is kept between the products of
     * one operator and rebuilt when the operator changes; the kinds alternate in runs of 10 to exercise both.
     */
    @ParameterizedTest
    @ValueSource(ints = {8, 16})
    void aTorchScriptModulesProductsDoNotGrowNativeMemoryEither(int chunk) {
        TorchScriptFixtures f = TorchScriptFixtures.load("cnn");
        try (NDManager m = NDManager.newBaseManager();
                ScriptedModel model = ScriptedModel.load(f.module(), f.parameters(), m);
                DeviceData dev = DeviceData.upload(f.data(), 3, m, model.dataType(), chunk);
                CurvatureProducts products = new CurvatureProducts(model, dev)) {
            long p = model.parameterCount();
            NDArray v = m.create(TestProblems.vector(p, 7), new Shape(1, p));
            Curvature[] kinds = Curvature.values();
            for (int i = 0; i < 300; i++) {
                run(products, kinds[i / 10 % 3], v);
            }
            System.gc();
            long before = mallocInUseBytes();
            for (int i = 0; i < 3000; i++) {
                run(products, kinds[i / 10 % 3], v);
            }
            products.releaseGraph();
            System.gc();
            long growthMb = (mallocInUseBytes() - before) >> 20;
            System.err.printf("ProductMemoryTest: TorchScript CNN in chunks of %d, native memory in use grew %d MB over 3,000 "
                    + "products%n", chunk, growthMb);
            // a leaked double-backward graph of this CNN on 16 samples is about 0.1 MB: 3,000 would be 300 MB
            assertThat(growthMb).as("native memory in use (malloc), growth over 3,000 TorchScript products in MB").isLessThan(32);
        }
    }

    private static void run(CurvatureProducts products, Curvature kind, NDArray v) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            products.apply(kind, v);
        }
    }

    /** glibc's {@code mallinfo2} (glibc 2.33 and later), summed over all arenas. */
    private interface LibC extends com.sun.jna.Library {
        MallInfo2.ByValue mallinfo2();
    }

    /** {@code struct mallinfo2}: ten {@code size_t} fields. */
    @com.sun.jna.Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost"})
    public static class MallInfo2 extends com.sun.jna.Structure {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd; // bytes in blocks mmap-ed by malloc (large tensors)
        public long usmblks;
        public long fsmblks;
        public long uordblks; // bytes in use in the arenas
        public long fordblks;
        public long keepcost;

        public static class ByValue extends MallInfo2 implements com.sun.jna.Structure.ByValue {
        }
    }

    /** Bytes that {@code malloc} has handed out and that are not yet freed. */
    private static long mallocInUseBytes() {
        MallInfo2 info = com.sun.jna.Native.load("c", LibC.class).mallinfo2();
        return info.uordblks + info.hblkhd;
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
