package io.eoscope.curvature.alignment;

/** How λ_max(Gˡ) is computed for each layer. */
public enum LayerSpectraRoute {
    /** The dual Gram matrix (Lemma A) when N·C is at most the limit, otherwise the operator. */
    AUTO,
    /** Exact: the top eigenvalue of the N·C × N·C dual Gram matrix of Kˡ (Lemma A of docs/science.md#layerwise-alignment). */
    DUAL_GRAM,
    /** Lanczos on the layer-l diagonal block of the Gauss-Newton operator (products with G). */
    OPERATOR
}
