package io.eoscope.trainer.solve;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.trainer.data.Xor2d;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Claim 1 (docs/science.md#the-papers-claims) at CI size: full-batch GD on XOR-2D (N = 64, 2-32-32-2 ELU, MSE) with η = 0.04,
 * which the initial sharpness (≈ 33) allows (2/η = 50): the sharpness rises (progressive sharpening)
 * and then hovers at the edge of stability, its median over the last half of 1,500 steps within 10%
 * of 2/η.
 */
@Tag("integration")
class EdgeOfStabilityTest {

    @Test
    void sharpnessRisesToTwoOverEtaAndHovers() {
        double eta = 0.04;
        int steps = 1500;
        MlpModel model = MlpModel.initialise(new int[] {2, 32, 32, 2}, Activation.ELU, Loss.MSE, 0);
        double[] sharpness = new double[steps];
        try (NDManager m = NDManager.newBaseManager();
                DeviceData data = DeviceData.upload(Xor2d.generate(0, 64), 2, m, DataType.FLOAT32, 64);
                Trainer trainer = new Trainer(model, data, m, DataType.FLOAT32,
                        new SolverSettings(SolverKind.GD, eta, 0.01, 0, 1, 1e-4, 1, 0), 0, 0, null)) {
            for (int i = 0; i < steps; i++) {
                sharpness[i] = trainer.step().sharpness();
            }
        }
        double edge = 2 / eta;
        assertThat(sharpness[0]).as("initial sharpness").isLessThan(0.8 * edge);
        double earlyMax = Arrays.stream(sharpness, 0, steps / 3).max().orElseThrow();
        assertThat(earlyMax).as("progressive sharpening reaches the edge").isGreaterThan(0.95 * edge);
        double[] late = Arrays.copyOfRange(sharpness, steps / 2, steps);
        Arrays.sort(late);
        double median = late[late.length / 2];
        assertThat(Math.abs(median - edge) / edge).as("median late sharpness %s vs 2/η = %s", median, edge)
                .isLessThan(0.10);
    }
}
