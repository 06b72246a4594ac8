package io.eoscope.trainer.solve;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.analysis.BatchSharpness;
import io.eoscope.curvature.eigen.DenseSymmetricEigen;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.OptimizerState;
import io.eoscope.curvature.optim.StabilityQuantity;
import io.eoscope.trainer.data.Xor2d;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The trainer's own stability quantity for the rules whose quantity is not λmax(𝓗): Adam's λmax(P⁻¹𝓗) against the
 * dense float64 matrix P^-½𝓗P^-½ (𝓗 at the step's θ, P written out here from the v of the step taken), and the batch
 * sharpness of a mini-batch run against its exact value over every batch.
 */
class TrainerStabilityTest {

    private static final SolverSettings EVERY_STEP = new SolverSettings(SolverKind.GD, 0.01, 0.01, 0, 1, 1e-10, 1, 3);

    @Test
    void adamsPreconditionedSharpnessEqualsTheDenseEigenvalue() {
        MlpModel model = MlpModel.initialise(new int[] {2, 5, 2}, Activation.TANH, Loss.MSE, 4);
        OptimizerSettings adam = new OptimizerSettings(OptimizerKind.ADAM, 0.01, 0, 0.9, 0.99, 1e-6, 0);
        try (NDManager m = NDManager.newBaseManager();
                DeviceData data = DeviceData.upload(Xor2d.generate(1, 16), 2, m, DataType.FLOAT64, 16);
                Trainer trainer = new Trainer(model, data, m, DataType.FLOAT64, EVERY_STEP, 0, 0, null,
                        new OptimizerStep(adam, m, 0, Map.of()), null)) {
            assertThat(trainer.stabilityQuantity()).isEqualTo(StabilityQuantity.PRECONDITIONED_SHARPNESS);
            for (int i = 0; i < 3; i++) {
                trainer.step();
            }
            MlpModel before = trainer.model(); // θ_3
            StepRecord r = trainer.step(); // its stability: 𝓗 at θ_3, P from v after the step (t = 4)
            double[] v = trainer.optimizer().buffers().get(OptimizerState.EXP_AVG_SQ).toType(DataType.FLOAT64, false)
                    .toDoubleArray();
            double[][] h;
            try (Network network = Network.upload(before, m, DataType.FLOAT64);
                    CurvatureProducts products = new CurvatureProducts(network, data)) {
                int n = (int) network.parameterCount();
                double[] identity = new double[n * n];
                for (int i = 0; i < n; i++) {
                    identity[i * n + i] = 1;
                }
                NDArray columns = CurvatureOperator.of(products, Curvature.HESSIAN)
                        .apply(HostArrays.upload(m, identity, new ai.djl.ndarray.types.Shape(n, n), DataType.FLOAT64));
                double[] flat = columns.toDoubleArray();
                h = new double[n][n];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(flat, i * n, h[i], 0, n);
                }
            }
            double[] p = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                p[i] = (1 - Math.pow(0.9, 4)) * (Math.sqrt(v[i] / (1 - Math.pow(0.99, 4))) + 1e-6);
            }
            double[][] scaled = new double[p.length][p.length];
            for (int i = 0; i < p.length; i++) {
                for (int j = 0; j < p.length; j++) {
                    scaled[i][j] = 0.5 * (h[i][j] + h[j][i]) / Math.sqrt(p[i] * p[j]);
                }
            }
            double want = DenseSymmetricEigen.of(scaled).values()[0];
            assertThat(Math.abs(r.stability() - want) / Math.abs(want)).as("trainer %s vs dense %s", r.stability(), want)
                    .isLessThan(1e-6);
            assertThat(r.stabilityThreshold()).isEqualTo(adam.threshold());
            assertThat(r.stabilityRatio()).isEqualTo(r.stability() / adam.threshold());
            assertThat(r.sharpness()).as("λmax(𝓗) beside it").isNotEqualTo(r.stability());
        }
    }

    @Test
    void miniBatchRunsReportTheBatchSharpnessWithinItsTolerance() {
        MlpModel model = MlpModel.initialise(new int[] {2, 6, 2}, Activation.TANH, Loss.MSE, 5);
        OptimizerSettings momentum = OptimizerSettings.defaults(OptimizerKind.MOMENTUM, 0.05);
        try (NDManager m = NDManager.newBaseManager();
                DeviceData data = DeviceData.upload(Xor2d.generate(2, 12), 2, m, DataType.FLOAT64, 12);
                Trainer trainer = new Trainer(model, data, m, DataType.FLOAT64, EVERY_STEP, 0, 0, null,
                        new OptimizerStep(momentum, m, 0, Map.of()), new BatchOrder(12, 4, 3))) {
            assertThat(trainer.stabilityQuantity()).isEqualTo(StabilityQuantity.BATCH_SHARPNESS);
            trainer.step();
            MlpModel before = trainer.model();
            StepRecord r = trainer.step();
            double exact;
            try (Network network = Network.upload(before, m, DataType.FLOAT64)) {
                exact = BatchSharpness.exact(network, data, 4, 1000); // all C(12, 4) = 495 batches
            }
            // the trainer's interval is ±5% at 95%: twice that is a failure rate of about 1e-4 for a correct estimate
            assertThat(Math.abs(r.stability() - exact) / exact).as("trainer %s vs exact %s", r.stability(), exact)
                    .isLessThan(0.10);
            assertThat(r.stabilityThreshold()).isEqualTo(momentum.threshold());
        }
    }
}
