package io.eoscope.curvature.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import org.junit.jupiter.api.Tag;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.testing.TestProblems;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An analyzer analyses snapshot after snapshot with one {@link CurvatureAnalysis} per run and no scope
 * around it: nothing may stay behind but one warm start per spectrum. (The temporaries a solver made
 * from a warm start once stayed in the warm start's manager, 16 arrays per snapshot, and an analyzer's
 * resident memory grew by about 0.7 MB per snapshot.)
 */
@Tag("integration")
class RepeatedAnalysisTest {

    @ParameterizedTest
    @ValueSource(strings = {"lanczos", "power"})
    void analysesLeaveOnlyTheWarmStartsBehind(String solver) {
        MlpModel model = TestProblems.model("3-12-12-2", Activation.ELU, Loss.MSE, 7);
        AnalysisOptions defaults = AnalysisOptions.defaults();
        AnalysisOptions options = new AnalysisOptions(2, defaults.tolerance(), solver, defaults.spectra(), true,
                defaults.chunkSize(), defaults.subsample(), defaults.layerSpectra(), defaults.dualGramLimit(),
                defaults.maxProducts(), defaults.seed());
        try (NDManager root = NDManager.newBaseManager();
                DeviceData data = DeviceData.upload(TestProblems.data(30, 3, 2, 8), 2, root, DataType.FLOAT32, 16);
                CurvatureAnalysis analysis = new CurvatureAnalysis(options, root)) {
            int after2 = 0;
            for (int i = 1; i <= 14; i++) { // warm starts, and the periodic cold start at the 11th
                try (Network network = Network.upload(model, root, DataType.FLOAT32)) {
                    AnalysisReport report = analysis.analyze(network, data, AnalysisProgress.NONE);
                    assertThat(report.failure()).isNull();
                }
                if (i == 2) {
                    after2 = root.getManagedArrays().size();
                }
            }
            // the dataset (inputs, targets) and one block of 2 warm-start vectors per spectrum
            assertThat(after2).isEqualTo(2 + 3);
            assertThat(root.getManagedArrays()).hasSize(after2);
        }
    }
}
