package io.eoscope.curvature.eigen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.eoscope.curvature.net.HostArrays;

/**
 * D A D for a symmetric operator A and a diagonal D: symmetric again, and with D = P^-½ it has the eigenvalues of
 * P⁻¹A (docs/science.md#other-optimizers). Each product scales the block by D, applies A and scales again, so a
 * solver, its warm starts and its checks work on it unchanged; one product of D A D is one product of A.
 */
public final class ScaledOperator implements SymmetricOperator, AutoCloseable {
    private final SymmetricOperator operator;
    private final NDArray scale;

    /**
     * @param scale D's diagonal (length n), uploaded in the operator's precision into a child of {@code manager};
     *     {@link #close()} frees it
     */
    public ScaledOperator(SymmetricOperator operator, double[] scale, NDManager manager) {
        if (scale.length != operator.dimension()) {
            throw new IllegalArgumentException("the diagonal has " + scale.length + " entries, the operator's dimension is "
                    + operator.dimension());
        }
        this.operator = operator;
        this.scale = HostArrays.upload(manager, scale, new Shape(1, scale.length), operator.dataType());
        NDScope.unregister(this.scale); // owned by this object
    }

    @Override
    public long dimension() {
        return operator.dimension();
    }

    @Override
    public boolean batchesBlocks() {
        return operator.batchesBlocks();
    }

    @Override
    public DataType dataType() {
        return operator.dataType();
    }

    /** D A D applied to each row of {@code block}; the result and the intermediates belong to the caller's scope. */
    @Override
    public NDArray apply(NDArray block) {
        return operator.apply(block.mul(scale)).mul(scale);
    }

    @Override
    public void close() {
        scale.close();
    }
}
