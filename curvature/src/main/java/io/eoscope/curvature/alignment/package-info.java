/** Layerwise Jacobians and the alignment quantities of SCIENCE.md section 6, per layer and in total, with the exact dual-Gram route of Lemma A. */
package io.eoscope.curvature.alignment;
