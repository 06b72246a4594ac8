package io.eoscope.curvature.eigen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * A + c·I for a symmetric operator A and a shift c ≥ 0: the same eigenvectors, every eigenvalue raised by c. With c
 * the magnitude of A's most negative eigenvalue, every eigenvalue of A + c·I is ≥ 0, so the one of largest magnitude
 * is λmax(A) + c: how {@link #largestAlgebraic} finds λmax when the eigenvalue of largest magnitude is negative.
 */
public final class ShiftedOperator implements SymmetricOperator {
    private final SymmetricOperator operator;
    private final double shift;

    /** A + {@code shift}·I. */
    public ShiftedOperator(SymmetricOperator operator, double shift) {
        if (!(shift >= 0) || !Double.isFinite(shift)) {
            throw new IllegalArgumentException("the shift must be a finite number ≥ 0, got " + shift);
        }
        this.operator = operator;
        this.shift = shift;
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

    @Override
    public NDArray apply(NDArray block) {
        return operator.apply(block).add(block.mul(shift));
    }

    /**
     * λmax of {@code op} (the largest, not the largest in magnitude), given its top eigenvalue by magnitude
     * {@code top}: {@code top} itself when it is ≥ 0, else the top of op + |top|·I, less |top|, by a cold solve.
     *
     * @return {eigenvalue, products of the second solve (0 when none)}; the eigenvalue NaN when that solve failed
     */
    public static double[] largestAlgebraic(SymmetricOperator op, double top, EigenSolver solver, EigenOptions options,
            NDManager manager) {
        if (!(top < 0)) {
            return new double[] {top, 0};
        }
        EigenResult r = solver.solve(new ShiftedOperator(op, -top), options, null, manager);
        try {
            return new double[] {r.failed() ? Double.NaN : r.eigenvalues()[0] + top, r.products()};
        } finally {
            r.vectors().close();
        }
    }
}
