package io.eoscope.curvature.alignment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.eigen.EigenOptions;
import io.eoscope.curvature.eigen.EigenSolver;
import io.eoscope.curvature.eigen.SymmetricOperator;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.Network;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * Every quantity of docs/science.md#layerwise-alignment, per layer and in total: per-sample means over the dataset or
 * a seeded subsample of it, and λ_max(Gˡ) per layer over the whole dataset, by the exact dual Gram
 * matrix (Lemma A) when N·C is small or by Lanczos on the layer block of G otherwise.
 */
public final class LayerwiseAlignment {

    /**
     * @param subsample how many samples the per-sample means use (0 or ≥ N: all of them)
     * @param seed seed of the subsample and of the start vectors
     * @param tolerance relative tolerance of the iterative eigenvalue computations
     * @param route how λ_max(Gˡ) is computed
     * @param dualGramLimit the largest N·C for which {@link LayerSpectraRoute#AUTO} takes the dual Gram
     * @param chunkSize samples per chunk of the per-sample pass
     */
    public record Options(int subsample, long seed, double tolerance, LayerSpectraRoute route, int dualGramLimit,
            int chunkSize) {

        /** Validates; the messages name the option. */
        public Options {
            if (subsample < 0) {
                throw new IllegalArgumentException("subsample must be ≥ 0 (0 means every sample), got " + subsample);
            }
            if (!(tolerance > 0 && tolerance < 1)) {
                throw new IllegalArgumentException("tolerance must be in (0, 1), got " + tolerance);
            }
            if (dualGramLimit < 0 || chunkSize < 1) {
                throw new IllegalArgumentException("dual-Gram limit must be ≥ 0 and chunk size ≥ 1");
            }
        }
    }

    private LayerwiseAlignment() {}

