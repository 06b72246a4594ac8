/**
 * Files: the safetensors wire format ({@link io.eoscope.curvature.io.Safetensors}), and on top of
 * it the model and snapshot files ({@link io.eoscope.curvature.io.ModelFile}, docs/contracts.md#model-files)
 * and the dataset files ({@link io.eoscope.curvature.io.DatasetFile}, docs/contracts.md#dataset-files).
 *
 * <p>Every reader validates everything and reports bad input as an
 * {@link io.eoscope.curvature.io.InputException} whose message is one line,
 * {@code "<file>: <problem>"}; the command line prints it and exits with status 2. Every writer
 * replaces its target atomically ({@link io.eoscope.curvature.io.AtomicFiles}).
 */
package io.eoscope.curvature.io;
