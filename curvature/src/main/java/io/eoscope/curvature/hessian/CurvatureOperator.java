package io.eoscope.curvature.hessian;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.eigen.SymmetricOperator;
import io.eoscope.curvature.net.DifferentiableModel;

/**
 * 𝓗, G or H as a {@link SymmetricOperator} on ℝᴾ, or its diagonal block for one layer (for example
 * Gˡ, the layer-l block of G, on the Pₗ parameters of layer l).
 */
public final class CurvatureOperator implements SymmetricOperator {
    private final CurvatureProducts products;
    private final Curvature kind;
    private final long from;
    private final long to;

    private CurvatureOperator(CurvatureProducts products, Curvature kind, long from, long to) {
        this.products = products;
        this.kind = kind;
        this.from = from;
        this.to = to;
    }

    /** The whole operator. */
    public static CurvatureOperator of(CurvatureProducts products, Curvature kind) {
        return new CurvatureOperator(products, kind, 0, products.dimension());
    }

    /** The diagonal block of one parameter group (a layer). */
    public static CurvatureOperator block(CurvatureProducts products, Curvature kind, DifferentiableModel.ParameterGroup group) {
        return new CurvatureOperator(products, kind, group.from(), group.to());
    }

    @Override
    public long dimension() {
        return to - from;
    }

    @Override
    public DataType dataType() {
        return products.model().dataType();
    }

    @Override
    public NDArray apply(NDArray block) {
        return products.applyBlock(kind, block, from, to);
    }

    /** The tangent route pushes a small block's rows through the network together; double backward takes them one by one. */
    @Override
    public boolean batchesBlocks() {
        return products.batches(dimension(), dimension());
    }
}
