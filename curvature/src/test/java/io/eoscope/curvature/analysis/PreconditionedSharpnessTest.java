package io.eoscope.curvature.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.alignment.LayerSpectraRoute;
import io.eoscope.curvature.eigen.DenseSymmetricEigen;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.DifferentiableModel.ParameterGroup;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.OptimizerSnapshot;
import io.eoscope.curvature.optim.OptimizerState;
import io.eoscope.curvature.optim.StabilityQuantity;
import io.eoscope.curvature.testing.DenseOperators;
import io.eoscope.curvature.testing.TestProblems;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * λmax(P^-½𝓗P^-½) of an analysis against the dense float64 matrix (𝓗 built column by column from products, P from
 * the definition written out here), to 1e-6; the next snapshot's solve starts warm from the previous vector and gives
 * the same number; before Adam's first step the value is null with the reason. (StabilityAgainstPyTorchTest checks
 * against PyTorch's own Hessian and update.)
 */
class PreconditionedSharpnessTest {

    /**
     * 4-6-3 (P = 51) is solved by the dense solver (one block product, no warm start); 4-16-6-3 (P = 203, over
     * {@link io.eoscope.curvature.eigen.DenseSolver#LIMIT}) by Lanczos, whose warm start must save products.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"4-6-3", "4-16-6-3"})
    void theAnalysisEqualsTheDenseFloat64EigenvalueAndItsWarmStartAgrees(String arch) {
        MlpModel model = TestProblems.model(arch, Activation.TANH, Loss.CROSS_ENTROPY, 31);
        OptimizerSettings adam = new OptimizerSettings(OptimizerKind.ADAM, 0.01, 0, 0.9, 0.99, 1e-4, 0);
        long t = 4;
        AnalysisOptions options = new AnalysisOptions(1, 1e-10, "lanczos", EnumSet.of(Curvature.HESSIAN), false, 6, 0,
                LayerSpectraRoute.AUTO, 2048, 5000, 5);
        try (NDManager m = NDManager.newBaseManager();
                Network network = Network.upload(model, m, DataType.FLOAT64);
                DeviceData data = DeviceData.upload(TestProblems.data(20, 4, 3, 32), 3, m, DataType.FLOAT64, 6);
                CurvatureAnalysis analysis = new CurvatureAnalysis(options, m)) {
            Random r = new Random(33);
            Map<String, double[]> state = new LinkedHashMap<>();
            double[] p = new double[(int) network.parameterCount()];
            for (ParameterGroup g : network.parameterRanges()) {
                double[] v = new double[(int) g.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = i % 5 == 0 ? 0 : Math.pow(10, -4 * r.nextDouble()); // zeros: P = (1−β1ᵗ)ε there
                    p[(int) g.from() + i] = (1 - Math.pow(0.9, t)) * (Math.sqrt(v[i] / (1 - Math.pow(0.99, t))) + 1e-4);
                }
                state.put(OptimizerState.tensorName(OptimizerState.EXP_AVG_SQ, g.name()), v);
            }
            double[][] h;
            try (CurvatureProducts products = new CurvatureProducts(network, data)) {
                h = DenseOperators.materialise(CurvatureOperator.of(products, Curvature.HESSIAN), m);
            }
            double[][] scaled = new double[p.length][p.length];
            for (int i = 0; i < p.length; i++) {
                for (int j = 0; j < p.length; j++) {
                    scaled[i][j] = h[i][j] / Math.sqrt(p[i] * p[j]);
                }
            }
            // λmax, the largest eigenvalue (not the largest in magnitude: with 4-16-6-3 that one is negative)
            double want = java.util.Arrays.stream(DenseSymmetricEigen.of(scaled).values()).max().orElseThrow();
            OptimizerSnapshot snapshot = new OptimizerSnapshot(adam, t, 0, state);
            Stability cold = analysis.analyze(network, data, snapshot, AnalysisProgress.NONE).stability();
            assertThat(cold.quantity()).isEqualTo(StabilityQuantity.PRECONDITIONED_SHARPNESS);
            assertThat(Math.abs(cold.value() - want) / Math.abs(want)).as("cold %s vs dense %s", cold.value(), want).isLessThan(1e-6);
            assertThat(cold.threshold()).isEqualTo(adam.threshold());
            assertThat(cold.formula()).isEqualTo("(2+2β1)/((1−β1)η)");
            AnalysisReport again = analysis.analyze(network, data, snapshot, AnalysisProgress.NONE);
            Stability warm = again.stability();
            assertThat(Math.abs(warm.value() - want) / Math.abs(want)).as("warm").isLessThan(1e-6);
            if (network.parameterCount() > io.eoscope.curvature.eigen.DenseSolver.LIMIT) {
                assertThat(warm.products()).as("the warm start from the same point converges sooner").isLessThan(cold.products());
            } else {
                assertThat(warm.products()).as("dense: the whole matrix, P products in one block").isEqualTo(network.parameterCount());
            }
            assertThat(again.toJson().getAsJsonObject("stability").get("ratio").getAsDouble()).isEqualTo(warm.value() / warm.threshold());
            assertThat(again.info().get("stage_seconds").toString()).contains("preconditioned_sharpness");

            Stability before = analysis.analyze(network, data, new OptimizerSnapshot(adam, 0, 0, Map.of()), AnalysisProgress.NONE)
                    .stability();
            assertThat(before.value()).isNaN();
            assertThat(before.note()).startsWith("undefined before the first step");
            assertThat(before.failure()).isNull();
        }
    }
}
