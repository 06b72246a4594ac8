package io.eoscope.curvature.optim;

/** The quantity an optimizer's stability is judged by (docs/science.md#other-optimizers). */
public enum StabilityQuantity {
    /** λmax(𝓗) of the full-batch loss. */
    SHARPNESS("sharpness"),
    /** λmax(P⁻¹𝓗), computed as λmax(P^-½ 𝓗 P^-½). */
    PRECONDITIONED_SHARPNESS("preconditioned_sharpness"),
    /** E_B[g_Bᵀ𝓗_B g_B] / E_B[‖g_B‖²] over batches of the run's size. */
    BATCH_SHARPNESS("batch_sharpness");

    private final String id;

    StabilityQuantity(String id) {
        this.id = id;
    }

    /** The name in JSON, CSV and metrics. */
    public String id() {
        return id;
    }
}
