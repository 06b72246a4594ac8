package io.eoscope.curvature.alignment;

/**
 * The exact trace of the Gauss-Newton matrix G = (1/N) Σ_n J_nᵀ S_n J_n of an MLP, in total and per layer.
 *
 * @param total tr(G), always finite and ≥ 0
 * @param layers tr(Gˡ) of the diagonal block of layer l over its weights and bias; {@code layers[0]} is layer 1. They
 *     sum to {@code total} (up to rounding)
 * @param gradientEquivalents how many full-dataset backward passes the computation cost: C, one per row of the
 *     loss's curvature factor (plus one forward pass)
 */
public record GaussNewtonTrace(double total, double[] layers, long gradientEquivalents) {

    /** Copies the layer array, so the record cannot be changed from outside. */
    public GaussNewtonTrace {
        layers = layers.clone();
    }

    /** tr(Gˡ) of the diagonal block of layer l over its weights and bias; {@code layers()[0]} is layer 1 (a copy). */
    @Override
    public double[] layers() {
        return layers.clone();
    }
}
