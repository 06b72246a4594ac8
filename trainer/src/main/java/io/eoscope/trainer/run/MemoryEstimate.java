package io.eoscope.trainer.run;

import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.optim.OptimizerState;
import io.eoscope.trainer.data.SyntheticImages;
import io.eoscope.trainer.solve.SolverKind;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * What a run will allocate, estimated from its configuration before anything is allocated, so that a
 * run too large for this machine is refused with the option to change instead of an
 * {@link OutOfMemoryError} minutes later. Counted as the code allocates (8-byte doubles on the heap;
 * the run's dtype on the device):
 * <ul>
 * <li>heap, dataset: x and y (8·N·d + 4·N), the whole source first for fashion-mnist (60,000 images)
 * and cifar10 (50,000), and three encoded copies (the run's and the stream's dataset record, e·N·d each);</li>
 * <li>heap, parameters: the model, its download at each snapshot and two encodings (about 24·P bytes),
 * the eigenvectors written beside each snapshot (k·P·(8 + 2e)) and the optimizer's s state buffers written into it
 * (s·P·(8 + 2e));</li>
 * <li>native (libtorch), dataset: e·N·(d + C);</li>
 * <li>native, parameters: θ, its gradient, the update and the double-backward graph (8·e·P), the optimizer's s
 * state buffers and their new values (2·s·e·P), the Lanczos basis when an eigen-solve runs (64·e·P), and the
 * activations of a chunk (6·e·B·Σ widths).</li>
 * </ul>
 * The heap is compared with what the JVM may still use ({@link Runtime#maxMemory()}); native memory
 * with the machine's physical memory less the heap's maximum. A Java array holds at most 2³¹ − 1
 * elements, so the dataset, each weight matrix and each encoded file must fit in one.
 *
 * @param n samples N
 * @param width input width d
 * @param classes C
 * @param parameters P (0 when unknown: a --model file)
 * @param heapDataset heap bytes for the dataset
 * @param heapParameters heap bytes for the parameters
 * @param nativeDataset native bytes for the dataset
 * @param nativeParameters native bytes for the parameters, solver and activations
 */
public record MemoryEstimate(long n, long width, long classes, double parameters, double heapDataset,
        double heapParameters, double nativeDataset, double nativeParameters) {
    /** The most elements (or bytes) one Java array holds. */
    public static final long MAX_ARRAY = Integer.MAX_VALUE - 8;
    private static final int LANCZOS_BASIS = 64;

    /** Estimates what {@code c} needs. */
    public static MemoryEstimate of(RunConfig c) {
        int e = c.dtype().equals("float64") ? 8 : 4;
        long n = c.n();
        int[] widths = c.modelFile() == null ? MlpModel.parseArchitecture(c.architecture()) : null;
        long d = inputWidth(c, widths);
        long source = switch (c.dataset()) {
            case "fashion-mnist" -> 60_000L;
            case "cifar10" -> 50_000L;
            default -> 0L;
        };
        double heapDataset = 8.0 * n * d + 4.0 * n + 8.0 * source * d + 3.0 * e * n * d;
        if (c.dataset().equals("file") && c.dataDir() != null) {
            try {
                heapDataset = Math.max(heapDataset, 3.0 * Files.size(Path.of(c.dataDir())));
            } catch (java.io.IOException ignored) {
                // the dataset's loader reports a missing or unreadable file with its own message
            }
        }
        double p = 0;
        double sumWidths = 0;
        if (widths != null) {
            for (int l = 1; l < widths.length; l++) {
                p += ((double) widths[l - 1] + 1) * widths[l];
            }
            sumWidths = Arrays.stream(widths).asDoubleStream().sum();
        }
        int k = eigenCount(c);
        int s = c.solverSettings().kind() == SolverKind.GD ? OptimizerState.buffers(c.optimizerSettings().kind()).size() : 0;
        double heapParameters = 24.0 * p + (k + s) * p * (8.0 + 2 * e);
        double nativeDataset = (double) e * n * (d + c.classes());
        double nativeParameters = e * p * (8.0 + 2 * s + (k > 0 ? LANCZOS_BASIS : 0))
                + 6.0 * e * Math.min(n, c.chunkSize()) * sumWidths;
        return new MemoryEstimate(n, d, c.classes(), p, heapDataset, heapParameters, nativeDataset, nativeParameters);
    }

    /** Checks {@code c} against this JVM's heap and this machine's memory. */
    public static void check(RunConfig c) throws InputException {
        of(c).check(c, heapAvailable(), nativeAvailable());
    }

    /**
     * Refuses a run that cannot fit.
     *
     * @throws InputException one line naming the option (--n, --arch) and the estimate
     */
    public void check(RunConfig c, long heapAvailable, long nativeAvailable) throws InputException {
        int e = c.dtype().equals("float64") ? 8 : 4;
        String nOption = "--n " + c.n();
        String arch = c.modelFile() != null ? "--model " + c.modelFile() : "--arch " + c.architecture();
        double values = (double) n * width;
        if (values * e > MAX_ARRAY) {
            throw new InputException(String.format(Locale.ROOT, "%s: the dataset would be %s values (%d samples × %d),"
                    + " %s encoded, more than one Java array holds (2 GiB); use a smaller --n", nOption,
                    count(values), n, width, bytes(values * e)));
        }
        if (c.modelFile() == null) {
            int[] widths = MlpModel.parseArchitecture(c.architecture());
            for (int l = 1; l < widths.length; l++) {
                double layer = (double) widths[l - 1] * widths[l];
                if (layer > MAX_ARRAY) {
                    throw new InputException(String.format(Locale.ROOT, "%s: layer %d has %s weights, more than one Java"
                            + " array holds (2^31 − 1); use smaller widths", arch, l, count(layer)));
                }
            }
            if (parameters * e > MAX_ARRAY) {
                throw new InputException(String.format(Locale.ROOT, "%s: %s parameters make a model file of %s, more than"
                        + " one Java array holds (2 GiB); use smaller widths", arch, count(parameters), bytes(parameters * e)));
            }
            int k = eigenCount(c);
            if (parameters * k * e > MAX_ARRAY) {
                throw new InputException(String.format(Locale.ROOT, "%s: the %d eigenvectors of %s parameters written beside"
                        + " each snapshot are more than one Java array holds (2 GiB); use smaller widths", arch, k,
                        count(parameters)));
            }
        }
        double heap = heapDataset + heapParameters;
        if (heap > heapAvailable) {
            boolean data = heapDataset >= heapParameters;
            throw new InputException(String.format(Locale.ROOT, "%s: the run needs about %s of Java heap (%s for the"
                    + " dataset of %d × %d values, %s for %s parameters), but the JVM may use at most %s more; use a"
                    + " smaller %s or a larger heap (EOS_JAVA_OPTS=-Xmx…)", data ? nOption : arch, bytes(heap),
                    bytes(heapDataset), n, width, bytes(heapParameters), count(parameters), bytes(heapAvailable),
                    data ? "--n" : "network"));
        }
        double nativeBytes = nativeDataset + nativeParameters;
        if (nativeBytes > nativeAvailable) {
            boolean data = nativeDataset >= nativeParameters;
            throw new InputException(String.format(Locale.ROOT, "%s: the run needs about %s of native memory for libtorch"
                    + " (%s for the dataset, %s for %s parameters, their gradients, eigen-solver and activations),"
                    + " but this machine has about %s besides the Java heap; use a smaller %s", data ? nOption : arch,
                    bytes(nativeBytes), bytes(nativeDataset), bytes(nativeParameters), count(parameters),
                    bytes(nativeAvailable), data ? "--n" : "network"));
        }
    }

    /**
     * Refuses a dataset too large for this JVM ({@code eos dataset}: the samples as doubles, the whole
     * source first for fashion-mnist and cifar10, and one F32 encoding).
     *
     * @throws InputException one line naming --n and the estimate
     */
    public static void checkDataset(io.eoscope.trainer.data.DatasetSource source) throws InputException {
        long d = switch (source.name()) {
            case "synthetic", "cifar10" -> SyntheticImages.WIDTH;
            case "fashion-mnist" -> 784;
            case "xor" -> 2;
            default -> 0; // a file: its size bounds it
        };
        long full = switch (source.name()) {
            case "fashion-mnist" -> 60_000L;
            case "cifar10" -> 50_000L;
            default -> 0L;
        };
        double values = (double) source.n() * d;
        if (values * 4 > MAX_ARRAY) {
            throw new InputException(String.format(Locale.ROOT, "--n %d: the dataset would be %s values (%d samples × %d),"
                    + " %s encoded, more than one Java array holds (2 GiB); use a smaller --n", source.n(), count(values),
                    source.n(), d, bytes(values * 4)));
        }
        double heap = 8.0 * values + 4.0 * source.n() + 8.0 * full * d + 2 * 4.0 * values;
        if (heap > heapAvailable()) {
            throw new InputException(String.format(Locale.ROOT, "--n %d: the dataset needs about %s of Java heap, but the JVM"
                    + " may use at most %s more; use a smaller --n or a larger heap (EOS_JAVA_OPTS=-Xmx…)", source.n(),
                    bytes(heap), bytes(heapAvailable())));
        }
    }

    /** The heap this JVM may still allocate. */
    public static long heapAvailable() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /** The machine's physical memory (its container's limit) less the heap's maximum. */
    public static long nativeAvailable() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return Math.max(0, os.getTotalMemorySize() - Runtime.getRuntime().maxMemory());
        }
        return Long.MAX_VALUE;
    }

    /** Eigenpairs computed per step (0 when none: GD without --sharpness-every). */
    private static int eigenCount(RunConfig c) {
        SolverKind kind = c.solverSettings().kind();
        if (kind == SolverKind.EXP_EULER) {
            return (io.eoscope.curvature.net.Loss.parse(c.loss()) == io.eoscope.curvature.net.Loss.MSE ? c.classes()
                    : c.classes() - 1) + 1;
        }
        return kind == SolverKind.GD && c.sharpnessEvery() == 0 ? 0 : 1;
    }

    private static long inputWidth(RunConfig c, int[] widths) {
        return switch (c.dataset()) {
            case "synthetic", "cifar10" -> SyntheticImages.WIDTH;
            case "fashion-mnist" -> 784;
            case "xor" -> 2;
            default -> widths != null ? widths[0] : 0;
        };
    }

    private static String bytes(double b) {
        String[] units = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
        int u = 0;
        while (b >= 1000 && u < units.length - 1) {
            b /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, u == 0 ? "%.0f %s" : "%.3g %s", b, units[u]);
    }

    private static String count(double v) {
        return v < 1e6 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }
}
