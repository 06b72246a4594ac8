package io.eoscope.curvature.alignment;

import java.util.List;

/**
 * The per-sample alignment quantities of docs/science.md#layerwise-alignment, in total and per layer.
 *
 * @param kMaxSqMean E‖K‖²_max over the samples analysed
 * @param samples how many samples the per-sample means used (N, or the subsample size)
 * @param layers per layer, l = 1 … L
 * @param layerSpectraRoute {@code dual_gram} or {@code operator}: how λ_max(Gˡ) was computed
 */
public record AlignmentReport(double kMaxSqMean, int samples, List<LayerAlignment> layers, String layerSpectraRoute) {}
