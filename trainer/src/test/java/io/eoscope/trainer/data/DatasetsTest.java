package io.eoscope.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.net.LabeledData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The datasets of docs/science.md#datasets: determinism, balance, value ranges, real files and layouts. */
class DatasetsTest {
    @TempDir
    Path dir;

    @Test
    void syntheticImagesAreDeterministicBalancedAndInRange() {
        LabeledData a = SyntheticImages.generate(5, 100, 4);
        LabeledData b = SyntheticImages.generate(5, 100, 4);
        LabeledData c = SyntheticImages.generate(6, 100, 4);
        assertThat(a.x()).containsExactly(b.x());
        assertThat(a.y()).containsExactly(b.y());
        assertThat(a.x()).isNotEqualTo(c.x());
        assertThat(a.inputWidth()).isEqualTo(3072);
        assertThat(Subsets.counts(a, 4)).containsExactly(25, 25, 25, 25);
        assertThat(Arrays.stream(a.x()).min().orElseThrow()).isGreaterThanOrEqualTo(0);
        assertThat(Arrays.stream(a.x()).max().orElseThrow()).isLessThanOrEqualTo(1);
        // classes differ more between than within: nearest-class-mean classification is near perfect
        assertThat(nearestMeanAccuracy(a, 4)).isGreaterThan(0.9);
        // a prefix of the classes is the same for more classes: templates depend on (seed, class) only
        assertThat(SyntheticImages.generate(5, 101, 4).y()).hasSize(101);
        assertThat(Subsets.counts(SyntheticImages.generate(5, 101, 4), 4)).containsExactly(26, 25, 25, 25);
    }

    @Test
    void xorLabelsFollowTheQuadrants() {
        LabeledData d = Xor2d.generate(1, 500);
        for (int i = 0; i < d.n(); i++) {
            boolean a = d.x()[2 * i] > 0.5;
            boolean b = d.x()[2 * i + 1] > 0.5;
            assertThat(d.y()[i]).isEqualTo(a != b ? 1 : 0);
        }
        assertThat(Xor2d.generate(1, 500).x()).containsExactly(d.x());
    }

    @Test
    void fashionMnistReadsThePackageFilesAsUnsignedBytes() throws Exception {
        // without the package the test is skipped with this reason; .ci/run sets EOS_REQUIRE_TOOLS, so there it fails instead
        assumeTrue(java.nio.file.Files.isDirectory(FashionMnist.DEFAULT_DIR) || System.getenv("EOS_REQUIRE_TOOLS") != null,
                "skipped: the Fashion-MNIST files are not installed (apt-get install dataset-fashion-mnist; .ci/run installs them)");
        LabeledData all = FashionMnist.read(FashionMnist.DEFAULT_DIR, true);
        assertThat(all.n()).isEqualTo(60_000);
        assertThat(all.inputWidth()).isEqualTo(784);
        assertThat(Subsets.counts(all, 10)).containsOnly(6000);
        assertThat(Arrays.stream(all.x()).max().orElseThrow()).isEqualTo(1.0); // 255 read unsigned
        assertThat(Arrays.stream(all.x()).min().orElseThrow()).isEqualTo(0.0);
        LabeledData test = FashionMnist.read(FashionMnist.DEFAULT_DIR, false);
        assertThat(test.n()).isEqualTo(10_000);
        // pixel means per class are far apart when read unsigned (signed bytes wrap bright pixels negative)
        LabeledData subset = Subsets.balanced(all, 3, 300, 7, "fashion-mnist");
        assertThat(Subsets.counts(subset, 3)).containsExactly(100, 100, 100);
        assertThat(nearestMeanAccuracy(subset, 3)).isGreaterThan(0.8);
    }

    @Test
    void fashionMnistMissingNamesThePackage() {
        assertThatThrownBy(() -> FashionMnist.read(dir, true)).isInstanceOf(InputException.class)
                .hasMessageContaining("dataset-fashion-mnist");
    }

    @Test
    void cifarBinaryLayoutIsReadFromWrittenBatches() throws Exception {
        Random r = new Random(3);
        byte[] batch = new byte[20 * 3073];
        for (int i = 0; i < 20; i++) {
            batch[i * 3073] = (byte) (i % 10);
            for (int k = 1; k < 3073; k++) {
                batch[i * 3073 + k] = (byte) r.nextInt(256);
            }
        }
        batch[1] = (byte) 255; // record 0, red channel, pixel (0, 0)
        Files.write(dir.resolve("data_batch_1.bin"), batch);
        Files.write(dir.resolve("data_batch_2.bin"), Arrays.copyOf(batch, 10 * 3073));
        LabeledData d = Cifar10.read(dir, true);
        assertThat(d.n()).isEqualTo(30);
        assertThat(d.inputWidth()).isEqualTo(3072);
        assertThat(d.x()[0]).isEqualTo(1.0);
        assertThat(d.x()[1]).isEqualTo(Byte.toUnsignedInt(batch[2]) / 255.0);
        assertThat(d.y()[13]).isEqualTo(3);
        LabeledData sub = Subsets.balanced(d, 2, 6, 1, "cifar");
        assertThat(Subsets.counts(sub, 2)).containsExactly(3, 3);
        Files.write(dir.resolve("data_batch_3.bin"), new byte[100]);
        assertThatThrownBy(() -> Cifar10.read(dir, true)).hasMessageContaining("data_batch_3.bin")
                .hasMessageContaining("3,073-byte");
        assertThatThrownBy(() -> Cifar10.read(dir.resolve("none"), true)).hasMessageContaining("not a directory");
    }

    @Test
    void balancedSubsetsAreSeededAndFailWhenAClassIsShort() throws Exception {
        LabeledData d = SyntheticImages.generate(1, 40, 4);
        LabeledData a = Subsets.balanced(d, 2, 10, 3, "s");
        LabeledData b = Subsets.balanced(d, 2, 10, 3, "s");
        assertThat(a.x()).containsExactly(b.x());
        assertThat(Subsets.counts(a, 2)).containsExactly(5, 5);
        assertThatThrownBy(() -> Subsets.balanced(d, 2, 30, 3, "s")).isInstanceOf(InputException.class)
                .hasMessageContaining("class 0 has 10 samples, 15 needed");
    }

    private static double nearestMeanAccuracy(LabeledData d, int classes) {
        double[][] mean = new double[classes][d.inputWidth()];
        int[] count = Subsets.counts(d, classes);
        for (int i = 0; i < d.n(); i++) {
            for (int k = 0; k < d.inputWidth(); k++) {
                mean[d.y()[i]][k] += d.x()[i * d.inputWidth() + k] / count[d.y()[i]];
            }
        }
        int correct = 0;
        for (int i = 0; i < d.n(); i++) {
            int best = -1;
            double bestDistance = Double.POSITIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double s = 0;
                for (int k = 0; k < d.inputWidth(); k++) {
                    double e = d.x()[i * d.inputWidth() + k] - mean[c][k];
                    s += e * e;
                }
                if (s < bestDistance) {
                    bestDistance = s;
                    best = c;
                }
            }
            correct += best == d.y()[i] ? 1 : 0;
        }
        return correct / (double) d.n();
    }
}
