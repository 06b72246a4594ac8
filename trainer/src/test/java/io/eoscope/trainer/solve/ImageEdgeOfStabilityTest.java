package io.eoscope.trainer.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.Init;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.trainer.data.DatasetSource;
import io.eoscope.trainer.data.FashionMnist;
import io.eoscope.trainer.data.Preprocess;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Claim 1 (docs/science.md#the-papers-claims) on real images: full-batch GD on the Fashion-MNIST files of the Debian package
 * (the first 4 classes, N = 512, standardized per pixel), 784-128-128-4 ELU, MSE, η = 0.02 (2/η = 100),
 * PyTorch's default initialisation. The sharpness starts far below 2/η, rises to it and hovers there:
 * its largest value at least 0.9·2/η and its median over the second half within 15% of 2/η.
 */
class ImageEdgeOfStabilityTest {

    @Test
    void onFashionMnistGdSharpnessRisesToTwoOverEtaAndHovers() throws Exception {
        assumeTrue(java.nio.file.Files.isDirectory(FashionMnist.DEFAULT_DIR) || System.getenv("EOS_REQUIRE_TOOLS") != null,
                "skipped: the Fashion-MNIST files are not installed (apt-get install dataset-fashion-mnist; .ci/run installs them)");
        double eta = 0.02;
        int steps = 1000;
        int every = 5;
        LabeledData data = new DatasetSource("fashion-mnist", null, 512, 4, 0, Preprocess.STANDARDIZE).load();
        MlpModel model = MlpModel.initialise(new int[] {784, 128, 128, 4}, Activation.ELU, Loss.MSE, Init.PYTORCH, 0);
        List<double[]> sharpness = new ArrayList<>(); // (step, λmax)
        try (NDManager m = NDManager.newBaseManager();
                DeviceData dev = DeviceData.upload(data, 4, m, DataType.FLOAT32, 512);
                Trainer trainer = new Trainer(model, dev, m, DataType.FLOAT32,
                        new SolverSettings(SolverKind.GD, eta, 0.01, 0, 1, 1e-4, every, 0), 0, 0, null)) {
            for (int i = 0; i < steps; i++) {
                StepRecord r = trainer.step();
                if (!Double.isNaN(r.sharpness())) {
                    sharpness.add(new double[] {r.step(), r.sharpness()});
                }
            }
        }
        double edge = 2 / eta;
        System.err.printf("ImageEdgeOfStabilityTest: sharpness %.1f at step 0, %s%n", sharpness.get(0)[1],
                sharpness.stream().filter(s -> s[0] % 100 == 0).map(s -> String.format("%.0f@%.0f", s[1], s[0])).toList());
        assertThat(sharpness.get(0)[1]).as("initial sharpness, far below 2/η").isLessThan(0.6 * edge);
        assertThat(sharpness.stream().mapToDouble(s -> s[1]).max().orElseThrow()).as("largest sharpness")
                .isGreaterThanOrEqualTo(0.9 * edge);
        double[] late = sharpness.stream().filter(s -> s[0] >= steps / 2).mapToDouble(s -> s[1]).sorted().toArray();
        double median = late.length % 2 == 1 ? late[late.length / 2] : (late[late.length / 2 - 1] + late[late.length / 2]) / 2;
        assertThat(Math.abs(median - edge) / edge).as("second-half median sharpness %s against 2/η = %s", median, edge)
                .isLessThan(0.15);
    }
}
