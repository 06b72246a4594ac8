package io.eoscope.curvature.eigen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** A symmetric linear operator on ℝⁿ, applied to blocks of vectors stored as rows. */
public interface SymmetricOperator {

    /** n. */
    long dimension();

    /** The precision of the vectors the operator takes. */
    DataType dataType();

    /** A applied to each row of {@code block} [k, n]; returns [k, n]. */
    NDArray apply(NDArray block);

    /**
     * Whether a block of k rows costs about one product rather than k (the rows go through the engine together), so
     * that a small operator's whole matrix is cheap ({@link DenseSolver}). False unless the operator knows it.
     */
    default boolean batchesBlocks() {
        return false;
    }
}
