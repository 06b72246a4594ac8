/**
 * The optimizers people train with and each one's own edge of stability (docs/science.md#other-optimizers): their
 * settings as PyTorch names them, the quantity whose growth they limit, its threshold, and the names under which a
 * snapshot carries their state.
 */
package io.eoscope.curvature.optim;
