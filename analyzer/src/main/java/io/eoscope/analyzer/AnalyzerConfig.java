package io.eoscope.analyzer;

import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.net.Precision;

/**
 * What an analyzer computes and how it consumes. Validated on construction; messages name the option.
 *
 * @param analysisId names this analysis in the metrics keys ({@code run/step/analysisId})
 * @param options the analysis (spectra, k, tolerance, layerwise, subsample, …)
 * @param dtype auto, float32 or float64 (see {@link Precision}): auto analyses MLPs in float64 and TorchScript modules in
 *     their snapshot's precision
 * @param device auto, cpu or gpu
 * @param group the consumer group
 * @param lagPolicy {@code all} (every snapshot) or {@code latest} (skip to each run's newest when behind)
 */
public record AnalyzerConfig(String analysisId, AnalysisOptions options, String dtype, String device, String group,
        String lagPolicy) {

    /** The analysis precision. */
    public Precision precision() {
        return Precision.parse(dtype, "--analysis-dtype");
    }

    /** Validates. */
    public AnalyzerConfig {
        if (analysisId == null || !analysisId.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new IllegalArgumentException("--analysis-id must be 1-100 letters, digits, '.', '_' or '-', got '" + analysisId + "'");
        }
        Precision.parse(dtype, "--analysis-dtype");
        io.eoscope.curvature.net.DeviceChoice.parse(device);
        if (group == null || group.isBlank()) {
            throw new IllegalArgumentException("--group must not be empty");
        }
        if (!lagPolicy.equals("all") && !lagPolicy.equals("latest")) {
            throw new IllegalArgumentException("--lag-policy must be all or latest, got '" + lagPolicy + "'");
        }
    }
}
