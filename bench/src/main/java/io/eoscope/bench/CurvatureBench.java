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
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.reproduce.Versions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Benchmark harness for the curvature engine (plain main, not JMH): in one run it measures the cost of
 * the gradient and of the 𝓗, G and H products, the number of operator products per top-1 eigenvalue
 * estimate (cold and warm-started, Lanczos and block power), and the HVP's achieved GFLOP/s against a
 * large float32 matmul on the same machine. Prints a table and writes a JSON file. See bench/README.md.
 */
public final class CurvatureBench {

    private CurvatureBench() {
    }

    /** What to run. */
    record Config(int[] widths, int n, int reps, int warmup, int matmulSize, int threads, long seed,
            double tolerance, long maxProducts, double step, Path out, boolean quick) {
    }

    /** Median, min and max of repeated wall-clock timings in milliseconds. */
    record Stats(double median, double min, double max, double[] samples) {
        static Stats of(double[] ms) {
            double[] s = ms.clone();
            Arrays.sort(s);
            int n = s.length;
            double median = n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
            return new Stats(median, s[0], s[n - 1], ms.clone());
        }

        /** median, min, max and the samples, for the JSON output. */
        Map<String, Object> toJson() {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("median", median);
            row.put("min", min);
            row.put("max", max);
            row.put("samples", samples);
            return row;
        }
    }

    /** One eigen-solve. */
    record Solve(String solver, String start, String point, long products, long counted, boolean converged,
            double eigenvalue, double residual, double verifiedResidual, String failure, double seconds) {
    }

    /** The command line of {@code bench/run curvature}. */
    @Command(name = "bench/run curvature", sortOptions = false, usageHelpWidth = 110,
            description = {"Measures, in one run, on an MLP (ELU, cross-entropy) with N random Gaussian inputs, float32, CPU:",
                "  gradient, HVP (Hessian), G-product and H-product times (median of R after warm-up) and ratios;",
                "  operator products per top-1 Hessian eigenvalue (tolerance 1e-4), cold and warm-started after",
                "  one GD step, for the lanczos and power solvers;",
                "  HVP GFLOP/s as a fraction of a float32 matmul's GFLOP/s.",
                "(bench/run trainer --help: the trainer benchmark, exponential Euler against GD)", ""})
    static final class Options {
        @Option(names = "--reps", paramLabel = "R", defaultValue = "10",
                description = "timed repetitions per operation (default: ${DEFAULT-VALUE})")
        int reps;

        @Option(names = "--warmup", paramLabel = "W", defaultValue = "3",
                description = "untimed repetitions first (default: ${DEFAULT-VALUE})")
        int warmup;

        @Option(names = "--quick", description = "smoke run: 784-128-10, N = 200, matmul 1024")
        boolean quick;

        @Option(names = "--arch", paramLabel = "A", description = "widths (default: 784-512-512-10)")
        String arch;

        @Option(names = "--n", paramLabel = "N", description = "samples (default: 1000)")
        Integer n;

        @Option(names = "--matmul", paramLabel = "S", description = "matmul size S (S×S @ S×S, default: 2048)")
        Integer matmul;

        @Option(names = "--max-products", paramLabel = "M", defaultValue = "5000",
                description = "product budget per eigen-solve (default: ${DEFAULT-VALUE})")
        int maxProducts;

        @Option(names = "--out", paramLabel = "PATH", defaultValue = "bench/results/latest.json",
                description = "JSON output (default: ${DEFAULT-VALUE})")
        Path out;

        @Mixin
        BenchCli.Common common;

        Config config() {
            if (warmup < 0) {
                throw new IllegalArgumentException("--warmup must be at least 0, got " + warmup);
            }
            int[] widths = arch != null ? MlpModel.parseArchitecture(arch)
                    : quick ? new int[] {784, 128, 10} : new int[] {784, 512, 512, 10};
            int samples = n != null ? positive("--n", n) : quick ? 200 : 1000;
            int size = matmul != null ? positive("--matmul", matmul) : quick ? 1024 : 2048;
            return new Config(widths, samples, positive("--reps", reps), warmup, size, common.threads(), common.seed,
                    1e-4, positive("--max-products", maxProducts), 0.01, out, quick);
        }
    }

