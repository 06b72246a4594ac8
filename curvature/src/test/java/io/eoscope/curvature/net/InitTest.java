package io.eoscope.curvature.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The two initialisations of docs/science.md#initialisation as distributions, on a 784-128 layer (100,352 weights):
 * mean, variance and bounds, each within five standard errors of its sample estimate.
 */
class InitTest {
    private static final int[] WIDTHS = {784, 128, 4};

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElseThrow();
    }

    private static double variance(double[] v) {
        double m = mean(v);
        return Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / v.length;
    }

    @Test
    void xavierIsNormalWithGainRootTwoAndZeroBiases() {
        MlpModel m = MlpModel.initialise(WIDTHS, Activation.ELU, Loss.MSE, Init.XAVIER, 3);
        double[] w = m.weights().get(0);
        double var = 2.0 * 2.0 / (784 + 128); // (√2·√(2/(fan_in + fan_out)))²
        assertThat(mean(w)).isCloseTo(0, within(5 * Math.sqrt(var / w.length)));
        // the variance of a normal sample's variance is 2σ⁴/n
        assertThat(variance(w)).isCloseTo(var, within(5 * var * Math.sqrt(2.0 / w.length)));
        assertThat(Arrays.stream(w).map(Math::abs).max().orElseThrow()).as("a normal, not a uniform: tails past √3σ")
                .isGreaterThan(Math.sqrt(3 * var));
        assertThat(m.biases().get(0)).containsOnly(0.0);
        assertThat(m.metadata()).containsEntry("init", "xavier");
        // the default is xavier, drawn from the same seed identically
        assertThat(MlpModel.initialise(WIDTHS, Activation.ELU, Loss.MSE, 3).weights().get(1)).containsExactly(m.weights().get(1));
    }

    @Test
    void pytorchIsUniformInPlusMinusOneOverRootFanInForWeightsAndBiases() {
        MlpModel m = MlpModel.initialise(WIDTHS, Activation.ELU, Loss.MSE, Init.PYTORCH, 3);
        for (int l = 0; l < 2; l++) {
            double bound = 1 / Math.sqrt(WIDTHS[l]);
            double[] w = m.weights().get(l);
            double[] b = m.biases().get(l);
            assertThat(Arrays.stream(w).map(Math::abs).max().orElseThrow()).isLessThan(bound);
            assertThat(Arrays.stream(b).map(Math::abs).max().orElseThrow()).isLessThan(bound);
            double var = bound * bound / 3; // U(−a, a) has variance a²/3
            assertThat(mean(w)).isCloseTo(0, within(5 * Math.sqrt(var / w.length)));
            // a uniform sample's variance has variance (a⁴/5 − a⁴/9)/n = 4a⁴/(45n)
            assertThat(variance(w)).isCloseTo(var, within(5 * Math.sqrt(4 * Math.pow(bound, 4) / 45 / w.length)));
            assertThat(Arrays.stream(w).map(Math::abs).max().orElseThrow()).as("the range is used").isGreaterThan(0.99 * bound);
            assertThat(variance(b)).as("biases drawn, not zero").isGreaterThan(0);
        }
        assertThat(m.metadata()).containsEntry("init", "pytorch");
        assertThat(MlpModel.initialise(WIDTHS, Activation.ELU, Loss.MSE, Init.PYTORCH, 3).weights().get(0))
                .as("deterministic in the seed").containsExactly(m.weights().get(0));
    }

    @Test
    void unknownSchemesAreRefusedNamingTheOption() {
        assertThat(Init.parse("PyTorch")).isEqualTo(Init.PYTORCH);
        assertThatThrownBy(() -> Init.parse("kaiming")).hasMessageContaining("--init").hasMessageContaining("xavier")
                .hasMessageContaining("pytorch");
    }
}