    /**
     * @param products products with G on the same network and data (for the operator route)
     * @param progress told the number of per-sample chunks and layer spectra finished so far
     */
    public static AlignmentReport compute(Network network, DeviceData data, CurvatureProducts products, Options options,
            IntConsumer progress) {
        int n = data.size();
        int classes = network.model().classes();
        int layers = network.model().layers();
        boolean dual = options.route() == LayerSpectraRoute.DUAL_GRAM
                || options.route() == LayerSpectraRoute.AUTO && (long) n * classes <= options.dualGramLimit();
        boolean everySample = options.subsample() == 0 || options.subsample() >= n;
        int done = 0;
        try (NDManager keep = network.manager().newSubManager()) {
            List<PerSampleFactors> kept = new ArrayList<>();
            if (dual) { // Δˡ, χˡ of every sample for the dual Gram; their norms serve too if no subsample
                for (int c = 0; c < data.chunks(); c++) {
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        kept.add(PerSampleFactors.compute(network, data.inputs(c),
                                options.tolerance(), options.seed() + c, keep));
                    }
                    progress.accept(++done);
                }
            }
            List<PerSampleFactors> sampled = kept;
            int samples = n;
            if (!(dual && everySample)) {
                sampled = new ArrayList<>();
                int[] rows = everySample ? null : subsample(n, options.subsample(), options.seed());
                samples = everySample ? n : rows.length;
                for (int from = 0; from < samples; from += options.chunkSize()) {
                    int to = Math.min(samples, from + options.chunkSize());
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        NDArray x;
                        if (rows == null) {
                            x = data.inputs().get(from + ":" + to);
                        } else {
                            long[] idx = new long[to - from];
                            for (int i = from; i < to; i++) {
                                idx[i - from] = rows[i];
                            }
                            x = data.inputs().get(new NDIndex("{}", data.inputs().getManager().create(idx)));
                        }
                        sampled.add(PerSampleFactors.compute(network, x, options.tolerance(),
                                options.seed() + from, null));
                    }
                    progress.accept(++done);
                }
            }
            double[] gTop = new double[layers];
            for (int l = 1; l <= layers; l++) {
                gTop[l - 1] = dual ? dualGramTop(kept, l - 1, n, options.tolerance(), options.seed(), keep)
                        : operatorTop(products, l, options.tolerance(), options.seed(), keep);
                progress.accept(++done);
            }
            return summarise(sampled, samples, gTop, dual ? "dual_gram" : "operator");
        }
    }

    /** The number of progress steps {@link #compute} reports. */
    public static int progressSteps(DeviceData data, int classes, int layers, Options options) {
        int n = data.size();
        boolean dual = options.route() == LayerSpectraRoute.DUAL_GRAM
                || options.route() == LayerSpectraRoute.AUTO && (long) n * classes <= options.dualGramLimit();
        boolean everySample = options.subsample() == 0 || options.subsample() >= n;
        int samples = everySample ? n : options.subsample();
        int perSample = dual && everySample ? 0 : (samples + options.chunkSize() - 1) / options.chunkSize();
        return (dual ? data.chunks() : 0) + perSample + layers;
    }

    private static AlignmentReport summarise(List<PerSampleFactors> chunks, int samples, double[] gTop, String route) {
        int layers = gTop.length;
        double kMaxSq = 0;
        double[] chi = new double[layers];
        double[] delta = new double[layers];
        double[] kLayer = new double[layers];
        double[] piJ = new double[layers];
        for (PerSampleFactors f : chunks) {
            for (int i = 0; i < f.kMaxSq.length; i++) {
                kMaxSq += f.kMaxSq[i];
                for (int l = 0; l < layers; l++) {
                    chi[l] += f.chiSq[l][i];
                    delta[l] += f.deltaMaxSq[l][i];
                    kLayer[l] += f.deltaMaxSq[l][i] * f.chiSq[l][i]; // ‖Kˡ‖_max = ‖Δˡ‖_max·‖χˡ‖
                    double product = 1;
                    for (int k = l + 1; k < layers; k++) {
                        product *= f.jacobianMaxSq[k][i];
                    }
                    piJ[l] += product;
                }
            }
        }
        List<LayerAlignment> out = new ArrayList<>();
        double deltaL = delta[layers - 1] / samples;
        for (int l = 0; l < layers; l++) {
            double piChi = chi[l] / samples;
            double deltaMean = delta[l] / samples;
            double kMean = kLayer[l] / samples;
            double piJMean = piJ[l] / samples;
            out.add(new LayerAlignment(l + 1, gTop[l], kMean, piChi, kMean / (piChi * deltaMean), piJMean,
                    deltaMean / (piJMean * deltaL), deltaL, deltaMean));
        }
        return new AlignmentReport(kMaxSq / samples, samples, out, route);
    }

    /** λ_max of the dual Gram (1/N)·[(Δ_nΔ_mᵀ)(χ_n·χ_m)]_{n,m}, an N·C × N·C matrix (Lemma A). */
    private static double dualGramTop(List<PerSampleFactors> chunks, int layerIndex, int n, double tolerance, long seed,
            NDManager manager) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList deltas = new NDList();
            NDList chis = new NDList();
            for (PerSampleFactors f : chunks) {
                deltas.add(f.deltas.get(layerIndex));
                chis.add(f.chis.get(layerIndex));
            }
            NDArray z = NDArrays.concat(deltas); // [N·C, d_l]
            NDArray x = NDArrays.concat(chis); // [N, d_{l−1}+1]
            long nc = z.getShape().get(0);
            long c = nc / n;
            NDArray inner = x.matMul(x.transpose()).reshape(n, 1, n, 1);
            NDArray gram = z.matMul(z.transpose()).reshape(n, c, n, c).mul(inner).reshape(nc, nc).div(n);
            SymmetricOperator op = new SymmetricOperator() {
                @Override
                public long dimension() {
                    return nc;
                }

                @Override
                public DataType dataType() {
                    return gram.getDataType();
                }

                @Override
                public NDArray apply(NDArray block) {
                    return block.matMul(gram);
                }
            };
            // Lanczos even when small: the matrix is already here, each product is one small matMul, and ~20 of them cost
            // less than a dense decomposition of N·C × N·C with its eigenvectors (measured: 128 × 128, 4-8-2 with N = 64)
            EigenSolver solver = new io.eoscope.curvature.eigen.LanczosSolver();
            return solver.solve(op, new EigenOptions(1, Math.min(tolerance, 1e-8), 100_000, seed), null, manager)
                    .orThrow("λ_max(G^" + (layerIndex + 1) + ") from the dual Gram matrix").top();
        }
    }

    private static double operatorTop(CurvatureProducts products, int layer, double tolerance, long seed,
            NDManager manager) {
        CurvatureOperator op = CurvatureOperator.block(products, Curvature.GAUSS_NEWTON, products.model().groups().get(layer - 1));
        return EigenSolver.forOperator("lanczos", op).solve(op, new EigenOptions(1, tolerance, 100_000, seed), null, manager)
                .orThrow("λ_max(G^" + layer + ") of the layer block").top();
    }

    /** A seeded sample of m distinct indices out of n, in increasing order. */
    static int[] subsample(int n, int m, long seed) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        Random random = new Random(seed);
        for (int i = 0; i < m; i++) { // partial Fisher-Yates
            int j = i + random.nextInt(n - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] out = java.util.Arrays.copyOf(all, m);
        java.util.Arrays.sort(out);
        return out;
    }
}
