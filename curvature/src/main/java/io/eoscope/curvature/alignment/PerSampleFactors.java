package io.eoscope.curvature.alignment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.Network;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-sample alignment quantities (docs/science.md#layerwise-alignment) for one chunk of samples, from explicit layerwise Jacobians:
 * Δᴸ = R (a factor of S with RᵀR = S), Δˡ = Δˡ⁺¹·Aˡ⁺¹·diag(σ′(x̂ˡ)) = R·Mˡ, χˡ = [xˡ⁻¹; 1].
 * Norms use Lemma A: ‖Δˡ‖²_max = λ_max(ΔˡΔˡᵀ), a C×C matrix; ‖K‖²_max = λ_max(Σ_l ‖χˡ‖² ΔˡΔˡᵀ).
 */
final class PerSampleFactors {
    /** ‖χˡ_n‖², [layer][sample]. */
    final double[][] chiSq;
    /** ‖Δˡ_n‖²_max, [layer][sample]. */
    final double[][] deltaMaxSq;
    /** ‖Jˡ_n‖²_max for l ≥ 2 ([0] unused, all 1), [layer][sample]. */
    final double[][] jacobianMaxSq;
    /** ‖K_n‖²_max, [sample]. */
    double[] kMaxSq;
    /** Δˡ for every sample of the chunk, [layer] → [B·C, d_l], kept only when asked (dual Gram). */
    final List<NDArray> deltas;
    /** χˡ for every sample, [layer] → [B, d_{l−1}+1], kept only when asked (dual Gram). */
    final List<NDArray> chis;

    private PerSampleFactors(int layers, int batch, boolean keep) {
        chiSq = new double[layers][];
        deltaMaxSq = new double[layers][];
        jacobianMaxSq = new double[layers][];
        kMaxSq = new double[batch];
        deltas = keep ? new ArrayList<>() : null;
        chis = keep ? new ArrayList<>() : null;
    }

    /**
     * @param keepFor when not null, Δˡ and χˡ are kept and attached to this manager (for the dual Gram)
     */
    static PerSampleFactors compute(Network network, NDArray x, double tolerance, long seed,
            NDManager keepFor) {
        int layers = network.model().layers();
        int batch = (int) x.getShape().get(0);
        int classes = network.model().classes();
        DataType type = network.dataType();
        PerSampleFactors out = new PerSampleFactors(layers, batch, keepFor != null);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            List<NDArray> pre = network.preactivations(x);
            NDArray[] kGram = new NDArray[1];
            signals(network, x, pre, (l, delta, chi, chiSq) -> {
                out.chiSq[l - 1] = HostArrays.download(chiSq);
                NDArray gram = delta.batchMatMul(delta.transpose(0, 2, 1)); // [B, C, C]
                out.deltaMaxSq[l - 1] = top(gram, type, batch, classes, tolerance, seed + l);
                NDArray weighted = gram.mul(chiSq.reshape(batch, 1, 1));
                kGram[0] = kGram[0] == null ? weighted : kGram[0].add(weighted);
                if (keepFor != null) {
                    NDArray chiWithOne = chi.concat(chi.getManager().ones(new ai.djl.ndarray.types.Shape(batch, 1),
                            type, chi.getDevice()), 1);
                    out.chis.add(0, keep(chiWithOne, keepFor));
                    out.deltas.add(0, keep(delta.reshape(batch * (long) classes, delta.getShape().get(2)), keepFor));
                }
            });
            out.kMaxSq = top(kGram[0], type, batch, classes, tolerance, seed);
            out.jacobianMaxSq[0] = ones(batch);
            for (int l = 2; l <= layers; l++) {
                out.jacobianMaxSq[l - 1] = jacobianNormSq(network, pre.get(l - 2), l, tolerance, seed + 100 + l);
            }
        }
        return out;
    }

    /** What {@link #signals} hands over for each layer l, from L down to 1 (arrays in the caller's scope). */
    interface LayerSignals {
        /**
         * @param layer l, 1-based
         * @param delta Δˡ_n for every sample of the chunk, [B, C, d_l]
         * @param input xˡ⁻¹_n, the layer's input (χˡ without its trailing 1), [B, d_{l−1}]
         * @param chiSq ‖χˡ_n‖² = ‖xˡ⁻¹_n‖² + 1, [B]
         */
        void layer(int layer, NDArray delta, NDArray input, NDArray chiSq);
    }

    /**
     * The per-sample signals of one chunk: Δᴸ = R (the loss's curvature factor, RᵀR = S) and
     * Δˡ = Δˡ⁺¹·Aˡ⁺¹·diag(σ′(x̂ˡ)), which is C backward passes through the layers at once (one per row of R), and the
     * layer inputs. The per-sample gradient of row c of R·f with respect to layer l's weights is Δˡ_{n,c}·xˡ⁻¹_nᵀ and
     * with respect to its bias Δˡ_{n,c}, so every inner product of per-sample gradients factors into one of Δ and one of χ.
     *
     * @param pre the chunk's preactivations, {@link Network#preactivations(NDArray)} of {@code x}
     */
    static void signals(Network network, NDArray x, List<NDArray> pre, LayerSignals visitor) {
        int layers = network.model().layers();
        Activation activation = network.model().activation();
        List<NDArray> inputs = new ArrayList<>();
        inputs.add(x);
        for (int l = 0; l + 1 < layers; l++) {
            inputs.add(activation.apply(pre.get(l)));
        }
        NDArray delta = network.model().loss().curvatureFactor(pre.get(layers - 1)); // Δᴸ = R, [B, C, C]
        for (int l = layers; l >= 1; l--) {
            if (l < layers) {
                NDArray a = network.parameters().get(2 * l); // Aˡ⁺¹, [d_{l+1}, d_l]
                delta = delta.matMul(a).mul(activation.derivative(pre.get(l - 1)).expandDims(1));
            }
            NDArray chi = inputs.get(l - 1);
            visitor.layer(l, delta, chi, chi.mul(chi).sum(new int[] {1}).add(1));
        }
    }

    /** ‖Jˡ‖²_max per sample, Jˡ = Aˡ·diag(s), s = σ′(x̂ˡ⁻¹): top eigenvalue of the smaller Gram. */
    private static double[] jacobianNormSq(Network network, NDArray preBelow, int layer, double tolerance, long seed) {
        NDArray a = network.parameters().get(2 * (layer - 1)); // [d_l, d_{l−1}]
        NDArray s = network.model().activation().derivative(preBelow); // [B, d_{l−1}]
        int batch = (int) s.getShape().get(0);
        int rows = (int) a.getShape().get(0);
        int cols = (int) a.getShape().get(1);
        if (cols <= rows) { // JᵀJ = diag(s) AᵀA diag(s), d_{l−1} × d_{l−1}
            NDArray ata = a.transpose().matMul(a);
            return BatchedTopEigenvalue.compute(v -> v.mul(s).matMul(ata).mul(s), a.getManager(), a.getDataType(),
                    batch, cols, tolerance, seed);
        }
        NDArray s2 = s.mul(s); // JJᵀ = A diag(s²) Aᵀ, d_l × d_l
        return BatchedTopEigenvalue.compute(v -> v.matMul(a).mul(s2).matMul(a.transpose()), a.getManager(),
                a.getDataType(), batch, rows, tolerance, seed);
    }

    private static double[] top(NDArray grams, DataType type, int batch, int size, double tolerance, long seed) {
        return BatchedTopEigenvalue.compute(BatchedTopEigenvalue.matrices(grams), grams.getManager(), type, batch, size,
                tolerance, seed);
    }

    private static NDArray keep(NDArray a, NDManager manager) {
        NDScope.unregister(a);
        a.attach(manager);
        return a;
    }

    private static double[] ones(int n) {
        double[] o = new double[n];
        java.util.Arrays.fill(o, 1);
        return o;
    }
}
