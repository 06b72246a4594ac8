package io.eoscope.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.curvature.io.ModelFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stopping by continuous time and by loss, snapshots every Δt, and --strict on a loss increase. */
@Tag("integration")
class StoppingRulesTest {
    @TempDir
    Path dir;

    static RunConfig config(String solver, double lr, long steps, double untilTime, double untilLoss, long every, double dt,
            boolean strict) {
        return new RunConfig("s", "xor", null, 32, 2, 1, "2-16-16-2", "elu", "mse", 2, null, solver, lr, lr, 0, 1, 1e-4, 1,
                steps, untilTime, untilLoss, every, dt, "float32", "cpu", 1000, strict);
    }

    @Test
    void untilTimeStopsAtTheFirstStepPastItAndSnapshotsFollowContinuousTime() throws Exception {
        TrainingRun.Outcome o = TrainingRun.start(config("gd", 0.03, 0, 1.0, 0, 0, 0.25, false), dir.resolve("t"), TrainingListener.NONE);
        assertThat(o.time()).isGreaterThanOrEqualTo(1.0).isLessThan(1.0 + 0.03 + 1e-9);
        assertThat(o.steps()).isEqualTo(34); // ⌈1.0 / 0.03⌉
        List<Double> times = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir.resolve("t/snapshots"))) {
            for (Path p : files.filter(f -> !f.toString().contains(".eigen.")).sorted().toList()) {
                times.add(Double.parseDouble(ModelFile.read(p).metadata().get("time")));
            }
        }
        // t = 0, then the first step at or past each multiple of Δt = 0.25
        assertThat(times).hasSize(5);
        for (int k = 1; k < times.size(); k++) {
            assertThat(times.get(k)).isGreaterThanOrEqualTo(0.25 * k - 1e-9).isLessThan(0.25 * k + 0.03);
        }
    }

    @Test
    void snapshotAtEdgeCapturesTheStepAfterTheSharpnessFirstReachesTwoOverEta() throws Exception {
        double lr = 0.05;
        RunConfig c = new RunConfig("s", "xor", null, 32, 2, 1, "2-16-16-2", "elu", "mse", 2, null, "gd", lr, lr, 0, 1, 1e-4,
                3, 600, 0, 0, 1000, 0, "float32", "cpu", 1000, false, null, null, null, null, null, null, null, null, null, true);
        TrainingRun.start(c, dir.resolve("e"), TrainingListener.NONE);
        long first = -1;
        for (String row : Files.readAllLines(dir.resolve("e/trajectory.csv")).subList(1, 600)) {
            String[] f = row.split(",", -1);
            if (!f[5].isEmpty() && Double.parseDouble(f[5]) >= 2 / lr) {
                first = Long.parseLong(f[0]);
                break;
            }
        }
        assertThat(first).as("this run reaches its edge (2/η = 40) within 600 steps").isPositive();
        assertThat(first % 3).as("the sharpness is estimated every 3 steps").isZero();
        List<Long> steps = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir.resolve("e/snapshots"))) {
            for (Path p : files.filter(f -> !f.toString().contains(".eigen.")).sorted().toList()) {
                steps.add(Long.parseLong(ModelFile.read(p).metadata().get("step")));
            }
        }
        // the initial state, the state one step after the first estimate at or above 2/η, and nothing else before 1000
        assertThat(steps).containsExactly(0L, first + 1);
        assertThatThrownBy(() -> new RunConfig("s", "xor", null, 32, 2, 1, "2-16-16-2", "elu", "mse", 2, null, "gd", lr, lr, 0,
                1, 1e-4, 0, 600, 0, 0, 1000, 0, "float32", "cpu", 1000, false, null, null, null, null, null, null, null, null,
                null, true)).hasMessageStartingWith("--snapshot-at-edge needs --solver gd with full-batch gd, momentum or nesterov");
        assertThatThrownBy(() -> c.withOptimizer(io.eoscope.curvature.optim.OptimizerSettings.defaults(
                io.eoscope.curvature.optim.OptimizerKind.ADAM, 1e-3), null))
                .hasMessageStartingWith("--snapshot-at-edge needs --solver gd with full-batch gd, momentum or nesterov");
    }

    @Test
    void untilLossStopsWhenTheLossFallsThatLow() throws Exception {
        TrainingRun.Outcome o = TrainingRun.start(config("gd", 0.03, 5000, 0, 0.4, 100, 0, false), dir.resolve("l"), TrainingListener.NONE);
        List<String> rows = Files.readAllLines(dir.resolve("l/trajectory.csv"));
        // the last row is the final state (one step past the state whose loss met the rule); before it, the step
        // rows: the last one met the rule, the one before it did not
        String[] last = rows.get(rows.size() - 1).split(",", -1);
        assertThat(Long.parseLong(last[0])).isEqualTo(o.steps());
        assertThat(Double.parseDouble(last[2])).isEqualTo(o.loss());
        double met = Double.parseDouble(rows.get(rows.size() - 2).split(",")[2]);
        double before = Double.parseDouble(rows.get(rows.size() - 3).split(",")[2]);
        assertThat(met).isLessThanOrEqualTo(0.4);
        assertThat(before).isGreaterThan(0.4);
        assertThat(o.steps()).isLessThan(5000);
    }

    @Test
    void lossIncreaseWarnsOrWithStrictStops() {
        LossMonitor lenient = new LossMonitor(false);
        assertThat(lenient.observe(0, 1.0)).isEmpty();
        assertThat(lenient.observe(1, 0.9)).isEmpty();
        assertThat(lenient.observe(2, 0.95)).hasValueSatisfying(w -> assertThat(w)
                .contains("the loss increased under exponential Euler at step 2 (0.900000 -> 0.950000)"));
        assertThat(lenient.observe(3, 0.95)).isEmpty();
        LossMonitor strict = new LossMonitor(true);
        strict.observe(0, 1.0);
        assertThatThrownBy(() -> strict.observe(1, 1.5)).isInstanceOf(TrainingRun.LossIncreased.class)
                .hasMessageContaining("stopped by --strict");
    }

    @Test
    void exponentialEulerNeverWarnsOnASmoothProblem() throws Exception {
        List<String> warnings = new ArrayList<>();
        TrainingRun.start(config("exp-euler", 5.0, 30, 0, 0, 100, 0, true), dir.resolve("w"), new TrainingListener() {
            @Override
            public void warning(String message) {
                warnings.add(message);
            }
        });
        assertThat(warnings).isEmpty();
    }
}
