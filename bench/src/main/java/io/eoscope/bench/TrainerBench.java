package io.eoscope.bench;

import static io.eoscope.bench.BenchCli.positive;
import static io.eoscope.bench.CurvatureBench.progress;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.reproduce.Versions;
import io.eoscope.trainer.data.SyntheticImages;
import io.eoscope.trainer.data.Xor2d;
import io.eoscope.trainer.solve.DivergedException;
import io.eoscope.trainer.solve.SolverKind;
import io.eoscope.trainer.solve.SolverSettings;
import io.eoscope.trainer.solve.StepRecord;
import io.eoscope.trainer.solve.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Benchmark harness for the trainer (plain main, not JMH): in one run, on the same setup, it measures
 * training steps per second of exponential Euler, of GD without sharpness tracking and of GD with the
 * sharpness computed every step (the trainer's default), and the Hessian-vector products each step
 * spends; reports GD steps/s ÷ exponential-Euler steps/s. Two reference setups: XOR-2D with an MLP
 * 2-128-128-128-2, and 256 synthetic 3×32×32 images of 4 classes with an MLP
 * 3072-512-512-512-512-512-4; both ELU, MSE, float32, CPU. Prints a table and writes a JSON file. See
 * bench/README.md.
 */
public final class TrainerBench {

    private TrainerBench() {
    }

    /** One reference problem; {@code gdLearningRate} is the η of the timed GD runs. */
    record Setup(String id, String label, int[] widths, int n, int classes, int steps, String data,
            double gdLearningRate, int referenceReps) {
    }

    /** What to run. */
    record Config(List<Setup> setups, int warmup, int threads, long seed, double learningRate, double etaMax,
            double tolerance, Path out, boolean quick) {
    }

    /** A solver variant: the trainer's settings (η of GD, η_max of exp-Euler) and how the table names it. */
    record Variant(String id, String label, SolverKind kind, double lr, int sharpnessEvery) {
    }

    /**
     * GD without and with sharpness tracking, and exponential Euler, in the order they step in each round.
     * Where the setup's GD η differs from η_max, a fourth variant runs GD at η = η_max as well, to show
     * in the same run whether it trains or diverges there (it is timed too, for as long as it lasts).
     */
    static List<Variant> variants(Setup setup, Config cfg) {
        List<Variant> v = new ArrayList<>();
        double gdLr = setup.gdLearningRate();
        v.add(new Variant("gd", "GD (sharpness-every 0)", SolverKind.GD, gdLr, 0));
        v.add(new Variant("gd_sharpness", "GD (sharpness-every 1)", SolverKind.GD, gdLr, 1));
        v.add(new Variant("exp_euler", "exp-Euler", SolverKind.EXP_EULER, cfg.etaMax(), 1));
        if (gdLr != cfg.etaMax()) {
            v.add(new Variant("gd_at_eta_max", "GD η=" + fmt(cfg.etaMax()) + " (check)", SolverKind.GD, cfg.etaMax(), 0));
        }
        return v;
    }

    /** What one variant did on one setup: every step's wall time, products and record. */
    static final class Measured {
        final Variant variant;
        final int eigenCount;
        final List<StepRecord> records = new ArrayList<>();
        final List<Double> stepMs = new ArrayList<>();
        String diverged;
        double finalLoss = Double.NaN;

        Measured(Variant variant, int eigenCount) {
            this.variant = variant;
            this.eigenCount = eigenCount;
        }

        /** Wall times of the timed steps (those after the warm-up). */
        double[] timedMs(int warmup) {
            return stepMs.subList(Math.min(warmup, stepMs.size()), stepMs.size()).stream()
                    .mapToDouble(Double::doubleValue).toArray();
        }

        /** Products of steps {@code from}.. (inclusive), as doubles. */
        double[] products(int from) {
            return records.subList(Math.min(from, records.size()), records.size()).stream()
                    .mapToDouble(r -> (double) r.products()).toArray();
        }
    }

    /** The command line of {@code bench/run trainer}. */
    @Command(name = "bench/run trainer", sortOptions = false, usageHelpWidth = 110,
            description = {"Measures, in one run, training steps/s and Hessian-vector products (HVPs) per step of exponential",
                "Euler, of GD without sharpness tracking (--sharpness-every 0) and of GD with it (every step, the",
                "trainer's default), and the ratio GD steps/s ÷ exp-Euler steps/s, on two setups (ELU, MSE, float32,",
                "CPU, full batch, exp-Euler η_max = 0.01, eigen tolerance 1e-4):",
                "  xor  XOR-2D, N = 256, MLP 2-128-128-128-2; GD η = 0.01",
                "  mlp  256 synthetic 3×32×32 images of 4 classes, MLP 3072-512-512-512-512-512-4; GD η = 4e-5",
                "The three solvers step in turn (one step each per round): W untimed warm-up steps, then S timed.", ""})
    static final class Options {
        @Option(names = "--steps-xor", paramLabel = "S", description = "timed steps on xor (default: 30; --quick: 5)")
        Integer stepsXor;

        @Option(names = "--steps-mlp", paramLabel = "S", description = "timed steps on mlp (default: 10; --quick: 3)")
        Integer stepsMlp;

        @Option(names = "--warmup", paramLabel = "W",
                description = "untimed steps first (default: 5, --quick: 2; the first, cold, step is one of them)")
        Integer warmup;

        @Option(names = "--only", paramLabel = "xor|mlp", description = "run one setup only")
        String only;

        @Option(names = "--quick", description = {"smoke run: xor 2-32-32-2 with N = 64, mlp 3072-64-64-4 with N = 32,",
            "5 and 3 timed steps, 2 warm-up steps"})
        boolean quick;

        @Option(names = "--lr", paramLabel = "E", defaultValue = "0.01",
                description = "exp-Euler η_max, and GD's η on xor (default: ${DEFAULT-VALUE})")
        double lr;

        @Option(names = "--gd-lr-xor", paramLabel = "E", description = "GD's η on xor (default: --lr)")
        Double gdLrXor;

        @Option(names = "--gd-lr-mlp", paramLabel = "E", defaultValue = "4e-5", description = {
            "GD's η on mlp (default: ${DEFAULT-VALUE} ≈ 1/λ_max(θ₀) = 1/24,621: GD at η = 0.01",
            "diverges at the second step there; it is run as well, as a check)"})
        double gdLrMlp;

        @Option(names = "--tol", paramLabel = "T", defaultValue = "1e-4",
                description = "relative tolerance of the per-step eigen-solves (default: ${DEFAULT-VALUE})")
        double tol;

        @Option(names = "--out", paramLabel = "PATH", defaultValue = "bench/results/trainer-latest.json",
                description = "JSON output (default: ${DEFAULT-VALUE})")
        Path out;

        @Mixin
        BenchCli.Common common;

        Config config() {
            if (only != null && !only.equals("xor") && !only.equals("mlp")) {
                throw new IllegalArgumentException("--only must be xor or mlp, got '" + only + "'");
            }
            int sx = stepsXor != null ? positive("--steps-xor", stepsXor) : quick ? 5 : 30;
            int sm = stepsMlp != null ? positive("--steps-mlp", stepsMlp) : quick ? 3 : 10;
            int w = warmup != null ? warmup : quick ? 2 : 5;
            if (w < 1) {
                throw new IllegalArgumentException("--warmup must be at least 1 (the cold first step), got " + w);
            }
            long seed = common.seed;
            List<Setup> setups = new ArrayList<>();
            if (only == null || only.equals("xor")) {
                int[] widths = quick ? new int[] {2, 32, 32, 2} : new int[] {2, 128, 128, 128, 2};
                setups.add(new Setup("xor", "XOR-2D", widths, quick ? 64 : 256, 2, sx, "xor2d",
                        gdLrXor != null ? gdLrXor : lr, quick ? 3 : 20));
            }
            if (only == null || only.equals("mlp")) {
                int[] widths = quick ? new int[] {3072, 64, 64, 4} : new int[] {3072, 512, 512, 512, 512, 512, 4};
                setups.add(new Setup("mlp", "synthetic images", widths, quick ? 32 : 256, 4, sm, "synthetic_images",
                        gdLrMlp, quick ? 3 : 5));
            }
            // validated here so that a bad value is reported with the usage, before libtorch loads
            new SolverSettings(SolverKind.EXP_EULER, lr, lr, 0, 1.0, tol, 1, seed);
            for (Setup st : setups) {
                new SolverSettings(SolverKind.GD, st.gdLearningRate(), lr, 0, 1.0, tol, 1, seed);
            }
            return new Config(setups, w, common.threads(), seed, lr, lr, tol, out, quick);
        }
    }

    public static void main(String[] args) throws IOException {
        Options options = new Options();
        Config cfg = BenchCli.parse(args, options, options::config);
        if (cfg != null) {
            run(cfg);
        }
    }

    static void run(Config cfg) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "io.eoscope.bench.TrainerBench");
        json.put("timestamp", Instant.now().toString());
        String loadBefore = CurvatureBench.loadAverage();
        List<Map<String, Object>> results = new ArrayList<>();
        Map<String, Object> machine;

        try (NDManager m = NDManager.newBaseManager()) {
            Engine engine = Engine.getEngine("PyTorch");
            JniUtils.setNumThreads(cfg.threads());
            machine = machine(engine, cfg);
            json.put("machine", machine);
            progress("libtorch " + engine.getVersion() + ", intra-op threads " + JniUtils.getNumThreads()
                    + ", inter-op threads " + JniUtils.getNumInteropThreads() + ", " + machine.get("cpu"));

            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("learning_rate_default", cfg.learningRate());
            settings.put("eta_max", cfg.etaMax());
            settings.put("warmup_steps_of_solver", 0);
            settings.put("warmup_factor", 1.0);
            settings.put("tolerance", cfg.tolerance());
            settings.put("eigen_solver", "lanczos (the trainer's), warm-started from the previous step's vectors");
            settings.put("untimed_steps", cfg.warmup());
            settings.put("seed", cfg.seed());
            settings.put("dtype", "float32");
            settings.put("device", "cpu");
            settings.put("chunk_size", 1000);
            settings.put("quick", cfg.quick());
            settings.put("order", "the variants step in turn, one step each per round");
            json.put("settings", settings);

            for (Setup setup : cfg.setups()) {
                results.add(runSetup(setup, cfg, m));
            }
        }
        json.put("setups", results);

        String loadAfter = CurvatureBench.loadAverage();
        json.put("load_average_before", loadBefore);
        json.put("load_average_after", loadAfter);
        printReport(cfg, results, machine);
        System.out.println("load average (1, 5, 15 min) before " + loadBefore + ", after " + loadAfter
                + "  (other processes on the machine disturb the timings)");
        Path out = cfg.out().toAbsolutePath();
        Files.createDirectories(out.getParent());
        Files.writeString(out, CurvatureBench.Json.write(json) + "\n", StandardCharsets.UTF_8);
        System.out.println();
        System.out.println("JSON written to " + cfg.out());
    }

    private static Map<String, Object> runSetup(Setup setup, Config cfg, NDManager m) {
        MlpModel model = MlpModel.initialise(setup.widths(), Activation.ELU, Loss.MSE, cfg.seed());
        LabeledData host = setup.id().equals("xor") ? Xor2d.generate(cfg.seed() + 1, setup.n())
                : SyntheticImages.generate(cfg.seed() + 1, setup.n(), setup.classes());
        progress(String.format(Locale.ROOT, "%s: MLP %s, P = %,d, N = %d; %d warm-up + %d timed steps per solver",
                setup.id(), model.architecture(), model.parameterCount(), setup.n(), cfg.warmup(), setup.steps()));
        List<Measured> measured = new ArrayList<>();
        Map<String, CurvatureBench.Stats> reference;
        try (NDManager sm = m.newSubManager();
                DeviceData data = DeviceData.upload(host, setup.classes(), sm, DataType.FLOAT32, 1000)) {
            // a bare gradient and a bare HVP at θ₀, for scale: what a step's products would cost alone
            try (NDManager rm = sm.newSubManager();
                    Network network = Network.upload(model, rm, DataType.FLOAT32);
                    CurvatureProducts products = new CurvatureProducts(network, data)) {
                NDArray v = CurvatureBench.unitRow(rm, model.parameterCount(), cfg.seed() + 3);
                Map<String, Supplier<Float>> ops = new LinkedHashMap<>();
                ops.put("gradient", () -> products.gradient().getFloat(0));
                ops.put("hvp", () -> products.apply(Curvature.HESSIAN, v).getFloat(0, 0));
                progress(setup.id() + ": timing a bare gradient and HVP at θ₀, 2 warm-up + " + setup.referenceReps()
                        + " timed rounds");
                reference = CurvatureBench.timeInterleaved(ops, 2, setup.referenceReps());
            }
            List<Trainer> trainers = new ArrayList<>();
            try {
                for (Variant v : variants(setup, cfg)) {
                    SolverSettings s = new SolverSettings(v.kind(), v.lr(), cfg.etaMax(), 0, 1.0,
                            cfg.tolerance(), v.sharpnessEvery(), cfg.seed() + 2);
                    Trainer t = new Trainer(model, data, sm, DataType.FLOAT32, s, 0, 0.0, null);
                    trainers.add(t);
                    measured.add(new Measured(v, t.eigenCount()));
                }
                int total = cfg.warmup() + setup.steps();
                for (int u = 0; u < total; u++) {
                    for (int i = 0; i < trainers.size(); i++) {
                        Measured me = measured.get(i);
                        if (me.diverged != null) {
                            continue;
                        }
                        long t0 = System.nanoTime();
                        StepRecord r;
                        try {
                            r = trainers.get(i).step();
                        } catch (DivergedException e) {
                            me.diverged = e.getMessage();
                            progress(setup.id() + " " + me.variant.id() + ": " + e.getMessage());
                            continue;
                        } catch (ArithmeticException e) {
                            // for example a non-finite Hessian product inside the eigen-solve
                            me.diverged = "step " + me.records.size() + " failed: " + e.getMessage();
                            progress(setup.id() + " " + me.variant.id() + ": " + me.diverged);
                            continue;
                        }
                        long t1 = System.nanoTime();
                        me.records.add(r);
                        me.stepMs.add((t1 - t0) / 1e6);
                    }
                    if (u < 3 || u == cfg.warmup() - 1 || (u + 1) % 10 == 0 || u == total - 1) {
                        StringBuilder sb = new StringBuilder(setup.id() + ": step " + (u + 1) + "/" + total);
                        for (Measured me : measured) {
                            if (!me.records.isEmpty()) {
                                StepRecord last = me.records.get(me.records.size() - 1);
                                sb.append(String.format(Locale.ROOT, "; %s %.1f ms, %d HVPs, loss %.4g", me.variant.id(),
                                        me.stepMs.get(me.stepMs.size() - 1), last.products(), last.loss()));
                            }
                        }
                        progress(sb.toString());
                    }
                }
                for (int i = 0; i < trainers.size(); i++) {
                    Measured me = measured.get(i);
                    if (me.diverged == null) {
                        me.finalLoss = trainers.get(i).evaluate()[0];
                    }
                }
            } finally {
                for (Trainer t : trainers) {
                    t.close();
                }
            }
        }
        return setupJson(setup, model, cfg, measured, reference);
    }

    private static Map<String, Object> setupJson(Setup setup, MlpModel model, Config cfg, List<Measured> measured,
            Map<String, CurvatureBench.Stats> reference) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", setup.id());
        out.put("data", setup.data());
        out.put("architecture", model.architecture());
        out.put("parameters", model.parameterCount());
        out.put("samples", setup.n());
        out.put("classes", setup.classes());
        out.put("activation", "elu");
        out.put("loss", "mse");
        out.put("gd_learning_rate", setup.gdLearningRate());
        out.put("eta_max", cfg.etaMax());
        out.put("timed_steps", setup.steps());
        out.put("untimed_steps", cfg.warmup());
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("what", "CurvatureProducts.gradient() and apply(HESSIAN, v) at θ₀, one random unit v, each in its own"
                + " NDScope; 2 warm-up rounds, then the timed ones, interleaved");
        ref.put("gradient", reference.get("gradient").toJson());
        ref.put("hvp", reference.get("hvp").toJson());
        out.put("reference_ms", ref);
        double hvpMs = reference.get("hvp").median();
        Map<String, Object> variants = new LinkedHashMap<>();
        Map<String, Double> stepsPerSecond = new LinkedHashMap<>();
        Map<String, Double> medianMs = new LinkedHashMap<>();
        Map<String, Double> hvpMean = new LinkedHashMap<>();
        for (Measured me : measured) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("label", me.variant.label());
            v.put("solver", me.variant.kind().id());
            v.put(me.variant.kind() == SolverKind.GD ? "learning_rate" : "eta_max", me.variant.lr());
            v.put("sharpness_every", me.variant.kind() == SolverKind.GD ? me.variant.sharpnessEvery() : null);
            v.put("eigenpairs_per_step", me.variant.kind() == SolverKind.GD && me.variant.sharpnessEvery() == 0 ? 0
                    : me.eigenCount);
            v.put("diverged", me.diverged);
            double[] timed = me.timedMs(cfg.warmup());
            if (timed.length == setup.steps()) {
                CurvatureBench.Stats st = CurvatureBench.Stats.of(timed);
                double totalMs = Arrays.stream(timed).sum();
                double sps = 1000.0 * timed.length / totalMs;
                v.put("steps_per_second", sps);
                v.put("steps_per_second_from_median", 1000.0 / st.median());
                v.put("step_ms_mean", totalMs / timed.length);
                v.put("step_ms_median", st.median());
                v.put("step_ms_min", st.min());
                v.put("step_ms_max", st.max());
                v.put("step_in_hvp_times", st.median() / hvpMs);
                stepsPerSecond.put(me.variant.id(), sps);
                medianMs.put(me.variant.id(), st.median());
            }
            double[] timedProducts = me.products(cfg.warmup());
            double[] warmProducts = me.products(1);
            if (!me.records.isEmpty()) {
                v.put("hvp_cold_first_step", me.records.get(0).products());
            }
            if (timedProducts.length > 0) {
                double mean = Arrays.stream(timedProducts).average().orElse(Double.NaN);
                v.put("hvp_per_step_mean", mean);
                v.put("hvp_per_step_median", CurvatureBench.Stats.of(timedProducts).median());
                v.put("hvp_per_step_min", Arrays.stream(timedProducts).min().orElse(Double.NaN));
                v.put("hvp_per_step_max", Arrays.stream(timedProducts).max().orElse(Double.NaN));
                hvpMean.put(me.variant.id(), mean);
            }
            if (warmProducts.length > 0) {
                v.put("hvp_per_step_mean_all_warm_steps", Arrays.stream(warmProducts).average().orElse(Double.NaN));
            }
            if (!me.records.isEmpty()) {
                StepRecord first = me.records.get(0);
                StepRecord last = me.records.get(me.records.size() - 1);
                v.put("loss_first", first.loss());
                v.put("loss_after_last_step", me.finalLoss);
                v.put("time_t_after_last_step", last.time() + last.stepSize());
                v.put("step_size_mean_timed", me.records.subList(Math.min(cfg.warmup(), me.records.size()),
                        me.records.size()).stream().mapToDouble(StepRecord::stepSize).average().orElse(Double.NaN));
                v.put("sharpness_last", last.sharpness());
            }
            v.put("step_ms", me.stepMs.stream().mapToDouble(Double::doubleValue).toArray());
            v.put("hvp_per_step", me.products(0));
            v.put("loss_per_step", me.records.stream().mapToDouble(StepRecord::loss).toArray());
            v.put("step_size_per_step", me.records.stream().mapToDouble(StepRecord::stepSize).toArray());
            v.put("sharpness_per_step", me.records.stream().mapToDouble(StepRecord::sharpness).toArray());
            variants.put(me.variant.id(), v);
        }
        out.put("variants", variants);
        Map<String, Object> ratios = new LinkedHashMap<>();
        putRatio(ratios, "gd_over_exp_euler", stepsPerSecond, "gd", "exp_euler");
        putRatio(ratios, "gd_sharpness_over_exp_euler", stepsPerSecond, "gd_sharpness", "exp_euler");
        putRatio(ratios, "gd_over_gd_sharpness", stepsPerSecond, "gd", "gd_sharpness");
        // the same from the median step times (less sensitive to one slow step)
        putRatio(ratios, "gd_over_exp_euler_from_median", medianMs, "exp_euler", "gd");
        putRatio(ratios, "gd_sharpness_over_exp_euler_from_median", medianMs, "exp_euler", "gd_sharpness");
        putRatio(ratios, "gd_over_gd_sharpness_from_median", medianMs, "gd_sharpness", "gd");
        // extra wall time of a step per HVP it spends beyond GD's: roughly the cost of one product in the solve
        if (medianMs.containsKey("exp_euler") && medianMs.containsKey("gd") && hvpMean.containsKey("exp_euler")) {
            ratios.put("exp_euler_extra_ms_per_hvp", (1000.0 / stepsPerSecond.get("exp_euler")
                    - 1000.0 / stepsPerSecond.get("gd")) / hvpMean.get("exp_euler"));
        }
        if (medianMs.containsKey("gd_sharpness") && medianMs.containsKey("gd") && hvpMean.containsKey("gd_sharpness")) {
            ratios.put("gd_sharpness_extra_ms_per_hvp", (1000.0 / stepsPerSecond.get("gd_sharpness")
                    - 1000.0 / stepsPerSecond.get("gd")) / hvpMean.get("gd_sharpness"));
        }
        out.put("ratios", ratios);
        return out;
    }

    private static void putRatio(Map<String, Object> ratios, String key, Map<String, Double> values, String num,
            String den) {
        if (values.containsKey(num) && values.containsKey(den)) {
            ratios.put(key, values.get(num) / values.get(den));
        }
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

    @SuppressWarnings("unchecked")
    private static void printReport(Config cfg, List<Map<String, Object>> results, Map<String, Object> machine) {
        System.out.println();
        System.out.println("eoscope TrainerBench" + (cfg.quick() ? "  (--quick smoke run)" : ""));
        System.out.printf(Locale.ROOT, "machine  %s, %s processors, libtorch %s, intra-op threads %s, inter-op %s%n",
                machine.get("cpu"), machine.get("available_processors"), machine.get("libtorch"),
                machine.get("libtorch_intra_op_threads"), machine.get("libtorch_inter_op_threads"));
        System.out.printf(Locale.ROOT, "solvers  exp-Euler η_max = %s, GD η per setup; no solver warm-up; eigen tolerance"
                + " %.0e (Lanczos, warm-started from the previous step); ELU, MSE, float32, CPU, full batch%n",
                fmt(cfg.etaMax()), cfg.tolerance());
        System.out.printf(Locale.ROOT, "timing   %d untimed steps (the first is cold), then S timed steps; the solvers"
                + " step in turn, one step each per round%n", cfg.warmup());
        for (Map<String, Object> r : results) {
            System.out.printf(Locale.ROOT, "setup    %-4s %s, MLP %s, P = %,d, N = %d, C = %d, S = %d, GD η = %s%n",
                    r.get("id"), r.get("data"), r.get("architecture"), (Long) r.get("parameters"), r.get("samples"),
                    r.get("classes"), r.get("timed_steps"), fmt((Double) r.get("gd_learning_rate")));
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-5s %-24s %8s %9s %7s %7s %5s %8s %7s %8s %9s %9s%n", "setup", "solver",
                "steps/s", "median ms", "min ms", "max ms", "pairs", "HVP mean", "HVP med", "HVP cold", "η/Δt mean",
                "loss end");
        for (Map<String, Object> r : results) {
            Map<String, Object> variants = (Map<String, Object>) r.get("variants");
            for (Map.Entry<String, Object> e : variants.entrySet()) {
                Map<String, Object> v = (Map<String, Object>) e.getValue();
                if (v.get("steps_per_second") == null) {
                    System.out.printf(Locale.ROOT, "%-5s %-24s %s (loss per step: %s)%n", r.get("id"), v.get("label"),
                            v.get("diverged") == null ? "no timed steps" : v.get("diverged"),
                            losses((double[]) v.get("loss_per_step")));
                    continue;
                }
                System.out.printf(Locale.ROOT, "%-5s %-24s %8.2f %9.1f %7.1f %7.1f %5s %8.1f %7.1f %8s %9.3g %9.4g%n",
                        r.get("id"), v.get("label"), (Double) v.get("steps_per_second"), (Double) v.get("step_ms_median"),
                        (Double) v.get("step_ms_min"), (Double) v.get("step_ms_max"), v.get("eigenpairs_per_step"),
                        (Double) v.get("hvp_per_step_mean"), (Double) v.get("hvp_per_step_median"),
                        v.get("hvp_cold_first_step"), num(v.get("step_size_mean_timed")),
                        num(v.get("loss_after_last_step")));
            }
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-38s", "ratio of steps/s (from medians)");
        for (Map<String, Object> r : results) {
            System.out.printf(Locale.ROOT, " %14s", r.get("id"));
        }
        System.out.println();
        String[][] rows = {{"GD ÷ exp-Euler", "gd_over_exp_euler"},
            {"GD (sharpness every step) ÷ exp-Euler", "gd_sharpness_over_exp_euler"},
            {"GD ÷ GD (sharpness every step)", "gd_over_gd_sharpness"}};
        for (String[] row : rows) {
            System.out.printf(Locale.ROOT, "%-38s", row[0]);
            for (Map<String, Object> r : results) {
                Map<String, Object> ratios = (Map<String, Object>) r.get("ratios");
                Object a = ratios.get(row[1]);
                Object b = ratios.get(row[1] + "_from_median");
                System.out.printf(Locale.ROOT, " %14s", a == null ? "n/a"
                        : String.format(Locale.ROOT, "%.2f (%.2f)", (Double) a, (Double) b));
            }
            System.out.println();
        }
        System.out.printf(Locale.ROOT, "%-38s", "bare gradient at θ₀, median ms");
        for (Map<String, Object> r : results) {
            System.out.printf(Locale.ROOT, " %14.1f", num(((Map<String, Object>) ((Map<String, Object>) r
                    .get("reference_ms")).get("gradient")).get("median")));
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-38s", "bare HVP at θ₀, median ms");
        for (Map<String, Object> r : results) {
            System.out.printf(Locale.ROOT, " %14.1f", num(((Map<String, Object>) ((Map<String, Object>) r
                    .get("reference_ms")).get("hvp")).get("median")));
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-38s", "exp-Euler median step ÷ bare HVP");
        for (Map<String, Object> r : results) {
            Object ee = ((Map<String, Object>) ((Map<String, Object>) r.get("variants")).get("exp_euler"))
                    .get("step_in_hvp_times");
            System.out.printf(Locale.ROOT, " %14.1f", num(ee));
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-38s", "extra ms per HVP: exp-Euler, GD+sharp.");
        for (Map<String, Object> r : results) {
            Map<String, Object> ratios = (Map<String, Object>) r.get("ratios");
            System.out.printf(Locale.ROOT, " %14s", String.format(Locale.ROOT, "%.1f, %.1f",
                    num(ratios.get("exp_euler_extra_ms_per_hvp")), num(ratios.get("gd_sharpness_extra_ms_per_hvp"))));
        }
        System.out.println();
        System.out.println("(steps/s = S ÷ wall time of the S timed steps; HVP mean/median over the timed steps, all"
                + " warm-started; HVP cold = step 0; pairs = eigenpairs per solve; η/Δt = mean step size of the timed"
                + " steps; extra ms per HVP = (mean step time − GD's) ÷ mean HVPs per step)");
    }

    private static String losses(double[] loss) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < loss.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4g", loss[i]));
        }
        return sb.toString();
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** 0.01, 0.00004: plain decimal, no exponent, no trailing zeros. */
    private static String fmt(double d) {
        return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
}
