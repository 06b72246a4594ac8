package io.eoscope.trainer.data;

import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.net.LabeledData;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a run's training set comes from (docs/science.md#datasets): {@code synthetic} (default),
 * {@code fashion-mnist}, {@code cifar10}, {@code xor} or {@code file} (a safetensors dataset file);
 * then the balanced subset of N samples of the first C classes, chosen by seed, and last the
 * {@link Preprocess preprocessing} with the statistics of that subset.
 *
 * @param name the source name
 * @param dataDir directory (fashion-mnist, cifar10) or file (file); null for the default location
 * @param n N
 * @param classes C
 * @param seed seed of generation and subset
 * @param preprocess none, center or standardize
 */
public record DatasetSource(String name, Path dataDir, int n, int classes, long seed, Preprocess preprocess) {
    /** The accepted names. */
    public static final java.util.List<String> NAMES = java.util.List.of("synthetic", "fashion-mnist", "cifar10", "xor", "file");

    /** Validates; messages name the option. */
    public DatasetSource {
        name = name.toLowerCase(Locale.ROOT);
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("--dataset must be one of " + String.join(", ", NAMES) + ", got '" + name + "'");
        }
        if (n < 1) {
            throw new IllegalArgumentException("--n must be at least 1, got " + n);
        }
        if (classes < 2) {
            throw new IllegalArgumentException("--classes must be at least 2, got " + classes);
        }
        if (name.equals("xor") && classes != 2) {
            throw new IllegalArgumentException("--classes must be 2 for the xor dataset, got " + classes);
        }
        if (name.equals("file") && dataDir == null) {
            throw new IllegalArgumentException("--dataset file needs --data FILE, a safetensors dataset file");
        }
        if ((name.equals("fashion-mnist") || name.equals("cifar10")) && classes > 10) {
            throw new IllegalArgumentException("--classes must be at most 10 for " + name + ", got " + classes);
        }
        if (name.equals("cifar10") && dataDir == null) {
            throw new IllegalArgumentException("--dataset cifar10 needs --data-dir with data_batch_*.bin");
        }
        if ((name.equals("fashion-mnist") || name.equals("cifar10") || name.equals("file")) && n < classes) {
            throw new IllegalArgumentException("--n must be at least --classes (a balanced subset of " + classes
                    + " classes), got " + n);
        }
        java.util.Objects.requireNonNull(preprocess, "preprocess");
    }

    /** Loads (or generates) the training set: N samples of classes 0..C−1, pixels in [0, 1], then preprocessed. */
    public LabeledData load() throws InputException {
        return preprocess.apply(loadScaled());
    }

    /** The training set before preprocessing: N samples of classes 0..C−1, pixels in [0, 1] (for pictures). */
    public LabeledData loadScaled() throws InputException {
        switch (name) {
            case "synthetic":
                return SyntheticImages.generate(seed, n, classes);
            case "xor":
                return Xor2d.generate(seed, n);
            case "fashion-mnist": {
                Path dir = dataDir == null ? FashionMnist.DEFAULT_DIR : dataDir;
                return Subsets.balanced(FashionMnist.read(dir, true), classes, n, seed, dir.toString());
            }
            case "cifar10": {
                return Subsets.balanced(Cifar10.read(dataDir, true), classes, n, seed, dataDir.toString());
            }
            default: {
                LabeledData all = DatasetFile.read(dataDir);
                if (all.labelBound() > classes) {
                    return Subsets.balanced(all, classes, Math.min(n, all.n()), seed, dataDir.toString());
                }
                return n >= all.n() ? all : Subsets.balanced(all, classes, n, seed, dataDir.toString());
            }
        }
    }
}
