package io.eoscope.curvature.eigen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** Computes the top-k eigenpairs by magnitude of a symmetric operator, matrix-free. */
public interface EigenSolver {

    /**
     * @param operator the operator
     * @param options k, tolerance, budget, seed
     * @param warmStart start vectors as rows [m, n] (for example the previous snapshot's eigenvectors),
     *     or null for a random start
     * @param manager owns the returned eigenvectors
     */
    EigenResult solve(SymmetricOperator operator, EigenOptions options, NDArray warmStart, NDManager manager);

    /**
     * The solver for {@code operator} when {@code name} is asked for: {@link DenseSolver} instead of Lanczos, the default,
     * for an operator of at most {@link DenseSolver#LIMIT} dimensions whose block products are batched (exact, and cheaper
     * than a dozen separate products); otherwise the solver named. {@code power} is always block power.
     */
    static EigenSolver forOperator(String name, SymmetricOperator operator) {
        EigenSolver named = named(name);
        return named instanceof LanczosSolver && operator.dimension() <= DenseSolver.LIMIT && operator.batchesBlocks()
                ? new DenseSolver() : named;
    }

    /** The solver named on the command line: {@code lanczos} or {@code power}. */
    static EigenSolver named(String name) {
        switch (name) {
            case "lanczos":
                return new LanczosSolver();
            case "power":
                return new BlockPowerSolver();
            default:
                throw new IllegalArgumentException("unknown eigen-solver '" + name + "' (expected lanczos or power)");
        }
    }
}
