/** Matrix-free eigen-solvers for the top-k eigenpairs by magnitude (block power iteration with QR, Lanczos with full reorthogonalisation), warm-startable (docs/science.md#eigenvalues). */
package io.eoscope.curvature.eigen;
