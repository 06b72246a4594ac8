package io.eoscope.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.Gson;
import io.eoscope.bench.CurvatureBench.Json;
import io.eoscope.bench.CurvatureBench.Stats;
import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.analysis.AnalysisProgress;
import io.eoscope.curvature.analysis.AnalysisReport;
import io.eoscope.curvature.analysis.CurvatureAnalysis;
import io.eoscope.curvature.analysis.GroupCurvature;
import io.eoscope.curvature.analysis.Spectrum;
import io.eoscope.curvature.eigen.EigenResult;
import io.eoscope.curvature.eigen.EigenSolver;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.io.SafetensorsFile;
import io.eoscope.curvature.io.ScriptedFile;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.DifferentiableModel;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.ScriptedModel;
import io.eoscope.curvature.net.ScriptedParameters;
import io.eoscope.curvature.optim.OptimizerSnapshot;
import io.eoscope.reproduce.Versions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * TorchScript analysis against PyTorch itself, in the same run ({@code bench/run torchscript}): for each model, a
 * Python peer ({@code bench/torchscript_peer.py}, Debian's python3 and torch) writes the fixtures (a float32
 * TorchScript trace, its snapshot and a dataset) and times PyTorch on them (gradient, double-backward HVP, a top-1
 * {@code eigsh}); then this harness times eoscope's own classes on the same files, exactly as {@code eos analyze}
 * loads and analyses them (gradient, one 𝓗, G and H product, a top-1 Lanczos solve, the whole default analysis),
 * and prints eoscope ÷ PyTorch. See bench/README.md.
 */
public final class TorchScriptBench {

    private TorchScriptBench() {
    }

    /** The aims stated in the output (and the JSON). */
    static final double AIM_PRODUCT_OVER_HVP = 1.2;
    static final Map<String, Double> AIM_ANALYSIS_SECONDS = Map.of("cnn", 3.0, "resnet", 60.0);

    /** How one model is timed. */
    record Plan(String model, int warmup, int reps, int solveReps, int analysisReps) {
    }

    /** What to run. */
    record Config(List<Plan> plans, String python, Path peer, Path work, boolean keep, Path out, int threads, long seed,
            boolean quick) {
    }

    /** The command line of {@code bench/run torchscript}. */
    @Command(name = "bench/run torchscript", sortOptions = false, usageHelpWidth = 110,
            description = {"Times eoscope's analysis of TorchScript modules against PyTorch itself, on the same files, in one run:",
                "for each model a Python peer (bench/torchscript_peer.py, /usr/bin/python3 with Debian's torch) writes the",
                "fixtures (float32 trace, snapshot, dataset) and times PyTorch's gradient, double-backward HVP and a top-1",
                "eigsh; then eoscope's gradient, 𝓗, G and H products, top-1 Lanczos solve and whole default analysis",
                "(as eos analyze runs it) are timed on the same files. Models: cnn (the README's SmallCnn, P = 2,804,",
                "N = 256) and resnet (a ResNet-style CNN with batch norm in eval mode, P = 96,602, N = 1,000).",
                "Aims: each product ≤ 1.2× PyTorch's float32 HVP; the cnn analysed in ≤ 3 s; the resnet in ≤ 60 s.", ""})
    static final class Options {
        @Option(names = "--models", paramLabel = "LIST", split = ",", defaultValue = "cnn,resnet",
                description = "models, separated by ',' (default: ${DEFAULT-VALUE})")
        List<String> models;

        @Option(names = "--reps", paramLabel = "R", description = "timed rounds of the products (default: cnn 10, resnet 3; --quick 3, 2)")
        Integer reps;

        @Option(names = "--warmup", paramLabel = "W", description = "untimed rounds first (default: cnn 3, resnet 1; --quick 1)")
        Integer warmup;

        @Option(names = "--solve-reps", paramLabel = "S", description = "top-1 solves timed on each side (default: cnn 3, resnet 1; --quick 1)")
        Integer solveReps;

        @Option(names = "--analysis-reps", paramLabel = "A",
                description = "whole default analyses timed (default: cnn 3, resnet 1; --quick: cnn 1, resnet 0)")
        Integer analysisReps;

        @Option(names = "--quick", description = "smoke run: fewer rounds, no whole analysis of the resnet")
        boolean quick;

        @Option(names = "--python", paramLabel = "PY", defaultValue = "/usr/bin/python3",
                description = "the interpreter with torch (default: ${DEFAULT-VALUE})")
        String python;

        @Option(names = "--peer", paramLabel = "PATH", description = "the peer script (default: bench/torchscript_peer.py)")
        Path peer;

        @Option(names = "--work", paramLabel = "DIR", description = "where the fixtures go (default: a temporary directory, removed at the end)")
        Path work;

