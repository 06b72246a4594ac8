package io.eoscope.bench;

import static io.eoscope.bench.BenchCli.positive;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.eoscope.curvature.eigen.EigenOptions;
import io.eoscope.curvature.eigen.EigenResult;
import io.eoscope.curvature.eigen.EigenSolver;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Stress harness for determinism and native-memory safety ({@code bench/run stress}): hammers the engine
 * the way wrong results were once seen and compares every result with the first, bit for bit.
 *
 * <ol>
 *   <li><b>In one JVM</b>, R repetitions of: for float32 and float64, the gradient, one HVP, and
 *       top-1 solves of 𝓗 with Lanczos and block power, cold at θ, warm at θ' = θ − η∇L(θ) from the
 *       cold vectors, and cold at θ'; with {@code System.gc()} and a burst of allocate-and-free
 *       between every solve, and a thread that makes garbage (young collections every few milliseconds)
 *       and refills freed direct memory with 42.0 all the time (so freed native memory and collected
 *       Java buffers get reused under a computation).</li>
 *   <li><b>In fresh JVMs</b>: J child processes, each with a small heap and its own
 *       {@code MALLOC_PERTURB_} (glibc fills freed and new heap memory with that byte, so a read of
 *       memory nobody owns shows up as a different number), each running the same repetition.</li>
 *   <li><b>Resume cycles of {@code eos train}</b>: a reference exponential-Euler run, then T cycles that
 *       cut the run back to a random snapshot and {@code --resume} it in a fresh JVM (small heap, its own
 *       {@code MALLOC_PERTURB_}); its trajectory and final model must equal the reference byte for byte.</li>
 * </ol>
 *
 * <p>An eigen-solve that fails its checks (a zero, non-finite or inconsistent operator) counts as a
 * finding too. Exit status 0 when nothing differed, 1 otherwise. See bench/README.md.
 */
public final class StressBench {

    private StressBench() {
    }

    /** What to run. */
    record Config(int reps, int[] widths, int n, int jvms, int trainCycles, long seed, int threads, String heap,
            boolean child, Path work) {
    }

    /** The command line of {@code bench/run stress}. */
    @Command(name = "bench/run stress", sortOptions = false, usageHelpWidth = 110,
            description = {"Repeats the engine's solves in one JVM and in fresh JVMs, and resume cycles of eos train,",
                "under GC pressure and MALLOC_PERTURB_, and compares every result with the first bit for bit.", ""})
    static final class Options {
        @Option(names = "--reps", paramLabel = "R", defaultValue = "200",
                description = "repetitions in this JVM (default: ${DEFAULT-VALUE})")
        int reps;

        @Option(names = "--jvms", paramLabel = "J", defaultValue = "10",
                description = "fresh JVMs, one repetition each (default: ${DEFAULT-VALUE})")
        int jvms;

        @Option(names = "--train-cycles", paramLabel = "T", defaultValue = "10",
                description = "resume cycles of eos train, each a fresh JVM (default: ${DEFAULT-VALUE})")
        int trainCycles;

        @Option(names = "--arch", paramLabel = "A", defaultValue = "784-96-96-10",
                description = "widths of the solved MLP (default: ${DEFAULT-VALUE})")
        String arch;

        @Option(names = "--n", paramLabel = "N", defaultValue = "300", description = "samples (default: ${DEFAULT-VALUE})")
        int n;

        @Option(names = "--heap", paramLabel = "SIZE", defaultValue = "192m",
                description = "-Xmx of the child JVMs (default: ${DEFAULT-VALUE})")
        String heap;

        @Option(names = "--work", paramLabel = "DIR", description = "scratch directory (default: a new temporary one)")
        Path work;

        @Option(names = "--child", hidden = true)
        boolean child;

        @Mixin
        BenchCli.Common common;

        Config config() {
            if (jvms < 0 || trainCycles < 0) {
                throw new IllegalArgumentException("--jvms and --train-cycles must be at least 0");
            }
            return new Config(positive("--reps", reps), MlpModel.parseArchitecture(arch), positive("--n", n), jvms,
                    trainCycles, common.seed, common.threads(), heap, child, work);
        }
    }

