package io.eoscope.curvature.eigen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.List;
import java.util.Random;

/**
 * Lanczos with full reorthogonalisation, one product per step. The Ritz values of the tridiagonal
 * projection are checked after every step by the rule of {@link EigenOptions}; the residual of a Ritz
 * pair is |β_j·y_j| (exact under full reorthogonalisation). When the basis reaches its size limit the
 * iteration restarts from the sum of the current top-k Ritz vectors. A warm start begins from the sum
 * of the given vectors plus a small random part, so that the Krylov space is not trapped in their span.
 */
public final class LanczosSolver implements EigenSolver {
    private final int maxBasis;
    /**
     * Krylov steps beyond k before the stopping rule may fire. A warm start lies almost in the span of
     * the previous eigenvectors, where the Ritz values settle at once, so without a few steps into other
     * directions the solver can stop on eigenvalues that are no longer the top ones (seen when an
     * eigenvalue overtook the previous top between two steps of a run).
     */
    static final int MIN_EXTRA_STEPS = 4;
    /** Size of the random part of a warm start, relative to the sum of the given vectors. */
    static final double WARM_NOISE = 0.1;

    /** A solver whose basis holds at most 64 vectors before it restarts. */
    public LanczosSolver() {
        this(64);
    }

    /** @param maxBasis the most basis vectors kept before a restart (memory: maxBasis·n values) */
    public LanczosSolver(int maxBasis) {
        if (maxBasis < 2) {
            throw new IllegalArgumentException("Lanczos basis must hold at least 2 vectors");
        }
        this.maxBasis = maxBasis;
    }

    @Override
    public EigenResult solve(SymmetricOperator operator, EigenOptions options, NDArray warmStart, NDManager manager) {
        int k = options.count();
        long n = operator.dimension();
        if (k > n) {
            throw new IllegalArgumentException("top-k " + k + " exceeds the dimension " + n);
        }
        int limit = (int) Math.min(n, Math.max(maxBasis, k + 2));
        Random random = new Random(options.seed());
        long products = 0;
        // every temporary of the solve is freed when it returns (those made from a warm start would
        // otherwise belong to the warm start's long-lived manager); only the result is kept
        try (NDScope solveScope = new NDScope();
                NDManager work = manager.newSubManager()) {
            solveScope.suppressNotUsedWarning();
            NDArray start = startVector(operator, warmStart, work, random);
            while (true) { // one pass per restart
                LanczosBasis lanczos = new LanczosBasis(start, work);
                double[] previous = null;
                while (true) {
                    double beta;
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        NDArray q = lanczos.last();
                        NDArray product = operator.apply(q.expandDims(0));
                        String problem = EigenCheck.productProblem(product, products + 1, products > 0);
                        products++;
                        if (problem != null) {
                            return EigenCheck.failed(problem, k, products, Vectors.keep(q.expandDims(0).duplicate(), manager));
                        }
                        beta = lanczos.absorb(product.get(0));
                    }
                    int m = lanczos.size();
                    DenseSymmetricEigen ritz = DenseSymmetricEigen.of(lanczos.tridiagonal());
                    double scale = Math.abs(ritz.values()[0]);
                    int kk = Math.min(k, m);
                    double[] values = new double[kk];
                    double[] residuals = new double[kk];
                    for (int i = 0; i < kk; i++) {
                        values[i] = ritz.values()[i];
                        residuals[i] = Vectors.relativeResidual(Math.abs(beta * ritz.vectors()[i][m - 1]), values[i], scale);
                    }
                    boolean invariant = beta <= 1e-12 * Math.max(scale, 1e-300) || beta == 0;
                    boolean exhausted = lanczos.size() >= n; // T is then the whole operator: exact
                    boolean explored = m >= k + MIN_EXTRA_STEPS; // see MIN_EXTRA_STEPS
                    boolean done = kk == k && (explored && Vectors.converged(values, previous, residuals, options.tolerance())
                            || exhausted);
                    if (done || products >= options.maxProducts()) {
                        lanczos.dropCandidate();
                        NDArray vectors = ritzVectors(ritz, lanczos.vectors(), kk, manager);
                        // the (k+1)-th Ritz value and its residual |β·y_m|: the gap below the k-th, for Kato–Temple
                        EigenCheck.Neighbour next = m > kk
                                ? new EigenCheck.Neighbour(ritz.values()[kk], Math.abs(beta * ritz.vectors()[kk][m - 1]))
                                : EigenCheck.Neighbour.UNKNOWN;
                        return EigenCheck.verified(operator, values, residuals, products, done, vectors,
                                options.tolerance(), next);
                    }
                    previous = kk == k ? values : null;
                    if (lanczos.size() >= limit) { // restart from the current top-k Ritz directions
                        NDArray ritzBlock = ritzVectors(ritz, lanczos.vectors(), kk, work);
                        NDArray sum = ritzBlock.sum(new int[] {0});
                        start = sum.div(Vectors.scalar(sum.norm()));
                        lanczos.close();
                        ritzBlock.close();
                        sum.close();
                        break;
                    }
                    if (invariant) { // an invariant subspace: continue with a fresh direction
                        lanczos.acceptInstead(Vectors.orthonormalRows(
                                Vectors.gaussian(work, random, 1, n, operator.dataType()), lanczos.vectors(), work, random)
                                .get(0));
                    } else {
                        lanczos.accept();
                    }
                }
            }
        }
    }

    private static NDArray startVector(SymmetricOperator operator, NDArray warmStart, NDManager work, Random random) {
        NDArray noise = Vectors.gaussian(work, random, 1, operator.dimension(), operator.dataType());
        NDArray v = noise.get(0);
        if (warmStart != null) {
            NDArray warm = warmStart.toType(operator.dataType(), false);
            NDArray rows = warm.div(warm.norm(new int[] {1}, true));
            NDArray sum = rows.sum(new int[] {0});
            double size = Vectors.scalar(sum.norm());
            v = sum.add(v.mul(WARM_NOISE * size / Vectors.scalar(v.norm())));
        }
        NDArray unit = v.div(Vectors.scalar(v.norm()));
        unit.attach(work);
        return unit;
    }

    private static NDArray ritzVectors(DenseSymmetricEigen ritz, List<NDArray> basis, int count, NDManager owner) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList rows = new NDList(count);
            for (int i = 0; i < count; i++) {
                NDArray u = basis.get(0).mul(ritz.vectors()[i][0]);
                for (int j = 1; j < basis.size(); j++) {
                    u = u.add(basis.get(j).mul(ritz.vectors()[i][j]));
                }
                rows.add(u);
            }
            return Vectors.keep(NDArrays.stack(rows), owner);
        }
    }
}
