package io.eoscope.curvature.eigen;

import java.util.Arrays;
import java.util.Comparator;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Dense symmetric eigendecomposition (EJML), eigenpairs ranked by magnitude, largest first. Used for
 * the small projected problems of the iterative solvers and for exact per-sample spectra.
 *
 * @param values eigenvalues ranked by |λ|
 * @param vectors {@code vectors[i]} is the unit eigenvector of {@code values[i]}
 */
public record DenseSymmetricEigen(double[] values, double[][] vectors) {

    /** Decomposes the symmetric matrix {@code a} (only its symmetric part is used). */
    public static DenseSymmetricEigen of(double[][] a) {
        int n = a.length;
        DMatrixRMaj m = new DMatrixRMaj(n, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m.set(i, j, 0.5 * (a[i][j] + a[j][i]));
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
        if (!eig.decompose(m)) {
            throw new ArithmeticException("symmetric eigendecomposition failed (non-finite input?)");
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> -Math.abs(eig.getEigenvalue(i).getReal())));
        double[] values = new double[n];
        double[][] vectors = new double[n][];
        for (int r = 0; r < n; r++) {
            values[r] = eig.getEigenvalue(order[r]).getReal();
            vectors[r] = eig.getEigenVector(order[r]).getData().clone();
        }
        return new DenseSymmetricEigen(values, vectors);
    }

    /** The largest eigenvalue (not by magnitude) of a symmetric matrix. */
    public static double largest(double[][] a) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : of(a).values) {
            max = Math.max(max, v);
        }
        return max;
    }
}