        @Option(names = "--out", paramLabel = "PATH", defaultValue = "bench/target/torchscript-bench.json",
                description = "JSON output (default: ${DEFAULT-VALUE})")
        Path out;

        @Mixin
        BenchCli.Common common;

        Config config() {
            List<Plan> plans = new ArrayList<>();
            for (String m : models) {
                String name = m.trim();
                boolean cnn = name.equals("cnn");
                if (!cnn && !name.equals("resnet")) {
                    throw new IllegalArgumentException("--models: unknown model '" + name + "' (expected cnn, resnet)");
                }
                int w = warmup != null ? nonNegative("--warmup", warmup) : quick ? 1 : cnn ? 3 : 1;
                int r = reps != null ? BenchCli.positive("--reps", reps) : quick ? (cnn ? 3 : 2) : cnn ? 10 : 3;
                int s = solveReps != null ? BenchCli.positive("--solve-reps", solveReps) : quick ? 1 : cnn ? 3 : 1;
                int a = analysisReps != null ? nonNegative("--analysis-reps", analysisReps) : quick ? (cnn ? 1 : 0) : cnn ? 3 : 1;
                plans.add(new Plan(name, w, r, s, a));
            }
            if (plans.isEmpty()) {
                throw new IllegalArgumentException("--models: name at least one model");
            }
            Path script = peer != null ? peer : findPeer();
            return new Config(plans, python, script, work, work != null, out, common.threads(), common.seed, quick);
        }

        private static int nonNegative(String option, int value) {
            if (value < 0) {
                throw new IllegalArgumentException(option + " must be at least 0, got " + value);
            }
            return value;
        }
    }

