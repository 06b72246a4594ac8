package io.eoscope.curvature.analysis;

import io.eoscope.curvature.spectrum.TraceEstimate;
import java.util.List;

/**
 * The traces of one analysis (docs/science.md#trace): tr(𝓗) by Hutch++, tr(G) and each layer's tr(Gˡ) exactly for an
 * MLP and by Hutch++ for any other model.
 *
 * @param hessian tr(𝓗), or null when the Hessian was not asked for
 * @param gaussNewton tr(G), or null when G was not asked for
 * @param gradientEquivalents full-dataset backward passes an exact tr(G) cost (C), 0 when estimated
 * @param layers tr(Gˡ) of each layer or parameter group, in the order of θ (empty when G was not asked for)
 */
public record Traces(TraceEstimate hessian, TraceEstimate gaussNewton, long gradientEquivalents, List<LayerTrace> layers) {

    /** Copies. */
    public Traces {
        layers = List.copyOf(layers);
    }

    /**
     * The trace of one layer's Gauss-Newton block.
     *
     * @param layer the layer's number, 1 first (an MLP's), or 0 for a parameter group of another model
     * @param group the group's name (a TorchScript model's layer), or null for an MLP's layer
     * @param trace tr(Gˡ)
     */
    public record LayerTrace(int layer, String group, TraceEstimate trace) {
    }

    /** tr(G)/tr(𝓗), NaN unless both are known. */
    public double gaussNewtonShare() {
        return hessian == null || gaussNewton == null ? Double.NaN : gaussNewton.value() / hessian.value();
    }

    /** The first trace that failed, as "what: why", or null. */
    public String failure() {
        if (hessian != null && hessian.failed()) {
            return "tr(𝓗): " + hessian.failure();
        }
        if (gaussNewton != null && gaussNewton.failed()) {
            return "tr(G): " + gaussNewton.failure();
        }
        for (LayerTrace l : layers) {
            if (l.trace().failed()) {
                return "tr(G) of layer " + (l.group() == null ? String.valueOf(l.layer()) : l.group()) + ": " + l.trace().failure();
            }
        }
        return null;
    }
}
