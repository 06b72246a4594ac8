package io.eoscope.curvature.spectrum;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.eigen.DenseSymmetricEigen;
import io.eoscope.curvature.eigen.EigenCheck;
import io.eoscope.curvature.eigen.LanczosBasis;
import io.eoscope.curvature.eigen.SymmetricOperator;
import io.eoscope.curvature.eigen.Vectors;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The spectral density of a symmetric operator by stochastic Lanczos quadrature (Golub and Meurant; Lin, Saad and
 * Yang 2016; Ubaru, Chen and Saad 2017). For each of n_v random unit probes v, m Lanczos steps from v (full
 * reorthogonalisation, {@link LanczosBasis}) give the tridiagonal T_m = Y Θ Yᵀ; the Gauss quadrature of the probe's
 * spectral measure Σ_i (u_iᵀv)² δ(λ − λ_i) has the Ritz values θ_k as nodes and (Y_{1k})² as weights. Averaged
 * over the probes (weights / n_v) they estimate the spectral measure (1/P) Σ_i δ(λ − λ_i): the quadrature matches its
 * first 2m − 1 moments for each probe, and E[(u_iᵀv)²] = 1/P.
 *
 * <p>Probes are Rademacher vectors scaled to unit norm (±1/√P), not Gaussian ones: their norm is exactly 1, so the
 * weights carry no extra randomness from normalisation, and the variance of a quadratic form vᵀf(A)v is
 * 2Σ_{i≠j} f(A)_ij² for Rademacher against 2‖f(A)‖_F² for Gaussian vectors — never larger (the choice of Ubaru, Chen
 * and Saad's analysis and of PyHessian).
 *
 * <p>A probe whose Krylov space becomes invariant (β_j below 100·ε·‖A q‖, ε the precision's unit roundoff) stops
 * there: its j nodes are then the exact eigenvalues of A that v touches, and further steps would only add rounding.
 * Such a probe contributes fewer than m nodes, so {@link SpectralDensity#nodes} holds at most n_v·m values (never more
 * than n per probe). When the operator batches blocks ({@link SymmetricOperator#batchesBlocks}, a small model) the
 * probes advance together, one block product per step; otherwise one at a time, so that only one probe's basis (m
 * vectors) is held at once. A non-finite or inconsistent product ({@link EigenCheck#productProblem}) or a failed
 * decomposition of T makes the estimate a failure with its reason, never a density.
 */
public final class StochasticLanczosQuadrature {
    /** β_j at most this many unit roundoffs of ‖A q_j‖ means the probe's Krylov space is invariant. */
    static final double INVARIANT = 100;

    private StochasticLanczosQuadrature() {}

    /**
     * @param operator the operator (𝓗, G, …)
     * @param options n_v, m and the seed (the same seed gives the same probes, whether or not blocks are batched)
     * @param manager the parent of the estimate's temporaries (all freed before it returns)
     * @return the nodes and weights of all probes, or a failure with its reason; products counts single-vector
     *     products
     */
    public static SpectralDensity estimate(SymmetricOperator operator, DensityOptions options, NDManager manager) {
        long n = operator.dimension();
        int steps = (int) Math.min(options.steps(), n); // after n steps the Krylov space is the whole space
        int group = operator.batchesBlocks() ? options.probes() : 1;
        double epsilon = operator.dataType() == DataType.FLOAT64 ? 0x1p-53 : 0x1p-24;
        Random random = new Random(options.seed());
        List<Double> nodes = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        long products = 0;
        try (NDScope estimateScope = new NDScope();
                NDManager work = manager.newSubManager()) {
            estimateScope.suppressNotUsedWarning();
            for (int first = 0; first < options.probes(); first += group) {
                int count = Math.min(group, options.probes() - first);
                List<LanczosBasis> probes = new ArrayList<>(count);
                try {
                    for (int p = 0; p < count; p++) {
                        NDArray v = Vectors.rademacher(work, random, 1, n, 1 / Math.sqrt(n), operator.dataType()).get(0);
                        probes.add(new LanczosBasis(v, work));
                    }
                    boolean[] active = new boolean[count];
                    java.util.Arrays.fill(active, true);
                    for (int j = 0; j < steps; j++) {
                        List<Integer> going = new ArrayList<>();
                        for (int p = 0; p < count; p++) {
                            if (active[p]) {
                                going.add(p);
                            }
                        }
                        if (going.isEmpty()) {
                            break;
                        }
                        try (NDScope scope = new NDScope()) {
                            scope.suppressNotUsedWarning();
                            NDList block = new NDList(going.size());
                            for (int p : going) {
                                block.add(probes.get(p).last());
                            }
                            NDArray product = operator.apply(NDArrays.stack(block));
                            String problem = EigenCheck.productProblem(product, products + 1, products > 0);
                            products += going.size();
                            if (problem != null) {
                                return SpectralDensity.failed(options.probes(), options.steps(), products, problem);
                            }
                            for (int r = 0; r < going.size(); r++) {
                                LanczosBasis lanczos = probes.get(going.get(r));
                                double beta = lanczos.absorb(product.get(r));
                                double size = Math.hypot(lanczos.alpha(), beta); // ≤ ‖A q_j‖
                                if (j == steps - 1 || beta <= INVARIANT * epsilon * size) {
                                    lanczos.dropCandidate();
                                    active[going.get(r)] = false;
                                } else {
                                    lanczos.accept();
                                }
                            }
                        }
                    }
                    for (LanczosBasis lanczos : probes) {
                        quadrature(lanczos.tridiagonal(), options.probes(), nodes, weights);
                    }
                } catch (ArithmeticException e) {
                    return SpectralDensity.failed(options.probes(), options.steps(), products,
                            "the Lanczos tridiagonal could not be decomposed: " + e.getMessage());
                } finally {
                    for (LanczosBasis lanczos : probes) {
                        lanczos.close();
                    }
                }
            }
        }
        return new SpectralDensity(options.probes(), options.steps(), products, unbox(nodes), unbox(weights), null);
    }

    /** The Gauss quadrature of one probe: nodes θ_k (eigenvalues of T), weights (Y_{1k})²/‖Y_k‖² divided by n_v. */
    static void quadrature(double[][] tridiagonal, int probes, List<Double> nodes, List<Double> weights) {
        DenseSymmetricEigen eig = DenseSymmetricEigen.of(tridiagonal);
        for (int k = 0; k < eig.values().length; k++) {
            double[] y = eig.vectors()[k];
            double norm = 0;
            for (double c : y) {
                norm += c * c;
            }
            nodes.add(eig.values()[k]);
            weights.add(y[0] * y[0] / norm / probes);
        }
    }

    private static double[] unbox(List<Double> values) {
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }
}