    public static void main(String[] args) throws Exception {
        Options options = new Options();
        Config cfg = BenchCli.parse(args, options, options::config);
        if (cfg == null) {
            return;
        }
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(cfg.threads());
        startChurn();
        if (cfg.child()) {
            for (int r = 0; r < cfg.reps(); r++) {
                for (String line : fingerprint(cfg)) {
                    System.out.println(line);
                }
            }
            return;
        }
        System.exit(run(cfg) ? 0 : 1);
    }

    private static boolean run(Config cfg) throws Exception {
        long started = System.nanoTime();
        Findings findings = new Findings();
        say(String.format(Locale.ROOT, "MLP %s, N = %d, libtorch threads %d; %d repetitions here, %d fresh JVMs, "
                + "%d resume cycles", arch(cfg.widths()), cfg.n(), cfg.threads(), cfg.reps(), cfg.jvms(),
                cfg.trainCycles()));
        List<String> reference = fingerprint(cfg);
        reference.forEach(l -> say("  " + l));
        findings.checkFailures("repetition 1", reference);
        for (int r = 2; r <= cfg.reps(); r++) {
            List<String> again = fingerprint(cfg);
            findings.compare("repetition " + r, reference, again);
            if (r % 10 == 0 || r == cfg.reps()) {
                say(String.format(Locale.ROOT, "in this JVM: %d/%d repetitions, %d differences, %.0f s", r, cfg.reps(),
                        findings.count(), (System.nanoTime() - started) / 1e9));
            }
        }
        Path work = cfg.work() != null ? Files.createDirectories(cfg.work()) : Files.createTempDirectory("eos-stress");
        Random random = new Random(cfg.seed());
        for (int j = 1; j <= cfg.jvms(); j++) {
            int perturb = 1 + random.nextInt(255);
            Child c = child(work, perturb, cfg.heap(), List.of("--child", "--reps", "1", "--arch",
                    arch(cfg.widths()), "--n", Integer.toString(cfg.n()), "--seed",
                    Long.toString(cfg.seed()), "--threads", Integer.toString(cfg.threads())),
                    StressBench.class.getName());
            if (c.status() != 0) {
                findings.add("fresh JVM " + j + " (MALLOC_PERTURB_=" + perturb + ") exited " + c.status() + ": "
                        + c.err().strip().lines().reduce((a, b) -> b).orElse(""));
            } else {
                findings.compare("fresh JVM " + j + " (MALLOC_PERTURB_=" + perturb + ")", reference, c.out().lines().toList());
            }
            say(String.format(Locale.ROOT, "fresh JVMs: %d/%d, %d differences so far", j, cfg.jvms(), findings.count()));
        }
        if (cfg.trainCycles() > 0) {
            resumeCycles(cfg, work, random, findings);
        }
        say(String.format(Locale.ROOT, "done in %.0f s: %d repetitions in one JVM, %d fresh JVMs, %d resume cycles; "
                + "%d differences or failures", (System.nanoTime() - started) / 1e9, cfg.reps(), cfg.jvms(),
                cfg.trainCycles(), findings.count()));
        findings.lines.forEach(l -> say("  " + l));
        return findings.count() == 0;
    }

