package io.eoscope.curvature.alignment;

/**
 * The alignment quantities of one layer l (docs/science.md#layerwise-alignment), means over the samples analysed.
 *
 * @param layer l, 1-based
 * @param gaussNewtonTop λ_max(Gˡ) = ρ(Kˡ), over the whole dataset
 * @param kMaxSqMean E‖Kˡ‖²_max
 * @param piChi Π_χˡ = E‖χˡ‖²
 * @param pChiDelta P_{χ,Δ/χ}ˡ = E‖Kˡ‖²_max / (Π_χˡ·E‖Δˡ‖²_max)
 * @param piJ Π_Jˡ = E Π_{k>l} ‖Jᵏ‖²_max
 * @param pDeltaJ P_{Δ,J}ˡ = E‖Δˡ‖²_max / (Π_Jˡ·E‖Δᴸ‖²_max), the layerwise Jacobian alignment
 * @param deltaLMaxSqMean E‖Δᴸ‖²_max = E‖S^½‖²_max
 * @param deltaMaxSqMean E‖Δˡ‖²_max
 */
public record LayerAlignment(int layer, double gaussNewtonTop, double kMaxSqMean, double piChi,
        double pChiDelta, double piJ, double pDeltaJ, double deltaLMaxSqMean, double deltaMaxSqMean) {

    /** The product of the five factors, which equals E‖Kˡ‖²_max by construction (a check, not a source). */
    public double fiveFactorProduct() {
        return piChi * pChiDelta * piJ * pDeltaJ * deltaLMaxSqMean;
    }
}
