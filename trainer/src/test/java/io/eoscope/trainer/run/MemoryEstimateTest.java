package io.eoscope.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.curvature.io.InputException;
import org.junit.jupiter.api.Test;

/** Runs too large for the machine are refused up front, naming the option; ordinary runs pass. */
class MemoryEstimateTest {
    private static final long GB = 1_000_000_000L;

    private static RunConfig config(String dataset, int n, int classes, String arch) {
        String dataDir = dataset.equals("cifar10") ? "cifar-10-batches-bin" : null; // read only when training starts
        return new RunConfig("r", dataset, dataDir, n, classes, 0, arch, "elu", "mse", 0, null, "gd", 0.01, 0.01, 0, 0.1,
                1e-4, 1, 10, 0, 0, 5, 0, "float32", "cpu", 1000, false);
    }

    private static void check(RunConfig c, long heap, long nat) throws InputException {
        MemoryEstimate.of(c).check(c, heap, nat);
    }

    @Test
    void hugeDatasetsAreRefusedNamingN() {
        // 1e8 synthetic images of 3072 values: 1.2 TB encoded, more than a Java array
        assertThatThrownBy(() -> check(config("synthetic", 100_000_000, 4, "3072-64-64-4"), 6 * GB, 16 * GB))
                .isInstanceOf(InputException.class).hasMessageStartingWith("--n 100000000: the dataset would be 3.07e+11 values");
        // Integer.MAX_VALUE samples (its N × d overflowed an int before: "internal error")
        assertThatThrownBy(() -> check(config("xor", Integer.MAX_VALUE, 2, "2-8-2"), 6 * GB, 16 * GB))
                .isInstanceOf(InputException.class).hasMessageStartingWith("--n 2147483647: ");
        // 1e8 XOR points fit in an array but not in a 1 GB heap: 8·2e8 + 4e8 + 3·4·2e8 bytes
        assertThatThrownBy(() -> check(config("xor", 100_000_000, 2, "2-8-2"), 1 * GB, 16 * GB))
                .isInstanceOf(InputException.class).hasMessageStartingWith("--n 100000000: the run needs about 4.40 GB of Java heap");
    }

    @Test
    void hugeNetworksAreRefusedNamingArch() {
        assertThatThrownBy(() -> check(config("xor", 64, 2, "2-1000000000-2"), 6 * GB, 16 * GB))
                .isInstanceOf(InputException.class).hasMessageStartingWith("--arch 2-1000000000-2: ");
        // 2-20000-20000-2: 4e8 parameters, 1.6 GB as F32 (fits one array) but 24·P = 9.6 GB of heap
        assertThatThrownBy(() -> check(config("xor", 64, 2, "2-20000-20000-2"), 6 * GB, 64 * GB))
                .isInstanceOf(InputException.class).hasMessageStartingWith("--arch 2-20000-20000-2: the run needs about");
        // 2-4000-4000-2: 1.6e7 parameters; 6 GB heap is enough, but the Lanczos basis (64·4·P = 4.1 GB) is not in 2 GB
        assertThatThrownBy(() -> check(config("xor", 64, 2, "2-4000-4000-2"), 6 * GB, 2 * GB))
                .isInstanceOf(InputException.class).hasMessageContaining("of native memory for libtorch")
                .hasMessageStartingWith("--arch 2-4000-4000-2: ");
    }

    @Test
    void ordinaryRunsPass() {
        assertThatCode(() -> check(config("synthetic", 256, 4, "3072-64-64-4"), 256_000_000L, 1 * GB)).doesNotThrowAnyException();
        assertThatCode(() -> check(config("xor", 64, 2, "2-32-32-2"), 64_000_000L, 100_000_000L)).doesNotThrowAnyException();
        // the paper's network on CIFAR-10 sized data: 3072-512×5-10 on 5000 samples
        assertThatCode(() -> check(config("cifar10", 5000, 10, "3072-512-512-512-512-512-10"), 4 * GB, 8 * GB))
                .doesNotThrowAnyException();
        assertThatCode(() -> MemoryEstimate.check(config("synthetic", 256, 4, "3072-64-64-4"))).doesNotThrowAnyException();
    }
}