    /** bench/torchscript_peer.py from the repository root (bench/run) or from bench/ (the module's tests). */
    static Path findPeer() {
        for (Path p : List.of(Path.of("bench", "torchscript_peer.py"), Path.of("torchscript_peer.py"))) {
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath();
            }
        }
        throw new IllegalArgumentException("bench/torchscript_peer.py not found from " + Path.of("").toAbsolutePath()
                + " (run from the repository root, or give --peer)");
    }

    public static void main(String[] args) throws Exception {
        Options options = new Options();
        Config cfg = BenchCli.parse(args, options, options::config);
        if (cfg != null) {
            run(cfg);
        }
    }

    static void progress(String text) {
        System.err.println("[bench] " + text);
    }

    /** Runs the benchmark; returns the JSON it wrote (as a map). */
    static Map<String, Object> run(Config cfg) throws IOException, InterruptedException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "io.eoscope.bench.TorchScriptBench");
        json.put("timestamp", Instant.now().toString());
        json.put("load_average_before", CurvatureBench.loadAverage());
        Engine engine = Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(cfg.threads());
        Map<String, Object> machine = machine(engine, cfg.threads());
        json.put("machine", machine);
        Map<String, Object> aims = new LinkedHashMap<>();
        aims.put("product_over_pytorch_hvp", AIM_PRODUCT_OVER_HVP);
        aims.put("analysis_seconds", AIM_ANALYSIS_SECONDS);
        json.put("aims", aims);
        json.put("quick", cfg.quick());
        progress("libtorch " + engine.getVersion() + ", intra-op threads " + JniUtils.getNumThreads() + ", inter-op threads "
                + JniUtils.getNumInteropThreads() + ", " + machine.get("cpu") + "; peer " + cfg.python() + " " + cfg.peer());
        Path work = cfg.work() != null ? cfg.work() : Files.createTempDirectory("torchscript-bench");
        Map<String, Object> models = new LinkedHashMap<>();
        List<String> tables = new ArrayList<>();
        try {
            for (Plan plan : cfg.plans()) {
                Path dir = work.resolve(plan.model());
                Files.createDirectories(dir);
                Map<String, Object> torch = peer(cfg, plan, dir);
                Map<String, Object> eoscope = eoscope(plan, dir);
                Map<String, Object> ratios = ratios(plan, eoscope, torch);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("plan", Map.of("warmup", plan.warmup(), "reps", plan.reps(), "solve_reps", plan.solveReps(),
                        "analysis_reps", plan.analysisReps()));
                row.put("pytorch", torch);
                row.put("eoscope", eoscope);
                row.put("ratios", ratios);
                models.put(plan.model(), row);
                String table = table(plan, eoscope, torch, ratios);
                tables.add(table);
                System.out.println();
                System.out.print(table);
                System.out.flush();
            }
        } finally {
            if (!cfg.keep()) {
                deleteTree(work);
            }
        }
        json.put("models", models);
        json.put("load_average_after", CurvatureBench.loadAverage());
        System.out.println();
        System.out.println("load average (1, 5, 15 min) before " + json.get("load_average_before") + ", after "
                + json.get("load_average_after") + "  (other processes on the machine slow both sides: the figures are upper bounds)");
        Path out = cfg.out().toAbsolutePath();
        Files.createDirectories(out.getParent());
        Files.writeString(out, Json.write(json) + "\n", StandardCharsets.UTF_8);
        System.out.println("JSON written to " + cfg.out());
        return json;
    }

    // ---- the PyTorch side ------------------------------------------------------------------------------------------

    /** Runs the peer for one model: fixtures into {@code dir}, PyTorch's timings back as a map. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> peer(Config cfg, Plan plan, Path dir) throws IOException, InterruptedException {
        Path result = dir.resolve("pytorch.json");
        List<String> command = new ArrayList<>(List.of(cfg.python(), cfg.peer().toString(), "--model", plan.model(), "--dir",
                dir.toString(), "--threads", Integer.toString(cfg.threads()), "--reps", Integer.toString(plan.reps()),
                "--warmup", Integer.toString(plan.warmup()), "--solve-reps", Integer.toString(plan.solveReps()),
                "--tol", Double.toString(AnalysisOptions.defaults().tolerance()), "--seed", Long.toString(cfg.seed()),
                "--eos", eosCommand(), "--json", result.toString()));
        progress(plan.model() + ": the PyTorch peer writes the fixtures and times PyTorch (" + plan.warmup() + " warm-up + "
                + plan.reps() + " rounds, " + plan.solveReps() + " top-1 solve(s))");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(cfg.threads()));
        pb.environment().put("MKL_NUM_THREADS", Integer.toString(cfg.threads()));
        Process p = pb.start();
        if (!p.waitFor(2, TimeUnit.HOURS)) {
            p.destroyForcibly();
            throw new IllegalStateException("the PyTorch peer took more than 2 hours: " + String.join(" ", command));
        }
        if (p.exitValue() != 0 || !Files.isRegularFile(result)) {
            throw new IllegalStateException("the PyTorch peer failed (exit " + p.exitValue() + "): " + String.join(" ", command));
        }
        return new Gson().fromJson(Files.readString(result), LinkedHashMap.class);
    }

    /** {@code eos} as this JVM can run it (the bench's class path holds the launcher): for {@code eos dataset}. */
    private static String eosCommand() {
        List<String> parts = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), "io.eoscope.launcher.Eos");
        StringBuilder b = new StringBuilder();
        for (String s : parts) {
            b.append(b.length() == 0 ? "" : " ").append('\'').append(s.replace("'", "'\\''")).append('\'');
        }
        return b.toString();
    }

    // ---- the eoscope side ------------------------------------------------------------------------------------------

    /** eoscope's timings on the fixture files in {@code dir}, with eos analyze's classes and default options. */
    private static Map<String, Object> eoscope(Plan plan, Path dir) throws IOException {
        AnalysisOptions options = AnalysisOptions.defaults(); // what eos analyze builds from its default options
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> load = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        ScriptedParameters state;
        LabeledData samples;
        try {
            state = ScriptedFile.read(dir.resolve("snapshot.safetensors"));
            long t1 = System.nanoTime();
            samples = DatasetFile.read(dir.resolve("data.safetensors"));
            DatasetFile.checkAgainst(samples, state, dir.resolve("data.safetensors"));
            long t2 = System.nanoTime();
            load.put("snapshot_read_ms", (t1 - t0) / 1e6);
            load.put("dataset_read_ms", (t2 - t1) / 1e6);
        } catch (InputException e) {
            throw new IllegalStateException("eoscope does not accept the peer's fixtures: " + e.getMessage(), e);
        }
        byte[] module = Files.readAllBytes(dir.resolve("module.pt"));
        SafetensorsFile check;
        try {
            check = Safetensors.read(dir.resolve("check.safetensors"));
        } catch (InputException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        long[] clock = new long[3];
        try (NDManager manager = NDManager.newBaseManager();
                ScriptedModel model = timed(clock, 0, () -> ScriptedModel.load(module, state, manager));
                DeviceData data = timed(clock, 1, () -> DeviceData.upload(samples, model.classes(), manager, model.dataType(),
                        options.chunkSize()))) {
            long t3 = clock[0];
            long t4 = clock[1];
            long t5 = clock[2];
            load.put("module_load_ms", (t4 - t3) / 1e6);
            load.put("data_upload_ms", (t5 - t4) / 1e6);
            out.put("load", load);
            long p = model.parameterCount();
            out.put("parameters", p);
            out.put("groups", model.groups().size());
            out.put("samples", samples.n());
            out.put("dtype", model.dataType().toString().toLowerCase(Locale.ROOT));
            out.put("architecture", state.architecture());
            StringBuilder shape = new StringBuilder();
            for (long d : state.inputShape()) {
                shape.append(shape.length() == 0 ? "" : "×").append(d);
            }
            out.put("input_shape", shape.toString());
            progress(String.format(Locale.ROOT, "%s: eoscope loaded the module (P = %,d, %d layers, %s) in %.0f ms", plan.model(), p,
                    model.groups().size(), out.get("dtype"), (t4 - t3) / 1e6));

            try (CurvatureProducts products = new CurvatureProducts(model, data)) {
                out.put("product_route", products.route());
                NDArray v = HostArrays.upload(manager, check.tensors().get("v").toDoubles(), new Shape(1, p), model.dataType());
                // the same vector as PyTorch's check: eoscope's ∇L and 𝓗v against PyTorch's (also a first warm-up)
                Map<String, Object> agreement = new LinkedHashMap<>();
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    agreement.put("gradient_relative_difference", relative(HostArrays.download(products.gradient()),
                            check.tensors().get("gradient").toDoubles()));
                    agreement.put("hvp_relative_difference", relative(HostArrays.download(products.apply(Curvature.HESSIAN, v)),
                            check.tensors().get("hvp").toDoubles()));
                }
                out.put("agreement_with_pytorch", agreement);
                progress(String.format(Locale.ROOT, "%s: eoscope against PyTorch on the same v: ∇L differs by %.1e, 𝓗v by %.1e "
                        + "(relative)", plan.model(), agreement.get("gradient_relative_difference"),
                        agreement.get("hvp_relative_difference")));

                Map<String, Supplier<Float>> ops = new LinkedHashMap<>();
                ops.put("loss", () -> (float) CurvatureAnalysis.loss(model, data));
                ops.put("gradient", () -> products.gradient().getFloat(0));
                // each operator's first product builds its gradient graph; the next ones of the same operator (a solve's)
                // reuse it when the data is one chunk: both are timed, "_kept" right after the first
                ops.put("hessian_product", () -> products.apply(Curvature.HESSIAN, v).getFloat(0, 0));
                ops.put("hessian_product_kept", () -> products.apply(Curvature.HESSIAN, v).getFloat(0, 0));
                ops.put("gauss_newton_product", () -> products.apply(Curvature.GAUSS_NEWTON, v).getFloat(0, 0));
                ops.put("gauss_newton_product_kept", () -> products.apply(Curvature.GAUSS_NEWTON, v).getFloat(0, 0));
                // a layer's block (the layerwise stage's product): the first layer and the head, through the kept G graph
                DifferentiableModel.ParameterGroup firstLayer = model.groups().get(0);
                DifferentiableModel.ParameterGroup lastLayer = model.groups().get(model.groups().size() - 1);
                NDArray vFirst = v.get(":, " + firstLayer.from() + ":" + firstLayer.to());
                NDArray vLast = v.get(":, " + lastLayer.from() + ":" + lastLayer.to());
                ops.put("first_layer_block_kept", () -> products.applyBlock(Curvature.GAUSS_NEWTON, vFirst, firstLayer.from(),
                        firstLayer.to()).getFloat(0, 0));
                ops.put("last_layer_block_kept", () -> products.applyBlock(Curvature.GAUSS_NEWTON, vLast, lastLayer.from(),
                        lastLayer.to()).getFloat(0, 0));
                ops.put("residual_product", () -> products.apply(Curvature.RESIDUAL, v).getFloat(0, 0));
                ops.put("residual_product_kept", () -> products.apply(Curvature.RESIDUAL, v).getFloat(0, 0));
                progress(plan.model() + ": eoscope: loss, gradient, 𝓗, G and H products: " + plan.warmup() + " warm-up + "
                        + plan.reps() + " timed rounds (interleaved)");
                Map<String, Stats> times = CurvatureBench.timeInterleaved(ops, plan.warmup(), plan.reps());
                Map<String, Object> timing = new LinkedHashMap<>();
                times.forEach((k, s) -> {
                    timing.put(k, s.toJson());
                    progress(String.format(Locale.ROOT, "  %s: median %.1f ms (min %.1f, max %.1f)", k, s.median(), s.min(), s.max()));
                });
                out.put("timing_ms", timing);

                // top-1 of 𝓗 with the analysis's own solver and options (Lanczos, tolerance 1e-4, cold)
                List<Object> solves = new ArrayList<>();
                double[] seconds = new double[plan.solveReps()];
                CurvatureOperator hessian = CurvatureOperator.of(products, Curvature.HESSIAN);
                for (int i = 0; i < plan.solveReps(); i++) {
                    progress(String.format(Locale.ROOT, "%s: eoscope: top-1 eigenvalue of 𝓗, %s, tolerance %.0e (solve %d of %d)",
                            plan.model(), options.solver(), options.tolerance(), i + 1, plan.solveReps()));
                    long before = products.products();
                    long s0 = System.nanoTime();
                    EigenResult r = EigenSolver.named(options.solver()).solve(hessian, options.eigenOptions(), null, manager);
                    seconds[i] = (System.nanoTime() - s0) / 1e9;
                    long counted = products.products() - before;
                    r.vectors().close();
                    Map<String, Object> s = new LinkedHashMap<>();
                    s.put("eigenvalue", r.failed() ? Double.NaN : r.top());
                    s.put("products", r.products());
                    s.put("products_with_check", counted);
                    s.put("converged", r.converged());
                    s.put("relative_residual", r.residuals()[0]);
                    s.put("verified_residual", r.verifiedResiduals()[0]);
                    s.put("failure", r.failure());
                    s.put("seconds", seconds[i]);
                    solves.add(s);
                    progress(r.failed() ? "  FAILED: " + r.failure() : String.format(Locale.ROOT,
                            "  λ = %.6g, %d products (+%d to verify), verified residual %.2e, %.2f s", r.top(), r.products(),
                            counted - r.products(), r.verifiedResiduals()[0], seconds[i]));
                }
                double[] ms = new double[seconds.length];
                for (int i = 0; i < ms.length; i++) {
                    ms[i] = seconds[i] * 1e3;
                }
                Map<String, Object> top1 = new LinkedHashMap<>();
                top1.put("solver", options.solver());
                top1.put("tolerance", options.tolerance());
                top1.put("max_products", options.maxProducts());
                top1.put("ms", Stats.of(ms).toJson());
                top1.put("solves", solves);
                out.put("top1", top1);
            }

            // the whole default analysis, as eos analyze runs it: a fresh CurvatureAnalysis (cold) each time
            List<Object> analyses = new ArrayList<>();
            double[] totals = new double[plan.analysisReps()];
            for (int i = 0; i < plan.analysisReps(); i++) {
                progress(plan.model() + ": eoscope: the whole default analysis (three spectra and the layers' Gauss-Newton blocks), "
                        + (i + 1) + " of " + plan.analysisReps());
                StageProgress stages = new StageProgress(plan.model());
                AnalysisReport report;
                try (CurvatureAnalysis analysis = new CurvatureAnalysis(options, manager)) {
                    report = analysis.analyze(model, data, OptimizerSnapshot.of(state), stages);
                }
                if (report.failure() != null) {
                    throw new IllegalStateException(plan.model() + ": the analysis failed: " + report.failure());
                }
                totals[i] = (Double) report.info().get("seconds");
                analyses.add(analysisJson(report));
                progress(String.format(Locale.ROOT, "  %.2f s: %s", totals[i], report.info().get("stage_seconds")));
            }
            if (totals.length > 0) {
                Map<String, Object> whole = new LinkedHashMap<>();
                double[] copy = totals.clone();
                Stats st = Stats.of(copy);
                whole.put("seconds", st.toJson());
                // the run whose total is the median (the lower middle of an even count): its stages and products
                int median = 0;
                double best = Double.POSITIVE_INFINITY;
                for (int i = 0; i < totals.length; i++) {
                    if (Math.abs(totals[i] - st.median()) < best) {
                        best = Math.abs(totals[i] - st.median());
                        median = i;
                    }
                }
                whole.put("median_run", analyses.get(median));
                whole.put("runs", analyses);
                out.put("analysis", whole);
            }
        }
        return out;
    }

    /** {@code make.get()}, with System.nanoTime() before it in clock[i] and after it in clock[i + 1]. */
    private static <T> T timed(long[] clock, int i, Supplier<T> make) {
        clock[i] = System.nanoTime();
        T t = make.get();
        clock[i + 1] = System.nanoTime();
        return t;
    }

    /** Prints each stage of a long analysis as it starts, with its products every so often. */
    private static final class StageProgress implements AnalysisProgress {
        private final String model;
        private String stage;
        private long lastPrint = System.nanoTime();
        private long started = System.nanoTime();

        StageProgress(String model) {
            this.model = model;
        }

        @Override
        public void update(String s, long done, long total) {
            long now = System.nanoTime();
            if (!s.equals(stage)) {
                stage = s;
                started = now;
                lastPrint = now;
                progress("  " + model + " analysis: " + s + " ...");
            } else if (now - lastPrint > 20e9) {
                lastPrint = now;
                progress(String.format(Locale.ROOT, "  %s analysis: %s %d%s (%.0f s in this stage)", model, s, done,
                        total > 0 ? " of " + total : " products", (now - started) / 1e9));
            }
        }
    }

    /** A report's figures that matter here: seconds, stage seconds, products per stage. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> analysisJson(AnalysisReport r) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("seconds", r.info().get("seconds"));
        a.put("stage_seconds", new LinkedHashMap<>((Map<String, Double>) r.info().get("stage_seconds")));
        Map<String, Object> products = new LinkedHashMap<>();
        long all = 0;
        for (Map.Entry<Curvature, Spectrum> e : r.spectra().entrySet()) {
            Spectrum s = e.getValue();
            long withCheck = s.products() + s.eigenvalues().length; // the solver's and the fresh-product check
            products.put(e.getKey().id(), s.products());
            all += withCheck;
        }
        long layers = 0;
        int groups = r.groups() == null ? 0 : r.groups().size();
        for (GroupCurvature g : r.groups() == null ? List.<GroupCurvature>of() : r.groups()) {
            layers += g.products();
        }
        products.put("layerwise", layers);
        products.put("layer_count", groups);
        // each solve's fresh-product check: k per spectrum, one per layer
        products.put("total_with_checks", all + layers + groups);
        a.put("products", products);
        Map<String, Object> eig = new LinkedHashMap<>();
        r.spectra().forEach((k, s) -> eig.put(k.id(), s.top()));
        a.put("top_eigenvalues", eig);
        a.put("product_route", r.info().get("product_route"));
        a.put("report", new Gson().fromJson(r.toJsonText(), LinkedHashMap.class));
        return a;
    }

    // ---- ratios and the table --------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private static double torch(Map<String, Object> torch, String op, String stat) {
        return ((Number) ((Map<String, Object>) ((Map<String, Object>) torch.get("timing_ms")).get(op)).get(stat)).doubleValue();
    }

    @SuppressWarnings("unchecked")
    private static double eos(Map<String, Object> eoscope, String op, String stat) {
        return ((Number) ((Map<String, Object>) ((Map<String, Object>) eoscope.get("timing_ms")).get(op)).get(stat)).doubleValue();
    }

    @SuppressWarnings("unchecked")
    private static double at(Map<String, Object> root, String... path) {
        Object o = root;
        for (String k : path) {
            o = ((Map<String, Object>) o).get(k);
        }
        return ((Number) o).doubleValue();
    }

    private static Map<String, Object> ratios(Plan plan, Map<String, Object> eoscope, Map<String, Object> torch) {
        Map<String, Object> r = new LinkedHashMap<>();
        for (String stat : new String[] {"median", "min"}) {
            String suffix = stat.equals("median") ? "" : "_from_min";
            double hvp = torch(torch, "hvp", stat);
            r.put("loss" + suffix, eos(eoscope, "loss", stat) / torch(torch, "loss", stat));
            r.put("gradient" + suffix, eos(eoscope, "gradient", stat) / torch(torch, "gradient", stat));
            r.put("hessian_product_over_hvp" + suffix, eos(eoscope, "hessian_product", stat) / hvp);
            r.put("gauss_newton_product_over_hvp" + suffix, eos(eoscope, "gauss_newton_product", stat) / hvp);
            r.put("residual_product_over_hvp" + suffix, eos(eoscope, "residual_product", stat) / hvp);
            for (String op : new String[] {"hessian_product_kept", "gauss_newton_product_kept", "residual_product_kept",
                "first_layer_block_kept", "last_layer_block_kept"}) {
                r.put(op + "_over_hvp" + suffix, eos(eoscope, op, stat) / hvp);
            }
            r.put("top1_seconds" + suffix, at(eoscope, "top1", "ms", stat) / at(torch, "top1", "ms", stat));
        }
        r.put("top1_products", ((Number) firstSolve(eoscope).get("products")).doubleValue() / at(torch, "top1", "products"));
        // per product of each side's solve (the solve's time over its products, its check included on eoscope's side):
        // against the bare product's time, what the solver itself adds
        r.put("eoscope_top1_ms_per_product", at(eoscope, "top1", "ms", "median")
                / ((Number) firstSolve(eoscope).get("products_with_check")).doubleValue());
        r.put("pytorch_top1_ms_per_product", at(torch, "top1", "ms", "median") / at(torch, "top1", "products"));
        r.put("pytorch_hvp_over_gradient", torch(torch, "hvp", "median") / torch(torch, "gradient", "median"));
        r.put("eoscope_hessian_product_over_gradient", eos(eoscope, "hessian_product", "median") / eos(eoscope, "gradient", "median"));
        if (eoscope.containsKey("analysis")) {
            double seconds = at(eoscope, "analysis", "seconds", "median");
            r.put("analysis_seconds", seconds);
            r.put("analysis_in_pytorch_hvps", seconds * 1e3 / torch(torch, "hvp", "median"));
            r.put("analysis_aim_seconds", AIM_ANALYSIS_SECONDS.get(plan.model()));
            double products = at(eoscope, "analysis", "median_run", "products", "total_with_checks");
            r.put("analysis_products", products);
            r.put("analysis_ms_per_product", seconds * 1e3 / products);
        }
        return r;
    }

    @SuppressWarnings("unchecked")
    private static String table(Plan plan, Map<String, Object> eoscope, Map<String, Object> torch, Map<String, Object> r) {
        StringBuilder b = new StringBuilder();
        Map<String, Object> fixtures = (Map<String, Object>) torch.get("fixtures");
        b.append(String.format(Locale.ROOT, "%s: %s, P = %,d (%d layers), N = %d inputs %s → %d classes, cross-entropy, float32 "
                + "TorchScript trace, CPU%n", plan.model(),
                plan.model().equals("cnn") ? "SmallCnn of examples/pytorch_cnn.py" : "ResNet-style CNN, batch norm in eval mode",
                (long) at(eoscope, "parameters"), ((Number) eoscope.get("groups")).intValue(), (long) at(eoscope, "samples"),
                eoscope.get("input_shape"), (long) at(torch, "classes")));
        b.append("data: ").append(fixtures.get("data_source")).append('\n');
        b.append(String.format(Locale.ROOT, "timing: median of %d after %d warm-up rounds, each side's operations interleaved; "
                + "eoscope (libtorch %s via DJL) vs PyTorch %s (Python), %d threads each%n", plan.reps(), plan.warmup(),
                Engine.getEngine("PyTorch").getVersion(), torch.get("torch"), (long) at(torch, "threads")));
        b.append(String.format(Locale.ROOT, "%-34s %12s %12s %10s %10s%n", "operation", "eoscope ms", "PyTorch ms", "ratio",
                "(minima)"));
        String[][] rows = {{"loss (forward)", "loss", "loss", "loss", ""},
            {"gradient ∇L", "gradient", "gradient", "gradient", ""},
            {"𝓗 product vs HVP", "hessian_product", "hvp", "hessian_product_over_hvp", "   aim ≤ 1.2"},
            {"  next ones, graph kept", "hessian_product_kept", "hvp", "hessian_product_kept_over_hvp", ""},
            {"G product (in HVPs)", "gauss_newton_product", "hvp", "gauss_newton_product_over_hvp", "   aim ≤ 1.2"},
            {"  next ones, graph kept", "gauss_newton_product_kept", "hvp", "gauss_newton_product_kept_over_hvp", ""},
            {"  first layer's block, kept", "first_layer_block_kept", "hvp", "first_layer_block_kept_over_hvp", ""},
            {"  last layer's block, kept", "last_layer_block_kept", "hvp", "last_layer_block_kept_over_hvp", ""},
            {"H product (in HVPs)", "residual_product", "hvp", "residual_product_over_hvp", "   aim ≤ 1.2"},
            {"  next ones, graph kept", "residual_product_kept", "hvp", "residual_product_kept_over_hvp", ""}};
        for (String[] row : rows) {
            b.append(String.format(Locale.ROOT, "%-34s %12.1f %12.1f %10.2f %10s%s%n", row[0], eos(eoscope, row[1], "median"),
                    torch(torch, row[2], "median"), (Double) r.get(row[3]),
                    String.format(Locale.ROOT, "(%.2f)", (Double) r.get(row[3] + "_from_min")), row[4]));
        }
        Map<String, Object> tTop = (Map<String, Object>) torch.get("top1");
        Map<String, Object> eSolve = firstSolve(eoscope);
        b.append(String.format(Locale.ROOT, "%-34s %12.1f %12.1f %10.2f %10s%n", "top-1 solve of 𝓗 (time)",
                at(eoscope, "top1", "ms", "median"), at(torch, "top1", "ms", "median"), (Double) r.get("top1_seconds"),
                String.format(Locale.ROOT, "(%.2f)", (Double) r.get("top1_seconds_from_min"))));
        b.append(String.format(Locale.ROOT, "%-34s %12s %12s %10.2f%n", "top-1 solve of 𝓗 (products)",
                String.format(Locale.ROOT, "%d (+%d)", ((Number) eSolve.get("products")).longValue(),
                        ((Number) eSolve.get("products_with_check")).longValue() - ((Number) eSolve.get("products")).longValue()),
                String.format(Locale.ROOT, "%d", (long) at(torch, "top1", "products")), (Double) r.get("top1_products")));
        b.append(String.format(Locale.ROOT, "%-34s %12.1f %12.1f %10.2f   (the solve's time ÷ its products)%n",
                "  ms per product in the solve", (Double) r.get("eoscope_top1_ms_per_product"),
                (Double) r.get("pytorch_top1_ms_per_product"),
                (Double) r.get("eoscope_top1_ms_per_product") / (Double) r.get("pytorch_top1_ms_per_product")));
        b.append(String.format(Locale.ROOT, "%-34s %12.6g %12.6g   (eoscope: Lanczos, tol 1e-4; PyTorch: %s, tol 1e-4)%n",
                "  λ₁", ((Number) eSolve.get("eigenvalue")).doubleValue(), ((Number) tTop.get("eigenvalue")).doubleValue(),
                tTop.get("solver")));
        if (eoscope.containsKey("analysis")) {
            Map<String, Object> run = (Map<String, Object>) ((Map<String, Object>) eoscope.get("analysis")).get("median_run");
            double seconds = (Double) r.get("analysis_seconds");
            double aim = (Double) r.get("analysis_aim_seconds");
            b.append(String.format(Locale.ROOT, "%-34s %12.1f %12s %10s   = %.2f s = %.0f PyTorch HVPs; aim ≤ %.0f s: %s%n",
                    "whole default analysis", seconds * 1e3, "", "", seconds, (Double) r.get("analysis_in_pytorch_hvps"), aim,
                    seconds <= aim ? "met" : "not met"));
            Map<String, Double> stages = (Map<String, Double>) run.get("stage_seconds");
            Map<String, Object> products = (Map<String, Object>) run.get("products");
            StringBuilder s = new StringBuilder();
            stages.forEach((k, v) -> s.append(String.format(Locale.ROOT, "%s%s %.2f s%s", s.length() == 0 ? "" : ", ", k, v,
                    products.containsKey(k) ? " (" + ((Number) products.get(k)).longValue() + " products)" : "")));
            b.append("  stages: ").append(s).append(" (solver products; each solve adds one for its check)\n");
            b.append(String.format(Locale.ROOT, "  %d products in all (with the fresh-product checks; %d layers' G blocks): "
                    + "%.0f ms each against %.0f ms for one bare 𝓗 product%n", (long) at(products, "total_with_checks"),
                    (long) at(products, "layer_count"), (Double) r.get("analysis_ms_per_product"),
                    eos(eoscope, "hessian_product", "median")));
        } else {
            b.append("whole default analysis: not run (--quick or --analysis-reps 0)\n");
        }
        Map<String, Object> agreement = (Map<String, Object>) eoscope.get("agreement_with_pytorch");
        b.append(String.format(Locale.ROOT, "  same v, both sides: ∇L differs by %.1e, 𝓗v by %.1e (relative); "
                + "PyTorch HVP ÷ gradient %.2f, eoscope 𝓗 product ÷ gradient %.2f%n",
                (Double) agreement.get("gradient_relative_difference"), (Double) agreement.get("hvp_relative_difference"),
                (Double) r.get("pytorch_hvp_over_gradient"), (Double) r.get("eoscope_hessian_product_over_gradient")));
        return b.toString();
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private static Map<String, Object> firstSolve(Map<String, Object> eoscope) {
        return (Map<String, Object>) ((List<Object>) ((Map<String, Object>) eoscope.get("top1")).get("solves")).get(0);
    }

    private static double relative(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalStateException("vectors of length " + a.length + " and " + b.length
                    + ": the module's parameters are not in the order PyTorch lists them");
        }
        double d = 0;
        double n = 0;
        for (int i = 0; i < a.length; i++) {
            d += (a[i] - b[i]) * (a[i] - b[i]);
            n += b[i] * b[i];
        }
        return Math.sqrt(d / n);
    }

    private static Map<String, Object> machine(Engine engine, int threads) {
        Map<String, Object> mc = new LinkedHashMap<>();
        mc.put("cpu", Versions.cpuModel());
        mc.put("available_processors", Runtime.getRuntime().availableProcessors());
        mc.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        mc.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        mc.put("djl", Engine.getDjlVersion());
        mc.put("libtorch", engine.getVersion());
        mc.put("threads_requested", threads);
        mc.put("libtorch_intra_op_threads", JniUtils.getNumThreads());
        mc.put("libtorch_inter_op_threads", JniUtils.getNumInteropThreads());
        mc.put("OMP_NUM_THREADS", String.valueOf(System.getenv("OMP_NUM_THREADS")));
        mc.put("MKL_NUM_THREADS", String.valueOf(System.getenv("MKL_NUM_THREADS")));
        return mc;
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
