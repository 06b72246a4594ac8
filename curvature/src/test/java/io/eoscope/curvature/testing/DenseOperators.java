package io.eoscope.curvature.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.eigen.SymmetricOperator;

/** Dense matrices built column by column from matrix-free products, and dense matrices as operators. */
public final class DenseOperators {
    private DenseOperators() {}

    /** The n×n matrix of {@code op}, from products with the identity's rows. */
    public static double[][] materialise(SymmetricOperator op, NDManager manager) {
        int n = Math.toIntExact(op.dimension());
        NDArray eye = manager.eye(n).toType(op.dataType(), false);
        double[] flat = op.apply(eye).toType(DataType.FLOAT64, false).toDoubleArray();
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * n, a[i], 0, n);
        }
        return a;
    }

    /** A dense symmetric matrix as an operator (float64). */
    public static SymmetricOperator of(double[][] a, NDManager manager) {
        int n = a.length;
        double[] flat = new double[n * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], 0, flat, i * n, n);
        }
        NDArray m = manager.create(flat, new ai.djl.ndarray.types.Shape(n, n));
        return new SymmetricOperator() {
            @Override
            public long dimension() {
                return n;
            }

            @Override
            public DataType dataType() {
                return DataType.FLOAT64;
            }

            @Override
            public NDArray apply(NDArray block) {
                return block.matMul(m);
            }
        };
    }

    /** The sub-matrix of rows and columns [from, to). */
    public static double[][] block(double[][] a, int from, int to) {
        double[][] b = new double[to - from][to - from];
        for (int i = from; i < to; i++) {
            System.arraycopy(a[i], from, b[i - from], 0, to - from);
        }
        return b;
    }
}