    /**
     * One repetition: a line per computed quantity with its exact bits, so that equal lines mean equal
     * results. Each solve is followed by {@code System.gc()} and a burst of allocate-and-free.
     */
    static List<String> fingerprint(Config cfg) {
        List<String> lines = new ArrayList<>();
        int[] w = cfg.widths();
        int classes = w[w.length - 1];
        MlpModel model = MlpModel.initialise(w, Activation.ELU, Loss.CROSS_ENTROPY, cfg.seed());
        LabeledData host = CurvatureBench.gaussianData(cfg.n(), w[0], classes, cfg.seed() + 1);
        for (DataType type : List.of(DataType.FLOAT32, DataType.FLOAT64)) {
            String t = type == DataType.FLOAT32 ? "f32" : "f64";
            try (NDManager m = NDManager.newBaseManager();
                    Network network = Network.upload(model, m, type);
                    DeviceData data = DeviceData.upload(host, classes, m, type, Math.max(1, cfg.n() / 2));
                    CurvatureProducts products = new CurvatureProducts(network, data)) {
                Network stepped;
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray gradient = products.gradient();
                    lines.add(t + " gradient " + bits(HostArrays.download(gradient)));
                    NDArray v = HostArrays.upload(m, unit(network.parameterCount(), cfg.seed() + 2),
                            new Shape(1, network.parameterCount()), type);
                    lines.add(t + " hvp " + bits(HostArrays.download(products.apply(Curvature.HESSIAN, v))));
                    stepped = network.withParameters(network.flatParameters().sub(gradient.mul(0.01)));
                }
                pressure(m);
                try (Network at = stepped;
                        CurvatureProducts steppedProducts = new CurvatureProducts(at, data);
                        NDManager em = m.newSubManager()) {
                    EigenOptions options = new EigenOptions(1, 1e-4, 5000, cfg.seed() + 5);
                    for (String name : List.of("lanczos", "power")) {
                        EigenSolver solver = EigenSolver.named(name);
                        EigenResult cold = solver.solve(CurvatureOperator.of(products, Curvature.HESSIAN), options, null,
                                em);
                        lines.add(t + " " + name + " cold θ  " + describe(cold));
                        pressure(m);
                        EigenResult warm = solver.solve(CurvatureOperator.of(steppedProducts, Curvature.HESSIAN), options,
                                cold.vectors(), em);
                        lines.add(t + " " + name + " warm θ' " + describe(warm));
                        pressure(m);
                        EigenResult coldPrime = solver.solve(CurvatureOperator.of(steppedProducts, Curvature.HESSIAN),
                                options, null, em);
                        lines.add(t + " " + name + " cold θ' " + describe(coldPrime));
                        pressure(m);
                        cold.vectors().close();
                        warm.vectors().close();
                        coldPrime.vectors().close();
                    }
                }
            }
        }
        return lines;
    }

    private static String describe(EigenResult r) {
        return String.format(Locale.ROOT, "products %d converged %s λ %.9g bits %s%s", r.products(), r.converged(),
                r.top(), bits(new double[] {r.top(), r.residuals()[0], r.verifiedResiduals()[0]}),
                r.failed() ? " FAILED " + r.failure() : "");
    }

    /** The bits of all values, folded into one 64-bit hash (equal values give equal hashes). */
    static String bits(double[] values) {
        long h = 1125899906842597L;
        for (double v : values) {
            h = 31 * h + Double.doubleToRawLongBits(v);
        }
        return String.format(Locale.ROOT, "%016x", h);
    }

    /**
     * A daemon thread that, all the time, makes garbage (so that young collections run every few
     * milliseconds and free unreachable direct buffers) and allocates small direct buffers filled with
     * 42.0, so that memory freed under a computation is reused with other values at any moment, not only
     * between solves; a full collection every 100 rounds.
     */
    private static void startChurn() {
        Thread churn = new Thread(() -> {
            for (long round = 0; ; round++) {
                if (round % 100 == 0) {
                    System.gc();
                }
                List<Object> garbage = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    garbage.add(new byte[64 * 1024]);
                }
                for (int i = 0; i < 100; i++) {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(8 + 8 * (i % 4))
                            .order(java.nio.ByteOrder.nativeOrder());
                    b.putDouble(0, 42.0);
                    garbage.add(b);
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "stress-churn");
        churn.setDaemon(true);
        churn.start();
    }

    /** Garbage on both heaps: native arrays and direct buffers allocated and freed, then a collection. */
    private static void pressure(NDManager root) {
        try (NDManager m = root.newSubManager()) {
            for (int i = 0; i < 20; i++) {
                m.create(new double[4096 + 97 * i], new Shape(4096 + 97 * i)).close();
                m.zeros(new Shape(512, 64 + i)).close();
            }
        }
        System.gc();
    }

    /**
     * A reference exponential-Euler run of eos train (float32, snapshots every 4 steps), then cycles that
     * cut a copy of it back to a random snapshot and resume it; each must end with the same files.
     */
    private static void resumeCycles(Config cfg, Path work, Random random, Findings findings) throws Exception {
        Path reference = work.resolve("train-reference");
        deleteTree(reference);
        int steps = 24;
        List<String> train = List.of("train", "--out", reference.toString(), "--dataset", "xor", "--classes", "2",
                "--n", "48", "--arch", "2-16-16-2", "--solver", "exp-euler", "--eta-max", "0.05", "--steps",
                Integer.toString(steps), "--snapshot-every", "4", "--quiet");
        Child first = child(work, 0, cfg.heap(), train, "io.eoscope.launcher.Eos");
        if (first.status() != 0) {
            findings.add("the reference eos train run exited " + first.status() + ": " + first.err().strip());
            return;
        }
        byte[] trajectory = Files.readAllBytes(reference.resolve("trajectory.csv"));
        byte[] finalModel = Files.readAllBytes(reference.resolve("final.safetensors"));
        for (int c = 1; c <= cfg.trainCycles(); c++) {
            Path copy = work.resolve("train-cycle");
            deleteTree(copy);
            copyTree(reference, copy);
            int cut = 4 * random.nextInt(steps / 4); // resume from snapshot 0, 4, …, 20
            try (Stream<Path> files = Files.list(copy.resolve("snapshots"))) {
                for (Path p : files.toList()) {
                    String name = p.getFileName().toString();
                    if (Long.parseLong(name.substring(5, 13)) > cut) {
                        Files.delete(p);
                    }
                }
            }
            Files.delete(copy.resolve("final.safetensors"));
            int perturb = 1 + random.nextInt(255);
            Child resumed = child(work, perturb, cfg.heap(), List.of("train", "--resume", copy.toString(), "--quiet"),
                    "io.eoscope.launcher.Eos");
            String label = "resume cycle " + c + " from step " + cut + " (MALLOC_PERTURB_=" + perturb + ")";
            if (resumed.status() != 0) {
                findings.add(label + " exited " + resumed.status() + ": " + resumed.err().strip());
            } else {
                if (!java.util.Arrays.equals(trajectory, Files.readAllBytes(copy.resolve("trajectory.csv")))) {
                    findings.add(label + ": trajectory.csv differs from the uninterrupted run's: "
                            + firstDifference(new String(trajectory, StandardCharsets.UTF_8),
                                    Files.readString(copy.resolve("trajectory.csv"))));
                }
                if (!java.util.Arrays.equals(finalModel, Files.readAllBytes(copy.resolve("final.safetensors")))) {
                    findings.add(label + ": final.safetensors differs from the uninterrupted run's");
                }
            }
            say(String.format(Locale.ROOT, "resume cycles: %d/%d, %d differences so far", c, cfg.trainCycles(),
                    findings.count()));
        }
    }

    private static String firstDifference(String a, String b) {
        List<String> x = a.lines().toList();
        List<String> y = b.lines().toList();
        for (int i = 0; i < Math.max(x.size(), y.size()); i++) {
            String p = i < x.size() ? x.get(i) : "(none)";
            String q = i < y.size() ? y.get(i) : "(none)";
            if (!p.equals(q)) {
                return "row " + i + ": " + p + " vs " + q;
            }
        }
        return "(line endings)";
    }

    /** Stdout, stderr and status of a child JVM. */
    record Child(int status, String out, String err) {
    }

    /** Runs {@code main} with this JVM's class path in a fresh JVM with a small heap and MALLOC_PERTURB_. */
    static Child child(Path work, int perturb, String heap, List<String> args, String main) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), main));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        if (perturb > 0) {
            pb.environment().put("MALLOC_PERTURB_", Integer.toString(perturb));
        }
        Path out = Files.createTempFile(work, "child", ".out");
        Path err = Files.createTempFile(work, "child", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return new Child(-1, "", "did not finish in 10 minutes");
        }
        Child c = new Child(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return c;
    }

    /** What differed from the first result, or failed. */
    static final class Findings {
        final List<String> lines = new ArrayList<>();

        void compare(String label, List<String> reference, List<String> actual) {
            checkFailures(label, actual);
            if (actual.size() != reference.size()) {
                add(label + ": " + actual.size() + " results instead of " + reference.size());
                return;
            }
            for (int i = 0; i < reference.size(); i++) {
                if (!reference.get(i).equals(actual.get(i))) {
                    add(label + ": " + actual.get(i) + "  (first: " + reference.get(i) + ")");
                }
            }
        }

        void checkFailures(String label, List<String> actual) {
            for (String l : actual) {
                if (l.contains(" FAILED ")) {
                    add(label + ": " + l);
                }
            }
        }

        void add(String line) {
            lines.add(line);
            say("FOUND " + line);
        }

        int count() {
            return lines.size();
        }
    }

    private static double[] unit(long p, long seed) {
        Random random = new Random(seed);
        double[] v = new double[Math.toIntExact(p)];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= Math.sqrt(norm);
        }
        return v;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static String arch(int[] widths) {
        return java.util.Arrays.stream(widths).mapToObj(Integer::toString).reduce((a, b) -> a + "-" + b).orElseThrow();
    }

    static void say(String text) {
        System.err.println("[stress] " + text);
    }
}
