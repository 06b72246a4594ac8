package io.eoscope.trainer.solve;

import ai.djl.ndarray.NDArray;
import io.eoscope.curvature.eigen.EigenResult;

/**
 * The exponential Euler update of docs/science.md#solvers: with the top k eigenpairs (λᵐ, vᵐ), cᵐ = g·vᵐ,
 * w = g − Σ cᵐvᵐ, rᵐ = min((1 − e^(−λᵐΔt))/λᵐ, Δt):  θ ← θ − Σ rᵐcᵐvᵐ − Δt·w. Along each stiff
 * direction the linearised flow is integrated exactly; the rest takes an explicit Euler step.
 */
final class ExponentialEuler {
    private ExponentialEuler() {}

    /** θ after one step of length {@code dt}, using the first {@code k} eigenpairs of {@code eigen}. */
    static NDArray update(NDArray theta, NDArray gradient, EigenResult eigen, int k, double dt) {
        NDArray rest = gradient;
        NDArray stiff = gradient.zerosLike();
        for (int m = 0; m < k; m++) {
            NDArray v = eigen.vectors().get(m);
            double c = io.eoscope.curvature.net.HostArrays.scalar(v.dot(gradient));
            rest = rest.sub(v.mul(c));
            stiff = stiff.add(v.mul(c * weight(eigen.eigenvalues()[m], dt)));
        }
        return theta.sub(stiff).sub(rest.mul(dt));
    }

    /** rᵐ = min((1 − e^(−λΔt))/λ, Δt), with its limit Δt at λ = 0. */
    static double weight(double lambda, double dt) {
        double x = lambda * dt;
        double r = Math.abs(x) < 1e-12 ? dt : -Math.expm1(-x) / lambda;
        return Math.min(r, dt);
    }
}
