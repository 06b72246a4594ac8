package io.eoscope.curvature.analysis;

/**
 * λ_max of the Gauss-Newton block of one parameter group (a layer of a TorchScript module): the
 * layerwise quantity every differentiable model has. An MLP reports it as {@code layers[].gauss_newton_top}.
 *
 * @param group the group's name ({@code conv1})
 * @param parameters its number of parameters
 * @param gaussNewtonTop λ_max of the block, NaN when it could not be computed
 * @param residual ‖Gv − λv‖/|λ| from one fresh product after the solve
 * @param converged whether the solve met its tolerance and the check passed
 * @param products operator products its solve used
 * @param failure why it could not be computed, or null
 */
public record GroupCurvature(String group, long parameters, double gaussNewtonTop, double residual, boolean converged,
        long products, String failure) {}
