package io.eoscope.curvature.analysis;

import io.eoscope.curvature.alignment.LayerSpectraRoute;
import io.eoscope.curvature.alignment.LayerwiseAlignment;
import io.eoscope.curvature.eigen.EigenOptions;
import io.eoscope.curvature.eigen.EigenSolver;
import io.eoscope.curvature.hessian.Curvature;
import java.util.EnumSet;
import java.util.Set;

/**
 * What one analysis computes. Validated on construction; messages name the offending option.
 *
 * @param topK k eigenvalues of each spectrum (by magnitude)
 * @param tolerance relative tolerance of every eigen-solve (see {@link EigenOptions})
 * @param solver {@code lanczos} (default) or {@code power}
 * @param spectra which of 𝓗, G, H to compute
 * @param layerwise whether to compute the alignment quantities (docs/science.md#layerwise-alignment)
 * @param chunkSize samples per chunk of every whole-dataset sum
 * @param subsample samples used for per-sample means (0: all)
 * @param layerSpectra how λ_max(Gˡ) is computed
 * @param dualGramLimit largest N·C for the dual Gram route under {@code auto}
 * @param maxProducts product budget of each eigen-solve
 * @param seed seed of start vectors, subsample and batches
 * @param batchSharpness when the Monte Carlo estimate of a mini-batch run's batch sharpness stops
 * @param beyondTop the spectral density and the traces, and how often
 */
public record AnalysisOptions(int topK, double tolerance, String solver, Set<Curvature> spectra, boolean layerwise,
        int chunkSize, int subsample, LayerSpectraRoute layerSpectra, int dualGramLimit, long maxProducts, long seed,
        BatchSharpness.Options batchSharpness, BeyondTopOptions beyondTop) {

    /** Options without the density and the traces. */
    public AnalysisOptions(int topK, double tolerance, String solver, Set<Curvature> spectra, boolean layerwise,
            int chunkSize, int subsample, LayerSpectraRoute layerSpectra, int dualGramLimit, long maxProducts, long seed,
            BatchSharpness.Options batchSharpness) {
        this(topK, tolerance, solver, spectra, layerwise, chunkSize, subsample, layerSpectra, dualGramLimit, maxProducts, seed,
                batchSharpness, BeyondTopOptions.none());
    }

    /** Options with the default batch-sharpness estimate ({@link BatchSharpness.Options#defaults()}). */
    public AnalysisOptions(int topK, double tolerance, String solver, Set<Curvature> spectra, boolean layerwise,
            int chunkSize, int subsample, LayerSpectraRoute layerSpectra, int dualGramLimit, long maxProducts, long seed) {
        this(topK, tolerance, solver, spectra, layerwise, chunkSize, subsample, layerSpectra, dualGramLimit, maxProducts, seed,
                BatchSharpness.Options.defaults());
    }

    /** Validates. */
    public AnalysisOptions {
        if (topK < 1) {
            throw new IllegalArgumentException("--top-k must be at least 1, got " + topK);
        }
        if (!(tolerance > 0 && tolerance < 1)) {
            throw new IllegalArgumentException("--tol must be in (0, 1), got " + tolerance);
        }
        EigenSolver.named(solver);
        if (chunkSize < 1) {
            throw new IllegalArgumentException("--chunk-size must be at least 1, got " + chunkSize);
        }
        if (subsample < 0) {
            throw new IllegalArgumentException("--subsample must be ≥ 0 (0: every sample), got " + subsample);
        }
        if (dualGramLimit < 0) {
            throw new IllegalArgumentException("--dual-gram-limit must be ≥ 0, got " + dualGramLimit);
        }
        if (maxProducts < topK) {
            throw new IllegalArgumentException("--max-products must be at least --top-k, got " + maxProducts);
        }
        spectra = Set.copyOf(spectra);
        if (batchSharpness == null) {
            throw new IllegalArgumentException("the batch-sharpness options are required");
        }
        if (beyondTop == null) {
            throw new IllegalArgumentException("the density and trace options are required (BeyondTopOptions.none() for neither)");
        }
    }

    /**
     * The defaults: k = 1, tolerance 1e-4, Lanczos, all spectra, layerwise, chunks of 1,000; batch sharpness to a 95%
     * interval of ±1% in 10 to 500 batches.
     */
    public static AnalysisOptions defaults() {
        return new AnalysisOptions(1, 1e-4, "lanczos", EnumSet.allOf(Curvature.class), true, 1000, 0,
                LayerSpectraRoute.AUTO, 2048, 5000, 0);
    }

    /** The eigen-solver options of one spectrum. */
    public EigenOptions eigenOptions() {
        return new EigenOptions(topK, tolerance, maxProducts, seed);
    }

    /** The options of the alignment computation. */
    public LayerwiseAlignment.Options alignmentOptions() {
        return new LayerwiseAlignment.Options(subsample, seed, tolerance, layerSpectra, dualGramLimit, chunkSize);
    }

    /** A copy with another k and tolerance. */
    public AnalysisOptions with(int newTopK, double newTolerance) {
        return new AnalysisOptions(newTopK, newTolerance, solver, spectra, layerwise, chunkSize, subsample,
                layerSpectra, dualGramLimit, maxProducts, seed, batchSharpness, beyondTop);
    }

    /** A copy with another batch-sharpness estimate. */
    public AnalysisOptions with(BatchSharpness.Options newBatchSharpness) {
        return new AnalysisOptions(topK, tolerance, solver, spectra, layerwise, chunkSize, subsample, layerSpectra,
                dualGramLimit, maxProducts, seed, newBatchSharpness, beyondTop);
    }

    /** A copy with another density and traces. */
    public AnalysisOptions with(BeyondTopOptions newBeyondTop) {
        return new AnalysisOptions(topK, tolerance, solver, spectra, layerwise, chunkSize, subsample, layerSpectra,
                dualGramLimit, maxProducts, seed, batchSharpness, newBeyondTop);
    }
}
