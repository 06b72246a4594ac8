package io.eoscope.curvature.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.eoscope.curvature.net.DifferentiableModel.ParameterGroup;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** P of docs/science.md#other-optimizers entry by entry, and the state it refuses. */
class PreconditionerTest {
    private static final List<ParameterGroup> RANGES = List.of(new ParameterGroup("b", 0, 2), new ParameterGroup("a", 2, 3));

    @Test
    void rmspropAndAdamEntriesInTheOrderOfTheta() {
        Map<String, double[]> rms = Map.of("optimizer.square_avg.a", new double[] {4}, "optimizer.square_avg.b", new double[] {0, 9});
        OptimizerSettings r = new OptimizerSettings(OptimizerKind.RMSPROP, 0.1, 0, 0.9, 0.99, 1e-3, 0);
        assertThat(Preconditioner.of(r, 5, rms, RANGES).diagonal()).containsExactly(1e-3, 3.001, 2.001);
        Map<String, double[]> adam = Map.of("optimizer.exp_avg_sq.a", new double[] {4}, "optimizer.exp_avg_sq.b", new double[] {0, 9});
        OptimizerSettings a = new OptimizerSettings(OptimizerKind.ADAM, 0.1, 0, 0.5, 0.75, 1e-3, 0);
        double[] p = Preconditioner.of(a, 2, adam, RANGES).diagonal(); // 1−β1² = 0.75, 1−β2² = 0.4375
        assertThat(p[0]).isCloseTo(0.75 * 1e-3, within(1e-18));
        assertThat(p[1]).isCloseTo(0.75 * (Math.sqrt(9 / 0.4375) + 1e-3), within(1e-15));
        assertThat(p[2]).isCloseTo(0.75 * (Math.sqrt(4 / 0.4375) + 1e-3), within(1e-15));
        assertThat(Preconditioner.of(a, 2, adam, RANGES).inverseSqrt()[2]).isCloseTo(1 / Math.sqrt(p[2]), within(1e-15));
    }

    @Test
    void missingWrongSizeNegativeStateAndAdamBeforeItsFirstStepAreRefused() {
        OptimizerSettings adam = OptimizerSettings.defaults(OptimizerKind.ADAM, 0.1);
        Map<String, double[]> good = Map.of("optimizer.exp_avg_sq.a", new double[] {4}, "optimizer.exp_avg_sq.b", new double[] {0, 9});
        assertThatThrownBy(() -> Preconditioner.of(adam, 0, good, RANGES)).hasMessage("field 'optimizer_step' must be ≥ 1 for adam"
                + " (its bias correction 1−β1ᵗ is 0 before the first step: P is undefined), got 0");
        assertThatThrownBy(() -> Preconditioner.of(adam, 3, Map.of("optimizer.exp_avg_sq.a", new double[] {4}), RANGES))
                .hasMessage("no state tensor 'optimizer.exp_avg_sq.b': adam needs exp_avg_sq of every parameter for its preconditioner");
        assertThatThrownBy(() -> Preconditioner.of(adam, 3, Map.of("optimizer.exp_avg_sq.a", new double[] {4},
                "optimizer.exp_avg_sq.b", new double[] {1}), RANGES))
                .hasMessage("state tensor 'optimizer.exp_avg_sq.b' has 1 values, but parameter 'b' has 2");
        assertThatThrownBy(() -> Preconditioner.of(adam, 3, Map.of("optimizer.exp_avg_sq.a", new double[] {-4},
                "optimizer.exp_avg_sq.b", new double[] {1, 1}), RANGES)).hasMessageContaining("holds -4.0 at flat index 0");
        assertThatThrownBy(() -> Preconditioner.of(OptimizerSettings.gd(0.1), 3, good, RANGES))
                .hasMessage("--optimizer gd has no preconditioner (only rmsprop, adam and adamw)");
        OptimizerSettings rms = OptimizerSettings.defaults(OptimizerKind.RMSPROP, 0.1);
        assertThatThrownBy(() -> Preconditioner.of(rms, 3, good, RANGES)).hasMessageContaining("no state tensor 'optimizer.square_avg.b'");
    }
}
