package io.eoscope.curvature.eigen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.eoscope.curvature.net.HostArrays;
import java.util.List;
import java.util.Random;

/** Small vector and block helpers shared by the solvers and the spectrum estimators (rows are vectors). */
public final class Vectors {
    private Vectors() {}

    /** A value of a one-element array as a double, whatever its precision. */
    public static double scalar(NDArray a) {
        return HostArrays.scalar(a);
    }

    /** A [rows, n] block of the given precision as a Java matrix. */
    static double[][] toMatrix(NDArray a) {
        long[] s = a.getShape().getShape();
        double[] flat = HostArrays.download(a);
        double[][] out = new double[(int) s[0]][(int) s[1]];
        for (int i = 0; i < out.length; i++) {
            System.arraycopy(flat, i * out[i].length, out[i], 0, out[i].length);
        }
        return out;
    }

    /** A Java matrix as a [rows, cols] array of the given precision. */
    static NDArray fromMatrix(NDManager manager, double[][] m, DataType type) {
        double[] flat = new double[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, flat, i * m[0].length, m[0].length);
        }
        return HostArrays.upload(manager, flat, new Shape(m.length, m[0].length), type);
    }

    /** Gaussian rows [k, n] from {@code random}. */
    public static NDArray gaussian(NDManager manager, Random random, int k, long n, DataType type) {
        double[] v = new double[Math.toIntExact(k * n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextGaussian();
        }
        return HostArrays.upload(manager, v, new Shape(k, n), type);
    }

    /**
     * Rademacher rows [k, n] from {@code random}: entries ±1 with probability ½ each, times {@code scale} (1/√n gives
     * rows of exactly unit norm).
     */
    public static NDArray rademacher(NDManager manager, Random random, int k, long n, double scale, DataType type) {
        double[] v = new double[Math.toIntExact(k * n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextBoolean() ? scale : -scale;
        }
        return HostArrays.upload(manager, v, new Shape(k, n), type);
    }

    /**
     * Orthonormalises the rows of {@code block} (Gram-Schmidt, twice), also against {@code against}
     * (already orthonormal rows, may be empty). A row that is (numerically) dependent is replaced by a
     * random one. Returns a new [k, n] array attached to {@code manager}.
     */
    public static NDArray orthonormalRows(NDArray block, List<NDArray> against, NDManager manager, Random random) {
        int k = (int) block.getShape().get(0);
        long n = block.getShape().get(1);
        NDArray[] rows = new NDArray[k];
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (int i = 0; i < k; i++) {
                NDArray v = block.get(i);
                for (int attempt = 0; ; attempt++) {
                    double before = scalar(v.norm());
                    for (int pass = 0; pass < 2; pass++) {
                        for (NDArray q : against) {
                            v = v.sub(q.mul(v.dot(q)));
                        }
                        for (int j = 0; j < i; j++) {
                            v = v.sub(rows[j].mul(v.dot(rows[j])));
                        }
                    }
                    double after = scalar(v.norm());
                    if (after > 1e-10 * Math.max(before, 1e-300) && after > 0) {
                        rows[i] = v.div(after);
                        break;
                    }
                    if (attempt > 5) {
                        throw new ArithmeticException("cannot extend an orthonormal basis in dimension " + n);
                    }
                    v = gaussian(block.getManager(), random, 1, n, block.getDataType()).get(0);
                }
            }
            NDArray out = ai.djl.ndarray.NDArrays.stack(new ai.djl.ndarray.NDList(rows));
            NDScope.unregister(out);
            out.attach(manager);
            return out;
        }
    }

    /**
     * An orthonormal basis, as rows [r, n] attached to {@code manager}, of the span of the rows of {@code block} [k, n]:
     * from the eigendecomposition G = VDVᵀ of the Gram matrix G = B Bᵀ, the rows D^-½VᵀB, twice (the second pass
     * repairs what rounding left of the first, as Gram-Schmidt twice does). Directions whose Gram eigenvalue is below
     * 100·ε of the largest (ε the precision's unit roundoff) are dropped, so r ≤ k; they carry only rounding. Four
     * matrix products and two k×k host decompositions, against k² vector operations for {@link #orthonormalRows}:
     * for sketches of many rows.
     *
     * @throws ArithmeticException when the block is zero or not finite (r would be 0)
     */
    public static NDArray orthonormalSpan(NDArray block, NDManager manager) {
        double epsilon = block.getDataType() == DataType.FLOAT64 ? 0x1p-53 : 0x1p-24;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray rows = block;
            for (int pass = 0; pass < 2; pass++) {
                DenseSymmetricEigen gram = DenseSymmetricEigen.of(toMatrix(rows.matMul(rows.transpose())));
                double largest = gram.values()[0];
                int r = 0;
                while (r < gram.values().length && gram.values()[r] > 100 * epsilon * largest) {
                    r++;
                }
                if (!(largest > 0) || !Double.isFinite(largest) || r == 0) {
                    throw new ArithmeticException("no orthonormal basis of a zero or non-finite block");
                }
                double[][] c = new double[r][];
                for (int i = 0; i < r; i++) {
                    double scale = 1 / Math.sqrt(gram.values()[i]);
                    c[i] = gram.vectors()[i].clone();
                    for (int j = 0; j < c[i].length; j++) {
                        c[i][j] *= scale;
                    }
                }
                rows = fromMatrix(block.getManager(), c, block.getDataType()).matMul(rows);
            }
            return keep(rows, manager);
        }
    }

    /** Detaches {@code a} from the current scope and gives it to {@code manager}. */
    public static NDArray keep(NDArray a, NDManager manager) {
        NDScope.unregister(a);
        a.attach(manager);
        return a;
    }

    /**
     * The convergence rule of {@link EigenOptions}: every Ritz value moved by at most tol·|λ| since
     * the previous iteration and its relative residual is at most √tol. Magnitudes below 1e-12 of the
     * largest count as zero. Never true for a non-finite value or residual, nor when every Ritz value is
     * zero (an operator that looks zero has no top eigenvalue to report: see {@link EigenCheck}).
     */
    static boolean converged(double[] values, double[] previous, double[] residuals, double tolerance) {
        if (previous == null) {
            return false;
        }
        double scale = 0;
        for (double v : values) {
            scale = Math.max(scale, Math.abs(v));
        }
        if (!(scale > 0) || !Double.isFinite(scale)) {
            return false;
        }
        for (int i = 0; i < values.length; i++) {
            double size = Math.max(Math.abs(values[i]), 1e-12 * scale);
            if (!(Math.abs(values[i] - previous[i]) <= tolerance * size) || !(residuals[i] <= Math.sqrt(tolerance))) {
                return false;
            }
        }
        return true;
    }

    /** k NaNs: the numbers of a failed solve, which must not be read as values. */
    public static double[] nans(int k) {
        double[] a = new double[k];
        java.util.Arrays.fill(a, Double.NaN);
        return a;
    }

    /**
     * ‖a − λb‖ / |λ|, with magnitudes below 1e-12 of the largest counted as that; NaN (undefined, never
     * 0) when every value is zero.
     */
    static double relativeResidual(double residualNorm, double value, double scale) {
        double size = Math.max(Math.abs(value), 1e-12 * scale);
        return size == 0 ? Double.NaN : residualNorm / size;
    }
}
