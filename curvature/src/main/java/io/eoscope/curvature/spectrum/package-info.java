/**
 * The curvature beyond its top eigenvalues: the spectral density by stochastic Lanczos quadrature and the trace by
 * Hutch++, each with its error (docs/science.md#spectral-density, docs/science.md#trace).
 */
package io.eoscope.curvature.spectrum;
