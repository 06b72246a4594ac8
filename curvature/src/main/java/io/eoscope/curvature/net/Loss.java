package io.eoscope.curvature.net;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.Locale;

/**
 * Per-sample criteria l(z, y) of docs/science.md#network-and-loss, with the quantities the curvature split needs:
 * the output gradient ∇_z l and a factor R with RᵀR = S = ∇²_z l.
 */
public enum Loss {
    /** l = −log softmax(z)_y, natural log. S = diag(p) − ppᵀ. */
    CROSS_ENTROPY("cross_entropy"),
    /** l = Σ_q (z_q − e_y,q)², summed over outputs, no ½. S = 2I. */
    MSE("mse");

    private final String id;

    Loss(String id) {
        this.id = id;
    }

    /** The name used in files and on the command line. */
    public String id() {
        return id;
    }

    /** Parses a file or command-line name; the message lists the accepted names. */
    public static Loss parse(String name) {
        for (Loss l : values()) {
            if (l.id.equals(name == null ? null : name.toLowerCase(Locale.ROOT).replace('-', '_'))) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown loss '" + name + "' (expected one of "
                + Arrays.toString(Arrays.stream(values()).map(Loss::id).toArray()) + ")");
    }

    /** Per-sample loss, shape [n], from logits z [n, C] and one-hot targets [n, C]. */
    public NDArray perSample(NDArray z, NDArray oneHot) {
        if (this == CROSS_ENTROPY) {
            return z.logSoftmax(1).mul(oneHot).sum(new int[] {1}).neg();
        }
        NDArray d = z.sub(oneHot);
        return d.mul(d).sum(new int[] {1});
    }

    /** ∇_z l per sample, shape [n, C] (no graph is needed through it: callers detach z first). */
    public NDArray outputGradient(NDArray z, NDArray oneHot) {
        if (this == CROSS_ENTROPY) {
            return z.softmax(1).sub(oneHot);
        }
        return z.sub(oneHot).mul(2);
    }

    /**
     * A per-sample factor R_n with R_nᵀ R_n = S_n, shape [n, C, C]. Every alignment quantity (docs/science.md#layerwise-alignment) is
     * invariant to the choice of factor (they depend on Δ only through ΔᵀΔ-type products or singular
     * values), so the cheap closed form is used instead of the symmetric root: for cross-entropy
     * R = (I − qqᵀ)·diag(q) with q = √p, which satisfies RᵀR = diag(q)(I − qqᵀ)diag(q) = S because
     * I − qqᵀ is a projector (‖q‖ = 1); for MSE R = √2·I.
     */
    public NDArray curvatureFactor(NDArray z) {
        long n = z.getShape().get(0);
        int c = (int) z.getShape().get(1);
        NDArray eye = z.getManager().eye(c).toType(z.getDataType(), false);
        if (this == MSE) {
            return eye.mul(Math.sqrt(2)).expandDims(0).repeat(0, n);
        }
        NDArray p = z.softmax(1);
        NDArray q = p.sqrt();
        // R[n, i, j] = q_i δ_ij − q_i q_i' ... written as diag(q) − q (q∘q)ᵀ = diag(q) − q pᵀ
        NDArray diag = eye.expandDims(0).mul(q.expandDims(1));
        NDArray outer = q.expandDims(2).mul(p.expandDims(1));
        return diag.sub(outer);
    }
}
