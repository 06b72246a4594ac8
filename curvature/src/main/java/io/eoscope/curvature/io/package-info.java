/** The safetensors wire format and the model, snapshot and dataset files of CONTRACTS.md sections 2 and 3. */
package io.eoscope.curvature.io;
