package io.eoscope.launcher;

import io.eoscope.analyzer.AnalyzerConfig;
import io.eoscope.curvature.alignment.LayerSpectraRoute;
import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.analysis.BatchSharpness;
import io.eoscope.curvature.hessian.Curvature;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import io.eoscope.curvature.analysis.BeyondTopOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The analysis options of the analyzer service, the demo and replay. */
final class ServiceOptions {
    @Option(names = "--analysis-id", defaultValue = "default", description = "names the analysis in metrics keys (default: ${DEFAULT-VALUE})")
    String analysisId;

    @Option(names = "--top-k", defaultValue = "1", description = "eigenvalues per spectrum (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--tol", defaultValue = "1e-4", description = "eigen-solver tolerance (default: ${DEFAULT-VALUE})")
    double tol;

    @Option(names = "--spectra", defaultValue = "hessian,gauss_newton,residual", split = ",", description = "which spectra (default: all)")
    Set<String> spectra;

    @Option(names = "--no-layerwise", description = "skip the layerwise alignment quantities")
    boolean noLayerwise;

    @Option(names = "--subsample", defaultValue = "0", description = "per-sample means over a seeded subsample (default: all samples)")
    int subsample;

    @Option(names = "--batch-tol", defaultValue = "0.01", description = "batch sharpness of mini-batch runs: stop when the 95%% interval's half-width is at most this fraction of the estimate (default: ${DEFAULT-VALUE})")
    double batchTolerance;

    @Option(names = "--max-batches", defaultValue = "500", description = "batch sharpness: the most batches of one estimate (default: ${DEFAULT-VALUE})")
    int maxBatches;

    @Option(names = "--analysis-dtype", defaultValue = "auto", description = "auto, float32 or float64: auto analyses MLPs in float64 and TorchScript modules in their snapshot's precision (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--group", defaultValue = "eos-analyzers", description = "consumer group (default: ${DEFAULT-VALUE})")
    String group;

    @Mixin
    BeyondTopCli beyondTop;

    @Option(names = "--density-trace-every", paramLabel = "K", defaultValue = "" + BeyondTopOptions.DEFAULT_EVERY,
            description = "the density and the traces on every K-th snapshot of a run, the first included; 1: every "
                    + "snapshot (default: ${DEFAULT-VALUE})")
    int densityTraceEvery;

    @Option(names = "--lag-policy", defaultValue = "all", description = "all (every snapshot) or latest (each run's newest when behind) (default: ${DEFAULT-VALUE})")
    String lagPolicy;

    private AnalyzerConfig build() {
        Set<Curvature> kinds = EnumSet.noneOf(Curvature.class);
        for (String s : spectra) {
            String id = s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
            Curvature match = null;
            for (Curvature c : Curvature.values()) {
                if (c.id().equals(id)) {
                    match = c;
                }
            }
            if (match == null) {
                throw new UsageException("--spectra: unknown spectrum '" + s + "' (expected hessian, gauss_newton, residual)");
            }
            kinds.add(match);
        }
        AnalysisOptions d = AnalysisOptions.defaults();
        AnalysisOptions options = new AnalysisOptions(topK, tol, d.solver(), kinds, !noLayerwise, d.chunkSize(), subsample,
                LayerSpectraRoute.AUTO, d.dualGramLimit(), d.maxProducts(), d.seed(),
                new BatchSharpness.Options(batchTolerance, BatchSharpness.Options.LEAST_BATCHES, maxBatches),
                beyondTop.options(densityTraceEvery, d.seed()));
        return new AnalyzerConfig(analysisId, options, dtype, device, group, lagPolicy);
    }

    /** The validated configuration; a bad option is a {@link UsageException} naming it. */
    AnalyzerConfig config() {
        return UsageException.fromOptions(this::build);
    }
}
