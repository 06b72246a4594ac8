/** Layerwise Jacobians and the alignment quantities of docs/science.md#layerwise-alignment, per layer and in total, with the exact dual-Gram route of Lemma A. */
package io.eoscope.curvature.alignment;
