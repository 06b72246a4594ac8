package io.eoscope.curvature.analysis;

import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.StabilityQuantity;

/**
 * A run against its own optimizer's edge of stability (docs/science.md#other-optimizers): the quantity the optimizer's
 * stability is judged by, its threshold, and their ratio, 1 at the edge for every optimizer.
 *
 * @param optimizer the optimizer
 * @param quantity which quantity
 * @param value its value; NaN (null in JSON) when it cannot be computed (see {@code note} and {@code failure})
 * @param threshold the threshold it is compared with
 * @param formula the threshold's formula ({@code 2/η}, …)
 * @param low the lower end of the value's 95% interval, NaN when the value has none (only batch sharpness has one)
 * @param high its upper end
 * @param batches the batches a batch sharpness was estimated from, 0 for the other quantities
 * @param products the operator products the quantity cost (its eigen-solve's, or one Hessian-vector product per batch)
 * @param sharpness λmax(𝓗) of the full-batch loss beside a quantity that is not the sharpness itself, else NaN
 * @param note null, or what the reader must know beside the number (an extrapolation, a term ignored)
 * @param failure null, or why the quantity could not be computed (the analysis is then not reported as numbers)
 */
public record Stability(OptimizerKind optimizer, StabilityQuantity quantity, double value, double threshold, String formula,
        double low, double high, long batches, long products, double sharpness, String note, String failure) {

    /** quantity ÷ threshold: 1 at the edge (NaN when the value is unknown). */
    public double ratio() {
        return value / threshold;
    }

    /** Whether the value has an interval. */
    public boolean hasInterval() {
        return !Double.isNaN(low) || !Double.isNaN(high);
    }
}
