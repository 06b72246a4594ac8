/** Exact matrix-free products with the Hessian, its Gauss-Newton part and its residual part, all from one double-backward Hessian-vector-product primitive (docs/science.md#hessian-decomposition). */
package io.eoscope.curvature.hessian;
