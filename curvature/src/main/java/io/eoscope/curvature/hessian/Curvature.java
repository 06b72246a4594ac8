package io.eoscope.curvature.hessian;

import ai.djl.ndarray.NDArray;
import io.eoscope.curvature.net.Loss;

/**
 * The three curvature operators of docs/science.md#hessian-decomposition, each the Hessian of a scalar objective
 * built from the logits z = f(x, θ), so that one exact Hessian-vector-product primitive serves all.
 */
public enum Curvature {
    /** 𝓗 = ∇²L̃: the objective is the loss itself. */
    HESSIAN("hessian"),
    /** G = E[JᵀSJ]: the objective l(f) − ⟨stopgrad ∇_z l, f⟩, whose Hessian drops the ∇²f terms. */
    GAUSS_NEWTON("gauss_newton"),
    /** H = 𝓗 − G: the objective ⟨stopgrad ∇_z l, f⟩, whose Hessian keeps only the ∇²f terms. */
    RESIDUAL("residual");

    private final String id;

    Curvature(String id) {
        this.id = id;
    }

    /** The name used in the analysis JSON. */
    public String id() {
        return id;
    }

    /** Σ over the chunk of the per-sample objective whose Hessian in θ is this operator's. */
    NDArray objective(Loss loss, NDArray logits, NDArray oneHot) {
        if (this == HESSIAN) {
            return loss.perSample(logits, oneHot).sum();
        }
        NDArray c = loss.outputGradient(logits.stopGradient(), oneHot);
        NDArray linear = c.mul(logits).sum();
        return this == RESIDUAL ? linear : loss.perSample(logits, oneHot).sum().sub(linear);
    }
}
