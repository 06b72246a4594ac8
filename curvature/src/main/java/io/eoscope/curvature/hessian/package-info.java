/** Exact matrix-free products with the Hessian, its Gauss-Newton part and its residual part, all from one double-backward Hessian-vector-product primitive (SCIENCE.md section 2). */
package io.eoscope.curvature.hessian;
