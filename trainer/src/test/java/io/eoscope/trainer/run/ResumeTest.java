package io.eoscope.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.io.SafetensorsFile;
import io.eoscope.curvature.io.Tensor;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.OptimizerState;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.trainer.solve.StepRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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

    /**
     * An optimizer with state, and mini-batches: 2k steps left alone equal k steps, a stop, --resume and k more steps,
     * bit for bit (trajectory, final model with the optimizer's state, the last snapshot). Adam full-batch carries m, v
     * and t; momentum on batches of 8 of N = 30 (4 batches per epoch, the last of 6) stops at k = 7, in the middle of
     * the second epoch, so the shuffle must resume at its position.
     */
    @ParameterizedTest
    @CsvSource({"adam, 0", "momentum, 8"})
    void resumedOptimizerRunEqualsUninterruptedRunBitForBit(String optimizer, int batch) throws Exception {
        int k = 7;
        RunConfig config = new RunConfig("o", "xor", null, 30, 2, 1, "2-16-16-2", "elu", "mse", 2, null, "gd", 0.01, 0.01, 0,
                1, 1e-4, 3, 2 * k, 0, 0, k, 0, "float32", "cpu", 1000, false)
                .withOptimizer(OptimizerSettings.defaults(OptimizerKind.parse("--optimizer", optimizer), 0.01),
                        batch == 0 ? null : batch);
        Path whole = dir.resolve("whole");
        TrainingRun.start(config, whole, TrainingListener.NONE);

        Path stopped = dir.resolve("stopped");
        TrainingListener stopAfterK = new TrainingListener() {
            private int steps;

            @Override
            public void stepped(StepRecord r) {
                steps++;
            }

            @Override
            public boolean stopRequested() {
                return steps == k;
            }
        };
        TrainingRun.Outcome first = TrainingRun.start(config, stopped, stopAfterK);
        assertThat(first.stoppedEarly()).isTrue();
        assertThat(first.steps()).isEqualTo(k);
        TrainingRun.Outcome second = TrainingRun.resume(stopped, TrainingListener.NONE);
        assertThat(second.steps()).isEqualTo(2 * k);

        assertThat(Files.readAllBytes(stopped.resolve("trajectory.csv"))).isEqualTo(Files.readAllBytes(whole.resolve("trajectory.csv")));
        assertThat(Files.readAllBytes(stopped.resolve("final.safetensors"))).isEqualTo(Files.readAllBytes(whole.resolve("final.safetensors")));
        String last = String.format("snapshots/step-%08d.safetensors", 2 * k);
        assertThat(Files.readAllBytes(stopped.resolve(last))).isEqualTo(Files.readAllBytes(whole.resolve(last)));

        // the snapshot holds the state, named and typed as docs/contracts.md#model-files says
        SafetensorsFile snapshot = Safetensors.read(whole.resolve(String.format("snapshots/step-%08d.safetensors", k)));
        assertThat(snapshot.metadata()).containsEntry("optimizer", optimizer).containsEntry("optimizer_step", "7")
                .containsEntry("step", "7");
        for (String buffer : OptimizerState.buffers(config.optimizerSettings().kind())) {
            Tensor t = snapshot.tensors().get(OptimizerState.tensorName(buffer, "layer2.weight"));
            assertThat(t).as(buffer).isNotNull();
            assertThat(t.dtype()).isEqualTo(DType.F32);
            assertThat(t.shape()).containsExactly(16, 16);
            assertThat(t.toDoubles()).as(buffer + " after 7 steps").satisfies(v -> assertThat(java.util.Arrays.stream(v)
                    .anyMatch(x -> x != 0)).isTrue());
        }
        List<String> rows = Files.readAllLines(whole.resolve("trajectory.csv"));
        assertThat(rows.get(0)).isEqualTo(RunDirectory.HEADER);
        if (batch > 0) {
            assertThat(snapshot.metadata()).containsEntry("batch_size", "8");
            // epoch column: 4 steps per epoch
            assertThat(rows.get(1 + 7).split(",", -1)[10]).isEqualTo("1");
            assertThat(rows.get(1 + 8).split(",", -1)[10]).isEqualTo("2");
        } else {
            assertThat(snapshot.metadata()).doesNotContainKey("batch_size").containsEntry("beta1", "0.9");
            assertThat(rows.get(1).split(",", -1)[10]).isEmpty();
        }
    }
}
