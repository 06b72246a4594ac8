package io.eoscope.curvature.eigen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
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
                List<NDArray> basis = new ArrayList<>();
                List<Double> alphas = new ArrayList<>();
                List<Double> betas = new ArrayList<>();
                basis.add(start);
                double[] previous = null;
                while (true) {
                    double beta;
                    NDArray next;
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        NDArray q = basis.get(basis.size() - 1);
                        NDArray product = operator.apply(q.expandDims(0));
                        String problem = EigenCheck.productProblem(product, products + 1, products > 0);
                        products++;
                        if (problem != null) {
                            return EigenCheck.failed(problem, Vectors.nans(k), Vectors.nans(k), Vectors.nans(k),
                                    products, Vectors.keep(q.expandDims(0).duplicate(), manager));
                        }
                        NDArray w = product.get(0);
                        double alpha = Vectors.scalar(q.dot(w));
                        alphas.add(alpha);
                        for (int pass = 0; pass < 2; pass++) { // full reorthogonalisation, twice
                            for (NDArray b : basis) {
                                w = w.sub(b.mul(w.dot(b)));
                            }
                        }
                        beta = Vectors.scalar(w.norm());
                        next = Vectors.keep(beta > 0 ? w.div(beta) : w, work);
                    }
                    int m = alphas.size();
                    DenseSymmetricEigen ritz = DenseSymmetricEigen.of(tridiagonal(alphas, betas));
                    double scale = Math.abs(ritz.values()[0]);
                    int kk = Math.min(k, m);
                    double[] values = new double[kk];
                    double[] residuals = new double[kk];
                    for (int i = 0; i < kk; i++) {
                        values[i] = ritz.values()[i];
                        residuals[i] = Vectors.relativeResidual(Math.abs(beta * ritz.vectors()[i][m - 1]), values[i], scale);
                    }
                    boolean invariant = beta <= 1e-12 * Math.max(scale, 1e-300) || beta == 0;
                    boolean exhausted = basis.size() >= n; // T is then the whole operator: exact
                    boolean explored = m >= k + MIN_EXTRA_STEPS; // see MIN_EXTRA_STEPS
                    boolean done = kk == k && (explored && Vectors.converged(values, previous, residuals, options.tolerance())
                            || exhausted);
                    if (done || products >= options.maxProducts()) {
                        next.close();
                        NDArray vectors = ritzVectors(ritz, basis, kk, manager);
                        return EigenCheck.verified(operator, values, residuals, products, done, vectors,
                                options.tolerance());
                    }
                    previous = kk == k ? values : null;
                    if (invariant) { // an invariant subspace: continue with a fresh direction
                        next.close();
                        next = Vectors.orthonormalRows(
                                Vectors.gaussian(work, random, 1, n, operator.dataType()), basis, work, random).get(0);
                        Vectors.keep(next, work);
                        beta = 0;
                    }
                    if (basis.size() >= limit) { // restart from the current top-k Ritz directions
                        next.close();
                        NDArray ritzBlock = ritzVectors(ritz, basis, kk, work);
                        NDArray sum = ritzBlock.sum(new int[] {0});
                        start = sum.div(Vectors.scalar(sum.norm()));
                        for (NDArray b : basis) {
                            b.close();
                        }
                        ritzBlock.close();
                        sum.close();
                        break;
                    }
                    betas.add(beta);
                    basis.add(next);
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

    private static double[][] tridiagonal(List<Double> alphas, List<Double> betas) {
        int m = alphas.size();
        double[][] t = new double[m][m];
        for (int i = 0; i < m; i++) {
            t[i][i] = alphas.get(i);
            if (i + 1 < m) {
                t[i][i + 1] = betas.get(i);
                t[i + 1][i] = betas.get(i);
            }
        }
        return t;
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
