package io.eoscope.curvature.spectrum;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.eigen.DenseSymmetricEigen;
import io.eoscope.curvature.eigen.SymmetricOperator;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.testing.DenseOperators;
import io.eoscope.curvature.testing.TestProblems;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The measurement the defaults of {@link DensityOptions} and {@link TraceOptions} were chosen from (docs/science.md):
 * the SLQ density's W1 distance to the dense spectral measure, relative to the spectrum's range, against n_v × m; the
 * Hutch++ interval's coverage and width against its products. Three small MLPs, 𝓗 and G each, materialised in float64.
 * Prints a table; asserts nothing. Run on request: {@code -Dtest=SpectrumDefaultsMeasurement -Dsurefire.excludedGroups=}.
 */
@Tag("slow")
class SpectrumDefaultsMeasurement {
    static final String[][] MODELS = {{"10-16-16-4", "TANH", "CROSS_ENTROPY"}, {"6-32-5", "GELU", "CROSS_ENTROPY"},
        {"8-24-24-3", "ELU", "MSE"}};
    static final int[][] DENSITY = {{1, 30}, {2, 25}, {2, 50}, {3, 20}, {3, 30}, {3, 50}, {4, 36}, {5, 20}, {5, 30},
        {6, 25}, {10, 15}, {10, 30}};
    static final int[] TRACE = {12, 18, 30, 45, 60, 99};
    static final int SEEDS = 10;
    static final int TRACE_SEEDS = 200;

    @Test
    void measure() {
        StringBuilder out = new StringBuilder();
        // -Dmeasure.models=1,2 picks some of MODELS (all by default)
        String pick = System.getProperty("measure.models", "0,1,2");
        for (String index : pick.split(",")) {
            String[] spec = MODELS[Integer.parseInt(index.trim())];
            MlpModel model = TestProblems.model(spec[0], Activation.valueOf(spec[1]), Loss.valueOf(spec[2]), 5);
            try (NDManager m = NDManager.newBaseManager();
                    Network net = Network.upload(model, m, DataType.FLOAT64);
                    DeviceData dev = DeviceData.upload(TestProblems.data(64, model.inputWidth(), model.classes(), 6),
                            model.classes(), m, DataType.FLOAT64, 64);
                    CurvatureProducts products = new CurvatureProducts(net, dev)) {
                for (Curvature kind : new Curvature[] {Curvature.HESSIAN, Curvature.GAUSS_NEWTON}) {
                    double[][] a = DenseOperators.materialise(CurvatureOperator.of(products, kind), m);
                    double[] eig = DenseSymmetricEigen.of(a).values();
                    double range = SpectralMeasures.range(eig);
                    SymmetricOperator op = DenseOperators.of(a, m);
                    out.append(String.format(Locale.ROOT, "%n%s %s %s: P = %d, range = %.4g, top = %.4g, tr = %.4g%n",
                            spec[0], spec[1], kind.id(), eig.length, range, eig[0], Arrays.stream(eig).sum()));
                    out.append("  n_v   m  products  W1/range mean  max   (" + SEEDS + " seeds)\n");
                    for (int[] c : DENSITY) {
                        double sum = 0;
                        double max = 0;
                        for (int s = 0; s < SEEDS; s++) {
                            SpectralDensity d = StochasticLanczosQuadrature.estimate(op, new DensityOptions(c[0], c[1], s), m);
                            double w = SpectralMeasures.wasserstein1(d, eig) / range;
                            sum += w;
                            max = Math.max(max, w);
                        }
                        out.append(String.format(Locale.ROOT, "  %3d %3d  %8d  %.4f  %.4f%n", c[0], c[1], c[0] * c[1],
                                sum / SEEDS, max));
                    }
                    double trace = Arrays.stream(eig).sum();
                    double nuclear = Arrays.stream(eig).map(Math::abs).sum();
                    double offDiagonal = 0; // Hutchinson (Rademacher) variance per sample: 2 Σ_{i≠j} a_ij²
                    for (int i = 0; i < a.length; i++) {
                        for (int j = 0; j < a.length; j++) {
                            offDiagonal += i == j ? 0 : 2 * a[i][j] * a[i][j];
                        }
                    }
                    out.append("  products  coverage  mean half-width/Σ|λ|  rms error/Σ|λ|  Hutchinson sd/Σ|λ| (same products)\n");
                    for (int p : TRACE) {
                        int covered = 0;
                        double half = 0;
                        double sq = 0;
                        for (int s = 0; s < TRACE_SEEDS; s++) {
                            TraceEstimate t = HutchPlusPlus.estimate(op, new TraceOptions(p, 0.95, s), m);
                            covered += t.low() <= trace && trace <= t.high() ? 1 : 0;
                            half += (t.high() - t.low()) / 2 / TRACE_SEEDS;
                            sq += (t.value() - trace) * (t.value() - trace) / TRACE_SEEDS;
                        }
                        out.append(String.format(Locale.ROOT, "  %8d  %.3f     %.4f                %.4f          %.4f%n", p,
                                covered / (double) TRACE_SEEDS, half / nuclear, Math.sqrt(sq) / nuclear,
                                Math.sqrt(offDiagonal / p) / nuclear));
                    }
                    System.out.print(out);
                    out.setLength(0);
                }
            }
        }
    }
}
