/** The MLP of docs/science.md#network-and-loss: architecture, activations, losses, host-side models and datasets, and their NDArray form on a device. */
package io.eoscope.curvature.net;
