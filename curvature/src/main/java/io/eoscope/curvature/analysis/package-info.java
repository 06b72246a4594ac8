/** One analysis of a model on a dataset: loss, spectra and alignment, and its JSON form (docs/contracts.md#eos-analyze-json). */
package io.eoscope.curvature.analysis;
