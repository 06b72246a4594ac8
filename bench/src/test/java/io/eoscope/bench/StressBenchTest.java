package io.eoscope.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounded version of {@code bench/run stress} that CI runs (about 2 minutes on 2 cores): repetitions
 * in one JVM under garbage-collection churn, fresh JVMs with small heaps and MALLOC_PERTURB_, and resume
 * cycles of {@code eos train}, every result compared bit for bit with the first. The full run (200
 * repetitions) is in bench/README.md.
 */
@Tag("integration")
class StressBenchTest {
    @TempDir
    Path work;

    @Test
    void everyResultEqualsTheFirstBitForBit() throws Exception {
        StressBench.Child run = StressBench.child(work, 0, "512m", List.of("--reps", "5", "--jvms", "2",
                "--train-cycles", "2", "--arch", "784-64-64-10", "--n", "200", "--work", work.toString()),
                StressBench.class.getName());
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.err()).contains("5 repetitions in one JVM, 2 fresh JVMs, 2 resume cycles; 0 differences or failures")
                .doesNotContain("FOUND");
    }
}
