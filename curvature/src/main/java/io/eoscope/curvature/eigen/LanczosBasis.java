package io.eoscope.curvature.eigen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.List;

/**
 * One Lanczos sequence with full reorthogonalisation: the orthonormal basis q₁ … q_j of a Krylov space and
 * the tridiagonal projection T_j (α on the diagonal, β beside it). The caller computes the product A·q_j
 * (so that several sequences can share one block product) and hands it to {@link #absorb}; the step's
 * candidate next vector then waits until the caller {@link #accept}s it or replaces it. Shared by
 * {@link LanczosSolver} (top-k, with restarts) and the stochastic Lanczos quadrature of the spectral density.
 *
 * <p>The basis vectors belong to the work manager given at construction; {@link #close} frees them.
 */
public final class LanczosBasis implements AutoCloseable {
    private final NDManager work;
    private final List<NDArray> basis = new ArrayList<>();
    private final List<Double> alphas = new ArrayList<>();
    private final List<Double> betas = new ArrayList<>();
    private NDArray candidate;
    private double beta = Double.NaN;

    /**
     * @param start the first basis vector, of unit norm, a 1-d array of the operator's dimension; owned by
     *     this basis from now on (attached to {@code work})
     * @param work the manager that holds the basis
     */
    public LanczosBasis(NDArray start, NDManager work) {
        this.work = work;
        basis.add(Vectors.keep(start, work));
    }

    /** The last basis vector q_j, the one whose product {@link #absorb} expects. */
    public NDArray last() {
        return basis.get(basis.size() - 1);
    }

    /** The basis vectors q₁ … q_j (not copies). */
    public List<NDArray> vectors() {
        return basis;
    }

    /** j, the number of basis vectors (and of α's once the last one's product was absorbed). */
    public int size() {
        return basis.size();
    }

    /**
     * Takes w = A·q_j: α_j = q_jᵀw, then w is orthogonalised against every basis vector (twice, which keeps
     * the basis orthonormal to rounding in float32 as well), β_j = ‖w‖ and the candidate q_{j+1} = w/β_j.
     *
     * @param product A·q_j, a 1-d array
     * @return β_j, the norm of the new direction (0 or rounding-sized on an invariant subspace)
     */
    public double absorb(NDArray product) {
        NDArray q = last();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray w = product;
            alphas.add(Vectors.scalar(q.dot(w)));
            for (int pass = 0; pass < 2; pass++) { // full reorthogonalisation, twice
                for (NDArray b : basis) {
                    w = w.sub(b.mul(w.dot(b)));
                }
            }
            beta = Vectors.scalar(w.norm());
            candidate = Vectors.keep(beta > 0 ? w.div(beta) : w, work);
        }
        return beta;
    }

    /** α_j of the last {@link #absorb}. */
    public double alpha() {
        return alphas.get(alphas.size() - 1);
    }

    /** Appends the candidate q_{j+1} of the last {@link #absorb} with β_j beside the diagonal. */
    public void accept() {
        betas.add(beta);
        basis.add(candidate);
        candidate = null;
    }

    /**
     * Appends {@code unit} instead of the candidate, with β_j = 0: the Krylov space was invariant and the
     * sequence continues in a fresh direction (orthonormal to the basis, chosen by the caller).
     */
    public void acceptInstead(NDArray unit) {
        dropCandidate();
        betas.add(0.0);
        basis.add(Vectors.keep(unit, work));
    }

    /** Frees the candidate of the last {@link #absorb} (the sequence stops or restarts here). */
    public void dropCandidate() {
        if (candidate != null) {
            candidate.close();
            candidate = null;
        }
    }

    /** T_j, the j×j tridiagonal projection QᵀAQ over the absorbed steps. */
    public double[][] tridiagonal() {
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

    /** Frees the basis and the candidate. */
    @Override
    public void close() {
        dropCandidate();
        for (NDArray b : basis) {
            b.close();
        }
        basis.clear();
    }
}
