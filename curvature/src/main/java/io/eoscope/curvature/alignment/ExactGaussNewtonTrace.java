package io.eoscope.curvature.alignment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.Network;

/**
 * tr(G) and tr(Gˡ) of an MLP exactly, from per-sample signals (docs/science.md#layerwise-alignment), with no
 * per-sample gradient ever formed.
 *
 * <p>With S_n = R_nᵀR_n ({@link io.eoscope.curvature.net.Loss#curvatureFactor}), tr(G) = (1/N) Σ_n ‖R_n J_n‖²_F
 * = (1/N) Σ_n Σ_c ‖∇_θ (R_n f_n)_c‖². For layer l, the gradient of (R_n f_n)_c with respect to the weights is
 * Δˡ_{n,c} xˡ⁻¹_nᵀ and with respect to the bias Δˡ_{n,c}, so its squared norm is ‖Δˡ_{n,c}‖²(‖xˡ⁻¹_n‖² + 1) =
 * ‖Δˡ_{n,c}‖²‖χˡ_n‖², and tr(Gˡ) = (1/N) Σ_n ‖Δˡ_n‖²_F ‖χˡ_n‖². The signals Δˡ of all C rows of R travel down the
 * network together (the same pass as the layerwise alignment): the cost is one forward pass and C backward passes over the
 * dataset, the {@link GaussNewtonTrace#gradientEquivalents()}. The choice of factor R does not matter: only RᵀR
 * enters.
 *
 * <p>Memory is bounded by the chunk: Δˡ of one chunk is chunkSize × C × d_l numbers, and every native array of a
 * chunk is freed with its scope before the next chunk starts. Per-sample values are summed in double on the host.
 */
public final class ExactGaussNewtonTrace {
    private ExactGaussNewtonTrace() {}

    /**
     * @param mlp the network (float64 or float32; the signals are computed in its precision, the sums in double)
     * @param data its dataset, in the network's precision
     * @param chunkSize samples per chunk (bounds the memory: about chunkSize·C·max d_l numbers per live array)
     * @return tr(G), tr(Gˡ) per layer and the cost, C gradient equivalents
     * @throws IllegalArgumentException when chunkSize &lt; 1 or the dataset is empty
     * @throws ArithmeticException when a per-sample term is not finite (NaN or infinite parameters, inputs or logits,
     *     or an overflow in the network's precision): the message names the layer and the sample; no number is
     *     returned then
     */
    public static GaussNewtonTrace compute(Network mlp, DeviceData data, int chunkSize) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunk size must be ≥ 1, got " + chunkSize);
        }
        int n = data.size();
        if (n < 1) {
            throw new IllegalArgumentException("the trace of G needs at least one sample");
        }
        int layers = mlp.model().layers();
        double[] sums = new double[layers];
        for (int from = 0; from < n; from += chunkSize) {
            int first = from;
            int to = Math.min(n, from + chunkSize);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray x = data.inputs().get(from + ":" + to);
                PerSampleFactors.signals(mlp, x, mlp.preactivations(x), (l, delta, input, chiSq) -> {
                    // ‖Δˡ_n‖²_F·‖χˡ_n‖² per sample, downloaded (B numbers) so the sum is in double and a bad sample is named
                    double[] terms = HostArrays.download(delta.mul(delta).sum(new int[] {1, 2}).mul(chiSq));
                    for (int i = 0; i < terms.length; i++) {
                        if (!Double.isFinite(terms[i])) {
                            throw new ArithmeticException("tr(G^" + l + "): sample " + (first + i) + " gives a non-finite "
                                    + "term (" + terms[i] + "): the parameters, inputs or logits are not finite, or the "
                                    + "per-sample gradient norm overflows " + mlp.dataType());
                        }
                        sums[l - 1] += terms[i];
                    }
                });
            }
        }
        double total = 0;
        double[] traces = new double[layers];
        for (int l = 0; l < layers; l++) {
            traces[l] = sums[l] / n;
            total += traces[l];
        }
        if (!Double.isFinite(total)) { // each term was finite, their sum overflowed double
            throw new ArithmeticException("tr(G) overflows: " + total);
        }
        return new GaussNewtonTrace(total, traces, mlp.model().classes());
    }
}
