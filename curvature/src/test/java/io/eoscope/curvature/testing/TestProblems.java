package io.eoscope.curvature.testing;

import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import java.util.Random;

/** Small random models and datasets for numeric tests. */
public final class TestProblems {
    private TestProblems() {}

    /** A randomly initialised model (xavier initialisation), biases made nonzero so they matter. */
    public static MlpModel model(String architecture, Activation activation, Loss loss, long seed) {
        MlpModel m = MlpModel.initialise(MlpModel.parseArchitecture(architecture), activation, loss, seed);
        Random r = new Random(seed + 1);
        for (double[] b : m.biases()) {
            for (int i = 0; i < b.length; i++) {
                b[i] = 0.3 * r.nextGaussian();
            }
        }
        return m;
    }

    /** N Gaussian inputs of width d with labels 0..C−1 (every class present when N ≥ C). */
    public static LabeledData data(int n, int d, int classes, long seed) {
        Random r = new Random(seed);
        double[] x = new double[n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i < classes ? i : r.nextInt(classes);
        }
        return new LabeledData(n, d, x, y);
    }

    /** A random vector with a fixed seed. */
    public static double[] vector(long length, long seed) {
        Random r = new Random(seed);
        double[] v = new double[Math.toIntExact(length)];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    /** ‖got − want‖/‖want‖, or ‖got − want‖ when want is exactly zero (the residual block of a last layer is). */
    public static double relativeError(double[] got, double[] want) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < want.length; i++) {
            diff += (got[i] - want[i]) * (got[i] - want[i]);
            norm += want[i] * want[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }
}