    public static void main(String[] args) throws IOException {
        Options options = new Options();
        Config cfg = BenchCli.parse(args, options, options::config);
        if (cfg != null) {
            run(cfg);
        }
    }

    static void progress(String text) {
        System.err.println("[bench] " + text);
    }

    static void run(Config cfg) throws IOException {
        int[] w = cfg.widths();
        int classes = w[w.length - 1];
        long sumDD = 0;
        for (int l = 1; l < w.length; l++) {
            sumDD += (long) w[l] * w[l - 1];
        }
        double forwardFlops = 2.0 * cfg.n() * sumDD; // F: the forward pass's matmul FLOPs
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "io.eoscope.bench.CurvatureBench");
        json.put("timestamp", Instant.now().toString());
        String loadBefore = loadAverage();

        try (NDManager m = NDManager.newBaseManager()) {
            Engine engine = Engine.getEngine("PyTorch");
            JniUtils.setNumThreads(cfg.threads());
            Map<String, Object> machine = machine(engine, cfg);
            json.put("machine", machine);
            progress("libtorch " + engine.getVersion() + ", intra-op threads " + JniUtils.getNumThreads()
                    + ", inter-op threads " + JniUtils.getNumInteropThreads() + ", " + machine.get("cpu"));

            MlpModel model = MlpModel.initialise(w, Activation.ELU, Loss.CROSS_ENTROPY, cfg.seed());
            LabeledData host = gaussianData(cfg.n(), w[0], classes, cfg.seed() + 1);
            long p = model.parameterCount();

            Map<String, Object> setup = new LinkedHashMap<>();
            setup.put("architecture", model.architecture());
            setup.put("activation", "elu");
            setup.put("loss", "cross_entropy");
            setup.put("parameters", p);
            setup.put("samples", cfg.n());
            setup.put("dtype", "float32");
            setup.put("device", "cpu");
            setup.put("chunk_size", cfg.n());
            setup.put("reps", cfg.reps());
            setup.put("warmup", cfg.warmup());
            setup.put("seed", cfg.seed());
            setup.put("quick", cfg.quick());
            setup.put("forward_flops_F", forwardFlops);
            setup.put("flop_convention", "F = 2*N*sum_l d_l*d_(l-1); forward = F, gradient = 3F, HVP/G/H product = 6F");
            json.put("setup", setup);

            try (Network network = Network.upload(model, m, DataType.FLOAT32);
                    DeviceData data = DeviceData.upload(host, classes, m, DataType.FLOAT32, cfg.n());
                    CurvatureProducts products = new CurvatureProducts(network, data);
                    CurvatureProducts reference = new CurvatureProducts(network, data, CurvatureProducts.Route.DOUBLE_BACKWARD)) {

                // ---- 1. product timings ------------------------------------------------------------
                NDArray v = unitRow(m, p, cfg.seed() + 2);
                NDArray v4 = gaussian(m, new Shape(4, p), cfg.seed() + 5);
                int s = cfg.matmulSize();
                Map<String, Stats> times;
                try (NDManager mm = m.newSubManager()) {
                    NDArray a = gaussian(mm, new Shape(s, s), cfg.seed() + 3);
                    NDArray b = gaussian(mm, new Shape(s, s), cfg.seed() + 4);
                    Map<String, Supplier<Float>> ops = new LinkedHashMap<>();
                    ops.put("forward", () -> network.model().loss()
                            .perSample(network.logits(data.inputs()), data.targets()).sum().getFloat());
                    ops.put("gradient", () -> products.gradient().getFloat(0));
                    ops.put("hvp", () -> products.apply(Curvature.HESSIAN, v).getFloat(0, 0));
                    ops.put("g_product", () -> products.apply(Curvature.GAUSS_NEWTON, v).getFloat(0, 0));
                    ops.put("h_product", () -> products.apply(Curvature.RESIDUAL, v).getFloat(0, 0));
                    ops.put("hvp_block4", () -> products.apply(Curvature.HESSIAN, v4).getFloat(0, 0));
                    // the reference route (autograd's double backward), as before the tangent route
                    ops.put("hvp_double_backward", () -> reference.apply(Curvature.HESSIAN, v).getFloat(0, 0));
                    ops.put("g_product_double_backward", () -> reference.apply(Curvature.GAUSS_NEWTON, v).getFloat(0, 0));
                    ops.put("h_product_double_backward", () -> reference.apply(Curvature.RESIDUAL, v).getFloat(0, 0));
                    ops.put("hvp_block4_double_backward", () -> reference.apply(Curvature.HESSIAN, v4).getFloat(0, 0));
                    ops.put("matmul", () -> a.matMul(b).getFloat(0, 0));
                    progress("timing forward, gradient, HVP, G-product, H-product, matmul " + s + "x" + s + " @ " + s
                            + "x" + s + ": " + cfg.warmup() + " warm-up + " + cfg.reps() + " timed rounds (interleaved)");
                    times = timeInterleaved(ops, cfg.warmup(), cfg.reps());
                }
                Stats matmul = times.remove("matmul");
                double matmulFlops = 2.0 * s * s * s;
                double matmulGflops = matmulFlops / (matmul.median() * 1e6);

                Map<String, Double> nominal = new LinkedHashMap<>();
                nominal.put("forward", forwardFlops);
                nominal.put("gradient", 3 * forwardFlops);
                nominal.put("hvp", 6 * forwardFlops);
                nominal.put("g_product", 6 * forwardFlops);
                nominal.put("h_product", 6 * forwardFlops);
                nominal.put("hvp_block4", 24 * forwardFlops);
                nominal.put("hvp_double_backward", 6 * forwardFlops);
                nominal.put("g_product_double_backward", 6 * forwardFlops);
                nominal.put("h_product_double_backward", 6 * forwardFlops);
                nominal.put("hvp_block4_double_backward", 24 * forwardFlops);
                double grad = times.get("gradient").median();

                Map<String, Object> timing = new LinkedHashMap<>();
                for (Map.Entry<String, Stats> e : times.entrySet()) {
                    Stats st = e.getValue();
                    double gflops = nominal.get(e.getKey()) / (st.median() * 1e6);
                    Map<String, Object> row = st.toJson();
                    row.put("nominal_gflop", nominal.get(e.getKey()) / 1e9);
                    row.put("gflops", gflops);
                    row.put("fraction_of_matmul", gflops / matmulGflops);
                    row.put("ratio_to_gradient", st.median() / grad);
                    timing.put(e.getKey(), row);
                }
                Map<String, Object> mmRow = matmul.toJson();
                mmRow.put("size", s);
                mmRow.put("nominal_gflop", matmulFlops / 1e9);
                mmRow.put("gflops", matmulGflops);
                timing.put("matmul", mmRow);
                json.put("timing_ms", timing);

                double hvpRatio = times.get("hvp").median() / grad;
                double gRatio = times.get("g_product").median() / grad;
                double hRatio = times.get("h_product").median() / grad;
                double hvpFraction = (6 * forwardFlops / (times.get("hvp").median() * 1e6)) / matmulGflops;
                Map<String, Object> ratios = new LinkedHashMap<>();
                ratios.put("hvp_over_gradient", hvpRatio);
                ratios.put("hvp_over_gradient_goal", 2.0);
                ratios.put("g_over_gradient", gRatio);
                ratios.put("g_over_gradient_goal", 1.5);
                ratios.put("h_over_gradient", hRatio);
                ratios.put("block4_hvp_over_gradient", times.get("hvp_block4").median() / grad);
                ratios.put("hvp_double_backward_over_gradient", times.get("hvp_double_backward").median() / grad);
                ratios.put("g_double_backward_over_gradient", times.get("g_product_double_backward").median() / grad);
                ratios.put("h_double_backward_over_gradient", times.get("h_product_double_backward").median() / grad);
                ratios.put("block4_hvp_double_backward_over_gradient", times.get("hvp_block4_double_backward").median() / grad);
                ratios.put("gradient_over_forward", grad / times.get("forward").median());
                ratios.put("hvp_gflops_fraction_of_matmul", hvpFraction);
                // the same from the fastest repetition of each (less sensitive to a noisy machine)
                double gradMin = times.get("gradient").min();
                ratios.put("hvp_over_gradient_from_min", times.get("hvp").min() / gradMin);
                ratios.put("g_over_gradient_from_min", times.get("g_product").min() / gradMin);
                ratios.put("h_over_gradient_from_min", times.get("h_product").min() / gradMin);
                ratios.put("block4_hvp_over_gradient_from_min", times.get("hvp_block4").min() / gradMin);
                ratios.put("hvp_double_backward_over_gradient_from_min", times.get("hvp_double_backward").min() / gradMin);
                ratios.put("g_double_backward_over_gradient_from_min", times.get("g_product_double_backward").min() / gradMin);
                ratios.put("h_double_backward_over_gradient_from_min", times.get("h_product_double_backward").min() / gradMin);
                ratios.put("block4_hvp_double_backward_over_gradient_from_min",
                        times.get("hvp_block4_double_backward").min() / gradMin);
                ratios.put("hvp_gflops_fraction_of_matmul_from_min", matmul.min() * 6 * forwardFlops
                        / (times.get("hvp").min() * matmulFlops));
                json.put("ratios", ratios);

                // ---- 2. products per top-1 eigenvalue -----------------------------------------------
                List<Solve> solves = new ArrayList<>();
                try (NDManager em = m.newSubManager()) {
                    NDArray thetaPrime;
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        thetaPrime = network.flatParameters().sub(products.gradient().mul(cfg.step()));
                        NDScope.unregister(thetaPrime);
                        thetaPrime.attach(em);
                    }
                    try (Network stepped = network.withParameters(thetaPrime);
                            CurvatureProducts steppedProducts = new CurvatureProducts(stepped, data)) {
                        CurvatureOperator atTheta = CurvatureOperator.of(products, Curvature.HESSIAN);
                        CurvatureOperator atStepped = CurvatureOperator.of(steppedProducts, Curvature.HESSIAN);
                        EigenOptions options = new EigenOptions(1, cfg.tolerance(), cfg.maxProducts(), cfg.seed() + 5);
                        for (String name : List.of("lanczos", "power")) {
                            EigenSolver solver = EigenSolver.named(name);
                            progress(name + ": cold solve at θ");
                            SolveWithVectors cold = solve(name, "cold", "theta", solver, atTheta, products, options, null, em);
                            solves.add(cold.solve());
                            progress(name + ": warm solve at θ' = θ − " + cfg.step() + "·∇L(θ)");
                            solves.add(solve(name, "warm", "theta_prime", solver, atStepped, steppedProducts, options,
                                    cold.vectors(), em).solve());
                            progress(name + ": cold solve at θ' (reference)");
                            solves.add(solve(name, "cold", "theta_prime", solver, atStepped, steppedProducts, options,
                                    null, em).solve());
                        }
                    }
                }
                List<Object> eigenJson = new ArrayList<>();
                for (Solve sv : solves) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("solver", sv.solver());
                    row.put("start", sv.start());
                    row.put("point", sv.point());
                    row.put("products", sv.products());
                    row.put("products_counted_by_engine", sv.counted());
                    row.put("converged", sv.converged());
                    row.put("eigenvalue", sv.eigenvalue());
                    row.put("relative_residual", sv.residual());
                    row.put("verified_residual", sv.verifiedResidual());
                    row.put("failure", sv.failure());
                    row.put("seconds", sv.seconds());
                    eigenJson.add(row);
                }
                Map<String, Object> eigen = new LinkedHashMap<>();
                eigen.put("operator", "hessian");
                eigen.put("k", 1);
                eigen.put("tolerance", cfg.tolerance());
                eigen.put("max_products", cfg.maxProducts());
                eigen.put("gd_step", cfg.step());
                eigen.put("aim_cold_products", 30);
                eigen.put("aim_warm_products", 12);
                eigen.put("solves", eigenJson);
                json.put("eigen", eigen);

