package io.eoscope.trainer.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.trainer.data.Xor2d;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link GradientFlowReference} against the closed-form flow of a linear model with MSE, its RK4
 * order, its convergence under halving of the substep on a nonlinear network, and bounded memory.
 */
@Tag("integration")
class GradientFlowReferenceTest {
    private static final double A = 2.0;
    private static final double B = 0.5;
    /** Four points (±A, 0), (0, ±B); classes 0, 1, 0, 1. */
    private static final LabeledData CROSS = new LabeledData(4, 2, new double[] {A, 0, -A, 0, 0, B, 0, -B},
            new int[] {0, 1, 0, 1});
    /** One affine layer 2 → 2: f = W χ with W = [A | b], χ = [x; 1]. */
    private static final MlpModel LINEAR = new MlpModel(new int[] {2, 2}, Activation.ELU, Loss.MSE,
            List.of(new double[] {0.3, -0.7, 1.1, 0.4}), List.of(new double[] {0.2, -0.5}), Map.of());
    private static final double[] TIMES = {0, 0.1, 0.5, 1, 2, 3};

    /**
     * For the linear model, L̃(W) = (1/N) Σ ‖Wχₙ − eₙ‖² and the flow is dW/dt = −2(WS − R) with
     * S = E[χχᵀ], R = E[eχᵀ]. The cross's inputs are centred and uncorrelated, so S = diag(A²/2, B²/2, 1)
     * and column j of W − W* (W* = RS⁻¹) decays as exp(−2 sⱼ t): rates 4, 0.25 and 2.
     */
    private static double exactLoss(double t) {
        double[][] chi = new double[CROSS.n()][];
        double[][] e = new double[CROSS.n()][];
        for (int n = 0; n < CROSS.n(); n++) {
            chi[n] = new double[] {CROSS.x()[2 * n], CROSS.x()[2 * n + 1], 1};
            e[n] = CROSS.y()[n] == 0 ? new double[] {1, 0} : new double[] {0, 1};
        }
        double[] s = {A * A / 2, B * B / 2, 1};
        double[][] w0 = {{0.3, -0.7, 0.2}, {1.1, 0.4, -0.5}};
        double[][] w = new double[2][3];
        for (int q = 0; q < 2; q++) {
            for (int j = 0; j < 3; j++) {
                double r = 0;
                for (int n = 0; n < CROSS.n(); n++) {
                    r += e[n][q] * chi[n][j] / CROSS.n();
                }
                double star = r / s[j];
                w[q][j] = star + (w0[q][j] - star) * Math.exp(-2 * s[j] * t);
            }
        }
        double loss = 0;
        for (int n = 0; n < CROSS.n(); n++) {
            for (int q = 0; q < 2; q++) {
                double z = w[q][0] * chi[n][0] + w[q][1] * chi[n][1] + w[q][2] * chi[n][2];
                loss += (z - e[n][q]) * (z - e[n][q]) / CROSS.n();
            }
        }
        return loss;
    }

    private static double[] linearFlow(double maxSubstep) {
        try (NDManager m = NDManager.newBaseManager();
                DeviceData dev = DeviceData.upload(CROSS, 2, m, DataType.FLOAT64, 3)) { // two chunks
            return GradientFlowReference.lossAt(LINEAR, dev, m, DataType.FLOAT64, TIMES, maxSubstep,
                    GradientFlowReference.Progress.NONE);
        }
    }

    @Test
    void matchesTheClosedFormFlowOfALinearModel() {
        double[] rk4 = linearFlow(0.01);
        assertThat(exactLoss(3)).as("the flow has not converged yet at t = 3").isGreaterThan(0.1);
        for (int i = 0; i < TIMES.length; i++) {
            // h·rate ≤ 0.04; the relative error measured is at most 1e-8 (at t = 0.1, where the fast mode still
            // counts): 1e-7 leaves a margin of ten, while a first- or second-order method would miss by far
            assertThat(Math.abs(rk4[i] - exactLoss(TIMES[i])) / exactLoss(TIMES[i])).as("t = %s", TIMES[i])
                    .isLessThan(1e-7);
        }
    }

