package io.eoscope.trainer.solve;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * docs/science.md#solvers: exponential Euler follows the gradient flow dθ/dt = −∇L̃. Its loss curve must
 * match a fine fourth-order Runge-Kutta integration of the flow at every step to within a few percent,
 * while GD with step η_max (the same nominal step) does not.
 */
@Tag("integration")
class ExponentialEulerTest {

    @Test
    void followsTheGradientFlowWhereGdDoesNot() {
        MlpModel model = MlpModel.initialise(new int[] {2, 16, 16, 2}, Activation.ELU, Loss.MSE, 3);
        LabeledData data = Xor2d.generate(4, 48);
        double etaMax = 0.06;
        int steps = 25;
        try (NDManager m = NDManager.newBaseManager();
                DeviceData dev = DeviceData.upload(data, 2, m, DataType.FLOAT64, 48)) {
            List<StepRecord> euler = run(model, dev, m, SolverKind.EXP_EULER, etaMax, steps);
            List<StepRecord> gd = run(model, dev, m, SolverKind.GD, etaMax, steps);
            // the flow's sharpness exceeds 2/η_max early, so GD at η_max cannot follow it
            assertThat(euler.get(0).sharpness()).isGreaterThan(2 / etaMax);
            double worstEuler = worstRelativeDeviation(model, dev, m, euler, etaMax);
            double worstGd = worstRelativeDeviation(model, dev, m, gd, etaMax);
            assertThat(worstEuler).as("exponential Euler vs RK4 flow").isLessThan(0.03);
            assertThat(worstGd).as("GD vs RK4 flow").isGreaterThan(0.15);
            for (int i = 1; i < euler.size(); i++) { // the flow decreases the loss monotonically
                assertThat(euler.get(i).loss()).isLessThanOrEqualTo(euler.get(i - 1).loss() * (1 + 1e-9));
            }
        }
    }

    private static List<StepRecord> run(MlpModel model, DeviceData dev, NDManager m, SolverKind kind, double eta, int steps) {
        SolverSettings s = new SolverSettings(kind, eta, eta, 0, 1, 1e-8, 1, 0);
        List<StepRecord> out = new ArrayList<>();
        try (Trainer t = new Trainer(model, dev, m, DataType.FLOAT64, s, 0, 0, null)) {
            for (int i = 0; i < steps; i++) {
                out.add(t.step());
            }
        }
        return out;
    }

    /**
     * max over steps of |L(θ_solver(t)) − L(θ_flow(t))| / L(θ_flow(t)), the flow by {@link GradientFlowReference}
     * with RK4 substeps of at most η_max/40 (at least 40 per solver step).
     */
    private static double worstRelativeDeviation(MlpModel model, DeviceData dev, NDManager m, List<StepRecord> records,
            double etaMax) {
        double[] times = records.stream().mapToDouble(StepRecord::time).toArray();
        double[] flow = GradientFlowReference.lossAt(model, dev, m, DataType.FLOAT64, times, etaMax / 40,
                GradientFlowReference.Progress.NONE);
        double worst = 0;
        for (int i = 0; i < times.length; i++) {
            worst = Math.max(worst, Math.abs(records.get(i).loss() - flow[i]) / flow[i]);
        }
        return worst;
    }
}