                printReport(cfg, model, p, forwardFlops, times, nominal, matmul, s, matmulGflops, ratios, solves,
                        machine);
            }
        }

        String loadAfter = loadAverage();
        json.put("load_average_before", loadBefore);
        json.put("load_average_after", loadAfter);
        System.out.println("load average (1, 5, 15 min) before " + loadBefore + ", after " + loadAfter
                + "  (other processes on the machine disturb the timings)");
        Path out = cfg.out().toAbsolutePath();
        Files.createDirectories(out.getParent());
        Files.writeString(out, Json.write(json) + "\n", StandardCharsets.UTF_8);
        System.out.println();
        System.out.println("JSON written to " + cfg.out());
    }

    /** A solve's summary and its eigenvectors (owned by the eigen manager, used as the next warm start). */
    private record SolveWithVectors(Solve solve, NDArray vectors) {
    }

    private static SolveWithVectors solve(String name, String start, String point, EigenSolver solver,
            CurvatureOperator operator, CurvatureProducts products, EigenOptions options, NDArray warm, NDManager em) {
        long before = products.products();
        long t0 = System.nanoTime();
        EigenResult r = solver.solve(operator, options, warm, em);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long counted = products.products() - before;
        Solve s = new Solve(name, start, point, r.products(), counted, r.converged(), r.failed() ? Double.NaN : r.top(),
                r.residuals()[0], r.verifiedResiduals()[0], r.failure(), seconds);
        progress(r.failed() ? "  FAILED after " + r.products() + " products: " + r.failure()
                : String.format(Locale.ROOT, "  %d products (+%d to verify), λ = %.6g, converged %s, verified residual "
                        + "%.2e, %.1f s", r.products(), r.eigenvalues().length, r.top(), r.converged(),
                        r.verifiedResiduals()[0], seconds));
        return new SolveWithVectors(s, r.vectors());
    }

    /** Times each operation {@code reps} times after {@code warmup} untimed rounds, round-robin. */
    static Map<String, Stats> timeInterleaved(Map<String, Supplier<Float>> ops, int warmup, int reps) {
        Map<String, double[]> samples = new LinkedHashMap<>();
        for (String k : ops.keySet()) {
            samples.put(k, new double[reps]);
        }
        double sink = 0;
        for (int r = -warmup; r < reps; r++) {
            for (Map.Entry<String, Supplier<Float>> e : ops.entrySet()) {
                long t0 = System.nanoTime();
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    sink += e.getValue().get(); // reading one value forces the result to materialise
                }
                long t1 = System.nanoTime();
                if (r >= 0) {
                    samples.get(e.getKey())[r] = (t1 - t0) / 1e6;
                }
            }
        }
        if (Double.isNaN(sink)) {
            progress("warning: a timed result was NaN");
        }
        Map<String, Stats> out = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : samples.entrySet()) {
            out.put(e.getKey(), Stats.of(e.getValue()));
        }
        return out;
    }

    /** N i.i.d. N(0, 1) inputs of width d with uniform labels 0..C−1 (also StressBench's problem). */
    static LabeledData gaussianData(int n, int d, int classes, long seed) {
        Random random = new Random(seed);
        double[] x = new double[n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextGaussian();
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = random.nextInt(classes);
        }
        return new LabeledData(n, d, x, y);
    }

    private static NDArray gaussian(NDManager m, Shape shape, long seed) {
        Random random = new Random(seed);
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return m.create(values, shape);
    }

    /** A random unit vector as a [1, P] block. */
    static NDArray unitRow(NDManager m, long p, long seed) {
        Random random = new Random(seed);
        float[] values = new float[Math.toIntExact(p)];
        double norm = 0;
        for (int i = 0; i < values.length; i++) {
            double g = random.nextGaussian();
            values[i] = (float) g;
            norm += g * g;
        }
        float scale = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < values.length; i++) {
            values[i] *= scale;
        }
        return m.create(values, new Shape(1, p));
    }

    private static Map<String, Object> machine(Engine engine, Config cfg) {
        Map<String, Object> mc = new LinkedHashMap<>();
        mc.put("cpu", Versions.cpuModel());
        mc.put("available_processors", Runtime.getRuntime().availableProcessors());
        mc.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        mc.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        mc.put("djl", Engine.getDjlVersion());
        mc.put("libtorch", engine.getVersion());
        mc.put("threads_requested", cfg.threads());
        mc.put("libtorch_intra_op_threads", JniUtils.getNumThreads());
        mc.put("libtorch_inter_op_threads", JniUtils.getNumInteropThreads());
        mc.put("OMP_NUM_THREADS", String.valueOf(System.getenv("OMP_NUM_THREADS")));
        mc.put("MKL_NUM_THREADS", String.valueOf(System.getenv("MKL_NUM_THREADS")));
        return mc;
    }

    /** The 1-, 5- and 15-minute load averages from /proc/loadavg, or "n/a". */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Paths.get("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    private static void printReport(Config cfg, MlpModel model, long p, double forwardFlops, Map<String, Stats> times,
            Map<String, Double> nominal, Stats matmul, int s, double matmulGflops, Map<String, Object> ratios,
            List<Solve> solves, Map<String, Object> machine) {
        System.out.println();
        System.out.println("eoscope CurvatureBench" + (cfg.quick() ? "  (--quick smoke run)" : ""));
        System.out.printf(Locale.ROOT, "machine  %s, %s processors, libtorch %s, intra-op threads %s, inter-op %s%n",
                machine.get("cpu"), machine.get("available_processors"), machine.get("libtorch"),
                machine.get("libtorch_intra_op_threads"), machine.get("libtorch_inter_op_threads"));
        System.out.printf(Locale.ROOT, "model    MLP %s, ELU, cross-entropy, P = %,d; N = %d Gaussian inputs, labels 0..%d;"
                + " float32, CPU, one chunk%n", model.architecture(), p, cfg.n(), model.classes() - 1);
        System.out.printf(Locale.ROOT, "FLOPs    F = 2·N·Σ d_l·d_(l−1) = %.3f GFLOP (forward); gradient 3F, products 6F%n",
                forwardFlops / 1e9);
        System.out.printf(Locale.ROOT, "timing   median of %d after %d warm-up rounds, operations interleaved%n%n",
                cfg.reps(), cfg.warmup());
        System.out.printf(Locale.ROOT, "%-22s %10s %10s %10s %9s %9s %10s %10s%n", "operation", "median ms", "min ms",
                "max ms", "GFLOP", "GFLOP/s", "÷gradient", "of matmul");
        String[][] labels = {{"forward", "forward (loss)"}, {"gradient", "gradient ∇L"}, {"hvp", "HVP 𝓗v"},
            {"g_product", "G-product Gv"}, {"h_product", "H-product Hv"}, {"hvp_block4", "HVP, block of 4"},
            {"hvp_double_backward", "HVP (double bwd)"}, {"g_product_double_backward", "G-product (double bwd)"},
            {"h_product_double_backward", "H-product (double bwd)"}, {"hvp_block4_double_backward", "block of 4 (double bwd)"}};
        double grad = times.get("gradient").median();
        for (String[] l : labels) {
            Stats st = times.get(l[0]);
            double gflops = nominal.get(l[0]) / (st.median() * 1e6);
            System.out.printf(Locale.ROOT, "%-22s %10.2f %10.2f %10.2f %9.3f %9.1f %10.2f %9.1f%%%n", l[1], st.median(),
                    st.min(), st.max(), nominal.get(l[0]) / 1e9, gflops, st.median() / grad,
                    100 * gflops / matmulGflops);
        }
        System.out.printf(Locale.ROOT, "%-22s %10.2f %10.2f %10.2f %9.3f %9.1f %10s %9.1f%%%n",
                "matmul " + s + "³", matmul.median(), matmul.min(), matmul.max(), 2.0 * s * s * s / 1e9, matmulGflops,
                "", 100.0);
        System.out.println();
        System.out.printf(Locale.ROOT, "%-24s %8s %12s%n", "ratio", "medians", "(minima)");
        String[][] rows = {{"HVP / gradient", "hvp_over_gradient", "   goal ≤ 2.0"},
            {"G-product / gradient", "g_over_gradient", "   goal ≤ 1.5"}, {"H-product / gradient", "h_over_gradient", ""},
            {"block of 4 HVPs / gradient", "block4_hvp_over_gradient", ""},
            {"  double bwd: HVP", "hvp_double_backward_over_gradient", ""},
            {"  double bwd: G-product", "g_double_backward_over_gradient", ""},
            {"  double bwd: H-product", "h_double_backward_over_gradient", ""},
            {"  double bwd: block of 4", "block4_hvp_double_backward_over_gradient", ""}};
        for (String[] r : rows) {
            System.out.printf(Locale.ROOT, "%-24s %8.2f %12s%s%n", r[0], (Double) ratios.get(r[1]),
                    String.format(Locale.ROOT, "(%.2f)", (Double) ratios.get(r[1] + "_from_min")), r[2]);
        }
        System.out.printf(Locale.ROOT, "%-24s %7.1f%% %12s%n", "HVP GFLOP/s ÷ matmul's",
                100 * (Double) ratios.get("hvp_gflops_fraction_of_matmul"), String.format(Locale.ROOT, "(%.1f%%)",
                        100 * (Double) ratios.get("hvp_gflops_fraction_of_matmul_from_min")));
        System.out.println();
        System.out.printf(Locale.ROOT, "top-1 eigenvalue of 𝓗, tolerance %.0e, θ' = θ − %.2f·∇L(θ); warm start = θ's"
                + " converged eigenvector (aims: ≤ 30 cold, ≤ 12 warm)%n", cfg.tolerance(), cfg.step());
        System.out.printf(Locale.ROOT, "%-8s %-6s %-6s %9s %10s %14s %10s %10s %9s%n", "solver", "start", "point",
                "products", "converged", "λ₁", "residual", "verified", "seconds");
        for (Solve sv : solves) {
            System.out.printf(Locale.ROOT, "%-8s %-6s %-6s %9d %10s %14.6g %10.2e %10.2e %9.1f%n", sv.solver(),
                    sv.start(), sv.point().equals("theta") ? "θ" : "θ'", sv.products(), sv.converged(),
                    sv.eigenvalue(), sv.residual(), sv.verifiedResidual(), sv.seconds());
            if (sv.failure() != null) {
                System.out.println("         FAILED: " + sv.failure());
            }
        }
        System.out.println("(products: the solver's; each solve then spends k = 1 more on the fresh-product check, "
                + "which the engine's own count in the JSON includes)");
    }

    /** Minimal JSON writer for maps, lists, arrays, strings, numbers and booleans. */
    static final class Json {
        private Json() {
        }

        static String write(Object value) {
            StringBuilder sb = new StringBuilder();
            write(sb, value, 0);
            return sb.toString();
        }

        private static void write(StringBuilder sb, Object value, int indent) {
            if (value == null) {
                sb.append("null");
            } else if (value instanceof Map<?, ?> map) {
                sb.append("{");
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    sb.append(first ? "\n" : ",\n").append("  ".repeat(indent + 1));
                    string(sb, String.valueOf(e.getKey()));
                    sb.append(": ");
                    write(sb, e.getValue(), indent + 1);
                    first = false;
                }
                sb.append(first ? "}" : "\n" + "  ".repeat(indent) + "}");
            } else if (value instanceof List<?> list) {
                sb.append("[");
                boolean first = true;
                for (Object o : list) {
                    sb.append(first ? "\n" : ",\n").append("  ".repeat(indent + 1));
                    write(sb, o, indent + 1);
                    first = false;
                }
                sb.append(first ? "]" : "\n" + "  ".repeat(indent) + "]");
            } else if (value instanceof double[] arr) {
                sb.append("[");
                for (int i = 0; i < arr.length; i++) {
                    sb.append(i == 0 ? "" : ", ");
                    number(sb, arr[i]);
                }
                sb.append("]");
            } else if (value instanceof Double || value instanceof Float) {
                number(sb, ((Number) value).doubleValue());
            } else if (value instanceof Number || value instanceof Boolean) {
                sb.append(value);
            } else {
                string(sb, value.toString());
            }
        }

        private static void number(StringBuilder sb, double d) {
            if (Double.isFinite(d)) {
                sb.append(d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d));
            } else {
                sb.append("null");
            }
        }

        private static void string(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\t' -> sb.append("\\t");
                    case '\r' -> sb.append("\\r");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }
}