    @Test
    void errorFallsLikeTheFourthPowerOfTheSubstep() {
        // h = 0.05 and 0.025 (h·rate ≤ 0.2 on the fast mode): RK4's error should shrink about 2⁴ = 16-fold
        double[] coarse = linearFlow(0.05);
        double[] fine = linearFlow(0.025);
        int at = 2; // t = 0.5
        double coarseError = Math.abs(coarse[at] - exactLoss(TIMES[at]));
        double fineError = Math.abs(fine[at] - exactLoss(TIMES[at]));
        assertThat(coarseError / fineError).as("error ratio %s / %s", coarseError, fineError).isBetween(13.0, 19.0);
    }

    @Test
    void halvingTheSubstepOnANonlinearNetworkChangesTheLossByLessThanOnePartInTenMillion() {
        MlpModel model = MlpModel.initialise(new int[] {2, 16, 16, 2}, Activation.ELU, Loss.MSE, 3);
        double[] times = {0.05, 0.15, 0.3};
        List<Integer> arrays = new ArrayList<>();
        List<Double> reachedTimes = new ArrayList<>();
        double[] coarse;
        double[] fine;
        try (NDManager m = NDManager.newBaseManager();
                DeviceData dev = DeviceData.upload(Xor2d.generate(4, 48), 2, m, DataType.FLOAT64, 48)) {
            int before = m.getManagedArrays().size();
            // η_max/40 of ExponentialEulerTest, where the sharpness is about 40: h·λ ≈ 0.06
            coarse = GradientFlowReference.lossAt(model, dev, m, DataType.FLOAT64, times, 0.0015,
                    (reached, total, time, loss) -> {
                        arrays.add(m.getManagedArrays().size());
                        reachedTimes.add(time);
                    });
            fine = GradientFlowReference.lossAt(model, dev, m, DataType.FLOAT64, times, 0.00075,
                    GradientFlowReference.Progress.NONE);
            assertThat(m.getManagedArrays().size()).as("everything freed").isEqualTo(before);
        }
        assertThat(reachedTimes).containsExactly(0.05, 0.15, 0.3);
        // 33, 67 and 100 substeps between the reports: a leak per substep would show here
        assertThat(arrays).as("live arrays do not grow with the substeps or the reports").containsOnly(arrays.get(0));
        for (int i = 0; i < times.length; i++) {
            // measured: at most 7e-9
            assertThat(Math.abs(coarse[i] - fine[i]) / fine[i]).as("t = %s", times[i]).isLessThan(1e-7);
        }
        assertThat(fine[2]).as("the flow decreases the loss").isLessThan(fine[0]);
    }

    @Test
    void rejectsBadTimesAndSubsteps() {
        try (NDManager m = NDManager.newBaseManager();
                DeviceData dev = DeviceData.upload(CROSS, 2, m, DataType.FLOAT64, 4)) {
            var none = GradientFlowReference.Progress.NONE;
            assertThatThrownBy(() -> GradientFlowReference.lossAt(LINEAR, dev, m, DataType.FLOAT64,
                    new double[] {0, 1, 0.5}, 0.1, none)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("times[2] = 0.5 after 1.0");
            assertThatThrownBy(() -> GradientFlowReference.lossAt(LINEAR, dev, m, DataType.FLOAT64,
                    new double[] {-1}, 0.1, none)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("times[0]");
            assertThatThrownBy(() -> GradientFlowReference.lossAt(LINEAR, dev, m, DataType.FLOAT64,
                    new double[] {1}, 0, none)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("maxSubstep");
            // h·rate = 8 > 2.78: RK4 multiplies the fast mode by about 110 per substep, past 1e308 within 100
            assertThatThrownBy(() -> GradientFlowReference.lossAt(LINEAR, dev, m, DataType.FLOAT64,
                    new double[] {200}, 2.0, none)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("diverged");
        }
    }

    @Test
    void substepsCoverEachIntervalWithTheFewestEqualSteps() {
        assertThat(GradientFlowReference.substeps(0, 0.1)).isZero();
        assertThat(GradientFlowReference.substeps(1.0, 0.1)).isEqualTo(10);
        assertThat(GradientFlowReference.substeps(0.3, 0.1)).isEqualTo(3); // 0.3/0.1 = 2.9999999999999996
        assertThat(GradientFlowReference.substeps(1.01, 0.1)).isEqualTo(11);
        assertThat(GradientFlowReference.substeps(1e-9, 0.1)).isEqualTo(1);
    }
}
