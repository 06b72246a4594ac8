/** One analysis of a model on a dataset: loss, spectra and alignment, and its JSON form (CONTRACTS.md section 4). */
package io.eoscope.curvature.analysis;
