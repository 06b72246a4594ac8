package io.eoscope.trainer.data;

import io.eoscope.curvature.net.LabeledData;
import java.util.Arrays;
import java.util.Locale;

/**
 * Preprocessing after scaling to [0, 1] (docs/science.md#preprocessing), with the statistics of the training subset
 * itself, so that every consumer that rebuilds the subset from the same source rebuilds the same inputs:
 * <ul>
 *   <li>{@code none}: the scaled values;</li>
 *   <li>{@code center}: x − μ, μ the per-feature mean over the N samples;</li>
 *   <li>{@code standardize}: (x − μ)/σ, σ the per-feature population standard deviation
 *       √(E(x − μ)²); a feature constant over the subset (σ = 0, such as a blank border pixel) is only
 *       centred, so it stays 0 instead of becoming NaN.</li>
 * </ul>
 */
public enum Preprocess {
    NONE("none"),
    CENTER("center"),
    STANDARDIZE("standardize");

    private final String id;

    Preprocess(String id) {
        this.id = id;
    }

    /** The name used in files and on the command line. */
    public String id() {
        return id;
    }

    /** Parses a file or command-line name; the message names the option and the accepted names. */
    public static Preprocess parse(String name) {
        for (Preprocess p : values()) {
            if (p.id.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("--preprocess must be one of "
                + Arrays.toString(Arrays.stream(values()).map(Preprocess::id).toArray()) + ", got '" + name + "'");
    }

    /** The per-feature statistics of {@code data}: {@code [0]} the means μ, {@code [1]} the standard deviations σ. */
    public static double[][] statistics(LabeledData data) {
        int d = data.inputWidth();
        double[] mean = new double[d];
        double[] x = data.x();
        for (int i = 0; i < data.n(); i++) {
            for (int j = 0; j < d; j++) {
                mean[j] += x[i * d + j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= data.n();
        }
        double[] std = new double[d];
        for (int i = 0; i < data.n(); i++) {
            for (int j = 0; j < d; j++) {
                double c = x[i * d + j] - mean[j];
                std[j] += c * c;
            }
        }
        for (int j = 0; j < d; j++) {
            std[j] = Math.sqrt(std[j] / data.n());
        }
        return new double[][] {mean, std};
    }

    /** The preprocessed copy of {@code data} ({@code data} itself for {@code none}). */
    public LabeledData apply(LabeledData data) {
        if (this == NONE) {
            return data;
        }
        double[][] stats = statistics(data);
        int d = data.inputWidth();
        double[] x = data.x().clone();
        for (int i = 0; i < data.n(); i++) {
            for (int j = 0; j < d; j++) {
                double c = x[i * d + j] - stats[0][j];
                x[i * d + j] = this == STANDARDIZE && stats[1][j] > 0 ? c / stats[1][j] : c;
            }
        }
        return new LabeledData(data.n(), d, x, data.y());
    }
}
