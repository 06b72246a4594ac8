/** The MLP of SCIENCE.md section 1: architecture, activations, losses, host-side models and datasets, and their NDArray form on a device. */
package io.eoscope.curvature.net;
