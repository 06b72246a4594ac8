package io.eoscope.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.eoscope.curvature.net.LabeledData;
import org.junit.jupiter.api.Test;

/** Preprocessing with the training subset's own statistics (docs/science.md#preprocessing), against direct computations. */
class PreprocessTest {

    /** Three samples of four features; feature 3 is constant (a blank border pixel). */
    private static final LabeledData SMALL = new LabeledData(3, 4, new double[] {
        0.0, 1.0, 0.2, 0.5,
        0.5, 1.0, 0.4, 0.5,
        1.0, 0.4, 0.9, 0.5}, new int[] {0, 1, 0});

    @Test
    void statisticsAreThePerFeatureMeanAndPopulationStandardDeviation() {
        double[][] s = Preprocess.statistics(SMALL);
        assertThat(s[0]).containsExactly(new double[] {0.5, 0.8, 0.5, 0.5}, within(1e-15));
        // σ² = E(x − μ)²: feature 0: (0.25 + 0 + 0.25)/3; feature 1: (0.04 + 0.04 + 0.16)/3; feature 2: (0.09 + 0.01 + 0.16)/3
        assertThat(s[1]).containsExactly(new double[] {Math.sqrt(0.5 / 3), Math.sqrt(0.24 / 3), Math.sqrt(0.26 / 3), 0},
                within(1e-15));
    }

    @Test
    void centerAndStandardizeGiveZeroMeansAndUnitDeviationsAndLeaveConstantFeaturesAtZero() {
        LabeledData c = Preprocess.CENTER.apply(SMALL);
        assertThat(c.x()).containsExactly(new double[] {
            -0.5, 0.2, -0.3, 0,
            0, 0.2, -0.1, 0,
            0.5, -0.4, 0.4, 0}, within(1e-15));
        LabeledData z = Preprocess.STANDARDIZE.apply(SMALL);
        double[][] s = Preprocess.statistics(z);
        assertThat(s[0]).containsExactly(new double[] {0, 0, 0, 0}, within(1e-15));
        assertThat(s[1]).containsExactly(new double[] {1, 1, 1, 0}, within(1e-14));
        assertThat(z.y()).containsExactly(SMALL.y());
        assertThat(SMALL.x()[0]).as("the input is not changed").isEqualTo(0.0);
        assertThat(Preprocess.NONE.apply(SMALL)).isSameAs(SMALL);
        assertThatThrownBy(() -> Preprocess.parse("whiten")).hasMessageContaining("--preprocess")
                .hasMessageContaining("standardize");
    }

    @Test
    void aSourceRebuildsTheSameStandardizedFashionMnistSubsetWithFiniteValues() throws Exception {
        assumeTrue(java.nio.file.Files.isDirectory(FashionMnist.DEFAULT_DIR) || System.getenv("EOS_REQUIRE_TOOLS") != null,
                "skipped: the Fashion-MNIST files are not installed (apt-get install dataset-fashion-mnist; .ci/run installs them)");
        DatasetSource source = new DatasetSource("fashion-mnist", null, 512, 4, 0, Preprocess.STANDARDIZE);
        LabeledData raw = source.loadScaled();
        LabeledData z = source.load();
        assertThat(java.util.Arrays.stream(z.x()).allMatch(Double::isFinite)).as("all values finite").isTrue();
        assertThat(java.util.Arrays.equals(source.load().x(), z.x())).as("rebuilt identically").isTrue();
        // a direct computation of one pixel's statistics over the 512 samples
        int d = 784;
        int pixel = 14 * 28 + 14;
        double sum = 0;
        for (int i = 0; i < raw.n(); i++) {
            sum += raw.x()[i * d + pixel];
        }
        double mean = sum / raw.n();
        double sq = 0;
        for (int i = 0; i < raw.n(); i++) {
            sq += Math.pow(raw.x()[i * d + pixel] - mean, 2);
        }
        double std = Math.sqrt(sq / raw.n());
        assertThat(std).as("the centre pixel varies").isGreaterThan(0.1);
        for (int i = 0; i < raw.n(); i += 37) {
            assertThat(z.x()[i * d + pixel]).isCloseTo((raw.x()[i * d + pixel] - mean) / std, within(1e-12));
        }
    }
}
