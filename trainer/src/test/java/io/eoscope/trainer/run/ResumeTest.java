package io.eoscope.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.trainer.solve.StepRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A run interrupted after its last snapshot and resumed with --resume writes the same trajectory and
 * the same final model, bit for bit, as the run left alone (θ, t and the warm-start eigenvectors are
 * all in the snapshot; the solver seeds depend on the step only).
 */
@Tag("integration")
class ResumeTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"gd", "exp-euler", "adaptive-gd"})
    void resumedRunEqualsUninterruptedRun(String solver) throws Exception {
        RunConfig config = new RunConfig("r", "synthetic", null, 48, 3, 1, "3072-16-16-3", "elu", "mse", 2, null, solver,
                0.002, 0.002, 3, 0.5, 1e-4, 2, 30, 0, 0, 10, 0, "float32", "cpu", 20, false);
        Path whole = dir.resolve("whole");
        TrainingRun.Outcome a = TrainingRun.start(config, whole, TrainingListener.NONE);
        assertThat(a.steps()).isEqualTo(30);

        Path broken = dir.resolve("broken");
        TrainingListener crashAfter24 = new TrainingListener() {
            @Override
            public void stepped(StepRecord r) {
                if (r.step() == 24) {
                    throw new IllegalStateException("simulated crash");
                }
            }
        };
        assertThatThrownBy(() -> TrainingRun.start(config, broken, crashAfter24)).hasMessage("simulated crash");
        assertThat(Files.exists(broken.resolve("final.safetensors"))).isFalse();
        assertThat(Files.readAllLines(broken.resolve("trajectory.csv"))).hasSize(1 + 25);

        TrainingRun.Outcome b = TrainingRun.resume(broken, TrainingListener.NONE);
        assertThat(b.steps()).isEqualTo(30);
        List<String> left = Files.readAllLines(whole.resolve("trajectory.csv"));
        List<String> resumed = Files.readAllLines(broken.resolve("trajectory.csv"));
        assertThat(resumed).containsExactlyElementsOf(left);
        assertThat(left).hasSize(32); // the header, 30 steps and the final state
        MlpModel x = ModelFile.read(whole.resolve("final.safetensors"));
        MlpModel y = ModelFile.read(broken.resolve("final.safetensors"));
        for (int l = 0; l < x.layers(); l++) {
            assertThat(y.weights().get(l)).containsExactly(x.weights().get(l));
        }
        assertThat(y.metadata()).containsEntry("step", "30").containsEntry("run", "r");
        assertThat(Files.list(broken.resolve("snapshots")).map(p -> p.getFileName().toString()))
                .contains("step-00000000.safetensors", "step-00000010.safetensors", "step-00000020.safetensors",
                        "step-00000030.safetensors");
    }
}
