package io.eoscope.reproduce;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.curvature.io.AtomicFiles;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.net.DeviceChoice;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.spectrum.DensityGrid;
import io.eoscope.gateway.PowerLaw;
import io.eoscope.trainer.data.ImageGrid;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.solve.GradientFlowReference;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The five experiments of the reproduction: which runs they need ({@link #eosRuns}, {@link #sizeRuns}),
 * training the missing ones through the {@link Pipeline}, the gradient-flow reference, and the
 * assembly of figures (long-format CSVs), tables, claims and {@code report.json}.
 */
final class Reproduction {
    static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues()
            .create();
    private static final int FLOW_POINTS = 200;
    private final Preset preset;
    private final Path out;
    private final PrintStream err;

    Reproduction(Preset preset, Path out, PrintStream err) {
        this.preset = preset;
        this.out = out;
        this.err = err;
    }

    private RunConfig config(String dataset, int n, int classes, String arch, String loss, String solver, double lr,
            long steps, double untilTime, long snapshotEvery, double snapshotDt, int sharpnessEvery) {
        return config(dataset, n, classes, arch, loss, solver, lr, steps, untilTime, snapshotEvery, snapshotDt,
                sharpnessEvery, preset.seed(), false);
    }

    private RunConfig config(String dataset, int n, int classes, String arch, String loss, String solver, double lr,
            long steps, double untilTime, long snapshotEvery, double snapshotDt, int sharpnessEvery, long seed,
            boolean snapshotAtEdge) {
        return new RunConfig("template", dataset, preset.dataDirFor(dataset), n, classes, seed, arch,
                preset.activation(), loss, seed, null, solver, lr, preset.etaMax(), 0, 0.1, 1e-4, sharpnessEvery,
                steps, untilTime, 0, snapshotEvery, snapshotDt, "float32", "auto", 1000, false, preset.init(),
                preset.preprocess(), null, null, null, null, null, null, null, snapshotAtEdge);
    }

    /** Experiment 1's runs: GD at each step size, then exponential Euler; same data, same initialisation. */
    List<RunSpec> eosRuns() {
        List<RunSpec> runs = new ArrayList<>();
        for (double eta : preset.gdSteps()) {
            long steps = Math.round(preset.eosTime() / eta);
            long every = Math.max(1, Math.round(preset.snapshotDt() / eta));
            runs.add(new RunSpec("eos-gd-" + eta, 1, "GD η = " + eta, config(preset.eosDataset(), preset.eosN(),
                    preset.eosClasses(), preset.eosArchitecture(), preset.eosLoss(), "gd", eta, steps, 0, every, 0,
                    preset.sharpnessEvery()), steps * eta));
        }
        runs.add(new RunSpec("eos-exp-euler", 1, "exp. Euler η_max = " + preset.etaMax(), config(preset.eosDataset(),
                preset.eosN(), preset.eosClasses(), preset.eosArchitecture(), preset.eosLoss(), "exp-euler", preset.etaMax(),
                0, preset.eosTime(), 0, preset.snapshotDt(), 1), preset.eosTime()));
        return runs;
    }

    /**
     * Experiment 5's runs: the N grid for cross-entropy and MSE, {@link Preset#sizeSeeds} seeds each; snapshots at the
     * start, right after the trainer's sharpness first reaches 2/η, and at the end.
     */
    List<RunSpec> sizeRuns() {
        List<RunSpec> runs = new ArrayList<>();
        for (String loss : List.of("cross_entropy", "mse")) {
            double lr = loss.equals("mse") ? preset.sizeLrMse() : preset.sizeLrCrossEntropy();
            for (int n : preset.sizes()) {
                for (int k = 0; k < preset.sizeSeeds(); k++) {
                    long seed = preset.seed() + k;
                    runs.add(new RunSpec("size-" + loss + "-" + n + "-seed" + seed, 5, loss + " N = " + n + " seed " + seed,
                            config(preset.sizeDataset(), n, preset.sizeClasses(), preset.sizeArchitecture(), loss, "gd", lr,
                                    preset.sizeSteps(), 0, preset.sizeSteps(), 0, preset.sizeSharpnessEvery(), seed, true),
                            preset.sizeSteps() * lr));
                }
            }
        }
        return runs;
    }

    /** Experiment 6's runs: one per optimizer, the same data, network and initialisation. */
    List<RunSpec> optimizerRuns() {
        OptimizerExperiment x = preset.optimizers();
        List<RunSpec> runs = new ArrayList<>();
        for (OptimizerExperiment.Run r : x.runs()) {
            RunConfig c = config(preset.eosDataset(), x.n(), x.classes(), preset.optimizerArchitecture(), "mse", "gd",
                    r.settings().lr(), x.steps(), 0, x.steps(), 0, x.sharpnessEvery()).withOptimizer(r.settings(), r.batchSize());
            runs.add(new RunSpec("opt-" + r.id(), 6, r.label(), c, x.steps() * r.settings().lr()));
        }
        return runs;
    }

    Path runDir(RunSpec spec) {
        return out.resolve("runs").resolve(spec.id());
    }

    /** Trains every run that is not complete yet, one experiment (one progress bar) at a time. */
    void train(Pipeline pipeline) throws Exception {
        if (trainAll(pipeline, "experiment 1 (GD and exponential Euler; also feeds 2–4)", eosRuns()) > 0) {
            Pipeline.deleteTree(out.resolve("runs").resolve("flow")); // it is evaluated at those runs' times
        }
        flowReference();
        trainAll(pipeline, "experiment 5 (dataset sizes)", sizeRuns());
        trainAll(pipeline, "experiment 6 (each optimizer's own edge)", optimizerRuns());
    }

    /** Trains the runs that are not complete; returns how many it trained. */
    private int trainAll(Pipeline pipeline, String name, List<RunSpec> runs) throws Exception {
        int skipped = 0;
        try (ExperimentProgress progress = new ExperimentProgress(err, name, runs.size())) {
            for (int i = 0; i < runs.size(); i++) {
                RunSpec spec = runs.get(i);
                int index = i;
                if (Pipeline.complete(runDir(spec))) {
                    skipped++;
                    progress.update(i, spec.label() + " (done before)", 1);
                    continue;
                }
                pipeline.run(spec, runDir(spec), f -> progress.update(index, spec.label(), f));
            }
        }
        if (skipped > 0) {
            err.println("eos reproduce: " + name + ": " + skipped + " of " + runs.size()
                    + " runs were complete in " + out.resolve("runs") + " and were not trained again");
        }
        return runs.size() - skipped;
    }

    /** The fine RK4 gradient flow from experiment 1's initial parameters (float64), at FLOW_POINTS times. */
    private void flowReference() throws Exception {
        Path dir = out.resolve("runs").resolve("flow");
        if (Files.exists(dir.resolve("done.json"))) {
            return;
        }
        RunConfig c = eosRuns().get(0).config();
        MlpModel model = c.initialModel();
        LabeledData data = c.datasetSource().load();
        // a regular grid for the plot, and every time at which a solver of experiment 1 reported its loss, so
        // that each solver is compared with the flow at its own times (no interpolation of a fast-falling loss)
        java.util.TreeSet<Double> grid = new java.util.TreeSet<>();
        for (int i = 0; i <= FLOW_POINTS; i++) {
            grid.add(preset.eosTime() * i / FLOW_POINTS);
        }
        java.util.TreeSet<Double> all = new java.util.TreeSet<>(grid);
        for (RunSpec s : eosRuns()) {
            for (double t : telemetry(s).numbers("time")) {
                all.add(t);
            }
        }
        double[] times = all.stream().mapToDouble(Double::doubleValue).toArray();
        double[] losses;
        try (ExperimentProgress progress = new ExperimentProgress(err, "gradient-flow reference (RK4)", 1);
                NDManager manager = NDManager.newBaseManager(DeviceChoice.parse("auto").resolve());
                DeviceData device = DeviceData.upload(data, model.classes(), manager, DataType.FLOAT64, 1000)) {
            losses = GradientFlowReference.lossAt(model, device, manager, DataType.FLOAT64, times, preset.flowDt(),
                    (reached, total, t, loss) -> progress.update(0, "t = " + Csv.fmt(t), reached / (double) total));
        }
        Csv csv = new Csv("time", "loss", "grid");
        for (int i = 0; i < times.length; i++) {
            csv.row(times[i], losses[i], grid.contains(times[i]) ? 1L : 0L);
        }
        Files.createDirectories(dir);
        csv.write(dir.resolve("flow.csv"));
        AtomicFiles.write(dir.resolve("done.json"), ("{\"max_substep\": " + preset.flowDt() + "}").getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- assembly

    private Csv telemetry(RunSpec s) throws InputException {
        return Csv.read(runDir(s).resolve("telemetry.csv"));
    }

    private Csv metrics(RunSpec s) throws InputException {
        return Csv.read(runDir(s).resolve("metrics.csv"));
    }

    /** Writes every figure's CSV and report.json; returns the claims. */
    List<Claims.Claim> assemble(JsonObject configuration, JsonObject versions) throws Exception {
        List<RunSpec> eos = eosRuns();
        List<RunSpec> gd = eos.subList(0, eos.size() - 1);
        RunSpec ee = eos.get(eos.size() - 1);
        List<Claims.Claim> claims = new ArrayList<>();
        JsonArray sections = new JsonArray();

        // 1. edge of stability
        Csv sharp = new Csv("t", "sharpness", "series", "step");
        Csv loss = new Csv("t", "loss", "series", "step");
        List<Claims.Trace> traces = new ArrayList<>();
        JsonArray hlines = new JsonArray();
        Csv flow = Csv.read(out.resolve("runs/flow/flow.csv"));
        double[] flowT = flow.numbers("time");
        double[] flowL = flow.numbers("loss");
        double[] gdDev = new double[gd.size()];
        double[] gdEta = new double[gd.size()];
        double eeDev = Double.NaN;
        Claims.Claim eeClaim = null;
        for (int i = 0; i < eos.size(); i++) {
            RunSpec s = eos.get(i);
            Csv tel = telemetry(s);
            double[] t = tel.numbers("time");
            double[] sh = tel.numbers("sharpness");
            double[] l = tel.numbers("loss");
            double[] step = tel.numbers("step");
            for (int k = 0; k < t.length; k++) {
                if (Double.isFinite(sh[k])) {
                    sharp.row(t[k], sh[k], s.label(), (long) step[k]);
                }
                loss.row(t[k], l[k], s.label(), (long) step[k]);
            }
            double dev = deviation(t, l, flowT, flowL);
            if (i < gd.size()) {
                double eta = s.config().learningRate();
                traces.add(new Claims.Trace(eta, t, sh));
                gdDev[i] = dev;
                gdEta[i] = eta;
                JsonObject h = new JsonObject();
                h.addProperty("y", 2 / eta);
                h.addProperty("label", "2/η (η = " + eta + ")");
                hlines.add(h);
            } else {
                double max = 0;
                for (double v : sh) {
                    if (Double.isFinite(v)) {
                        max = Math.max(max, v * preset.etaMax() / 2);
                    }
                }
                eeDev = dev;
                eeClaim = Claims.exponentialEuler(dev, gdDev, gdEta, max);
            }
        }
        double[] onGrid = flow.numbers("grid");
        for (int k = 0; k < flowT.length; k++) {
            if (onGrid[k] == 1) {
                loss.row(flowT[k], flowL[k], "gradient flow (RK4)", -1L);
            }
        }
        sharp.write(out.resolve("eos/sharpness.csv"));
        loss.write(out.resolve("eos/loss.csv"));
        claims.add(Claims.edgeOfStability(traces));
        claims.add(eeClaim);
        JsonObject s1 = section("eos", "1. Edge of stability",
                "GD at " + gd.size() + " step sizes and exponential Euler (η_max = " + preset.etaMax() + ") start from the same"
                        + " initial parameters (seed " + preset.seed() + ") on the same data (" + preset.eosDataset() + ", N = "
                        + preset.eosN() + ", C = " + preset.eosClasses() + ", " + preset.eosArchitecture() + " "
                        + preset.activation() + ", " + preset.eosLoss() + "), for the same continuous time t = "
                        + preset.eosTime() + " (GD advances t by η per step). The sharpness λmax(𝓗) is the trainer's own"
                        + " (every " + preset.sharpnessEvery() + " GD steps; every step for exponential Euler), read back from"
                        + " the telemetry topic. The gradient-flow reference integrates dθ/dt = −∇L̃ with classic RK4 in float64"
                        + " (substeps ≤ " + preset.flowDt() + "). Initialisation: " + preset.init() + "; inputs: "
                        + preset.preprocess() + " (with the statistics of each run's training subset)."
                        + (preset.eosDataset().equals("xor") ? " This miniature trains experiments 1–4 on XOR-2D, the"
                        + " solver's smallest example." : "")
                        + "\n\nClaim 1 criterion: " + Claims.C1 + ".\n\nClaim 2 criterion: "
                        + Claims.C2 + ". The deviation is the largest |L̃_solver(t) − L̃_flow(t)|/L̃_flow(t) over the times t at"
                        + " which the solver took a step (the flow is integrated to exactly those times).");
        JsonArray f1 = new JsonArray();
        JsonObject fs = figure("eos-sharpness", "Sharpness against continuous time", "λmax(𝓗) of each run; dashed lines"
                + " at 2/η of each GD step size", "eos/sharpness.csv", "t", "sharpness", "continuous time t", "λmax(𝓗)", false,
                false);
        fs.add("hlines", hlines);
        f1.add(fs);
        f1.add(figure("eos-loss", "Training loss against continuous time", "L̃ of each run beside the fine gradient-flow"
                + " reference", "eos/loss.csv", "t", "loss", "continuous time t", "L̃", false, true));
        s1.add("figures", f1);
        s1.add("tables", tables(table("Loss deviation from the gradient flow", List.of("run", "max relative deviation"),
                devRows(gd, gdDev, eeDev))));
        sections.add(s1);

        // 2–4: the metrics of the GD run at the largest step size
        RunSpec main = gd.get(0);
        double eta = main.config().learningRate();
        Csv m = metrics(main);
        double[] t = m.numbers("time");
        double[] hess = m.numbers("hessian");
        double[] gn = m.numbers("gauss_newton");
        double[] res = m.numbers("residual");
        Csv split = new Csv("t", "value", "series", "step");
        double[] step = m.numbers("step");
        for (int k = 0; k < t.length; k++) {
            split.row(t[k], hess[k], "λmax(𝓗)", (long) step[k]);
            split.row(t[k], gn[k], "λmax(G)", (long) step[k]);
            split.row(t[k], res[k], "top λ(H) (by magnitude)", (long) step[k]);
        }
        split.write(out.resolve("sharpness/split.csv"));
        claims.add(Claims.gaussNewton(t, hess, gn, res));
        String reuse = "The analyzers computed these from the snapshots of experiment 1's GD run at η = " + eta + " (every "
                + preset.snapshotDt() + " of continuous time), read back from the metrics topic: no extra training.";
        JsonObject s2 = section("sharpness", "2. Where sharpness comes from", reuse + "\n\n𝓗 = G + H; G = E[JᵀSJ] is the"
                + " Gauss-Newton part, H the residual (docs/science.md#hessian-decomposition); top eigenvalues by magnitude, signed.\n\nClaim 3a"
                + " criterion: " + Claims.C3G + ".");
        JsonObject f2 = figure("sharpness-split", "λmax of 𝓗, G and H over training (GD η = " + eta + ")",
                "the top eigenvalues of the Hessian, its Gauss-Newton part and its residual", "sharpness/split.csv", "t",
                "value", "continuous time t", "eigenvalue", false, false);
        JsonArray h2 = new JsonArray();
        JsonObject line = new JsonObject();
        line.addProperty("y", 2 / eta);
        line.addProperty("label", "2/η");
        h2.add(line);
        f2.add("hlines", h2);
        s2.add("figures", array(f2));
        sections.add(s2);

        int layers = main.layers();
        Csv lg = new Csv("t", "value", "series", "step");
        Csv lk = new Csv("t", "value", "series", "step");
        double[][] layerTop = new double[layers][];
        for (int l = 1; l <= layers; l++) {
            layerTop[l - 1] = m.numbers("layer" + l + ".gauss_newton_top");
            double[] k = m.numbers("layer" + l + ".K_max_sq_mean");
            for (int i = 0; i < t.length; i++) {
                lg.row(t[i], layerTop[l - 1][i], "layer " + l, (long) step[i]);
                lk.row(t[i], k[i], "layer " + l, (long) step[i]);
            }
        }
        lg.write(out.resolve("layers/gauss_newton.csv"));
        lk.write(out.resolve("layers/k_max_sq.csv"));
        claims.add(Claims.firstLayer(t, layerTop, gn));
        JsonObject s3 = section("layers", "3. Which layer", reuse + "\n\nλmax(Gˡ) is the top eigenvalue of the layer-l"
                + " diagonal block of G (= ρ(Kˡ)); E‖Kˡ‖²_max its per-sample counterpart (docs/science.md#layerwise-alignment). By Lemma B,"
                + " maxₗ λmax(Gˡ) ≤ λmax(G) ≤ Σₗ λmax(Gˡ).\n\nClaim 3b criterion: " + Claims.C3L + ".");
        s3.add("figures", array(
                figure("layers-gauss-newton", "λmax(Gˡ) per layer", "the top eigenvalue of each layer's block of G",
                        "layers/gauss_newton.csv", "t", "value", "continuous time t", "λmax(Gˡ)", false, true),
                figure("layers-k-max", "E‖Kˡ‖²_max per layer", "the mean over samples of the largest squared singular value"
                        + " of Kˡ", "layers/k_max_sq.csv", "t", "value", "continuous time t", "E‖Kˡ‖²_max", false, true)));
        sections.add(s3);

        double[] rho = m.numbers("rho_K");
        double[] kk = m.numbers("K_max_sq_mean");
        Csv ra = new Csv("t", "value", "series", "step");
        Csv fa = new Csv("t", "value", "series", "step");
        String[][] factors = {{"pi_chi", "Π_χ¹"}, {"p_chi_delta", "P_χΔ/χ¹"}, {"pi_J", "Π_J¹"}, {"p_delta_J", "P_ΔJ¹"},
            {"delta_L_max_sq_mean", "E‖Δᴸ‖²_max"}};
        for (int i = 0; i < t.length; i++) {
            ra.row(t[i], rho[i], "ρ(K) = λmax(G)", (long) step[i]);
            ra.row(t[i], kk[i], "E‖K‖²_max", (long) step[i]);
        }
        for (String[] f : factors) {
            double[] v = m.numbers("layer1." + f[0]);
            for (int i = 0; i < t.length; i++) {
                fa.row(t[i], v[i], f[1], (long) step[i]);
            }
        }
        ra.write(out.resolve("alignment/rho.csv"));
        fa.write(out.resolve("alignment/factors.csv"));
        claims.add(Claims.alignment(layer1(m, 0), layer1(m, t.length - 1)));
        JsonObject s4 = section("alignment", "4. Alignment", reuse + "\n\nρ(K) = λmax(E[KᵀK]) = λmax(G) and E‖K‖²_max ≥ ρ(K);"
                + " their ratio in (0, 1] measures how well the samples' top directions agree. The five factors of layer 1"
                + " multiply to E‖K¹‖²_max exactly: Π_χ¹ · P_χΔ/χ¹ · Π_J¹ · P_ΔJ¹ · E‖Δᴸ‖²_max; P_ΔJ¹ is the layerwise"
                + " Jacobian alignment (1 when each layer's top output direction feeds the next layer's top input"
                + " direction). These are this project's precise definitions, chosen to match the paper's figure captions"
                + " (docs/science.md#layerwise-alignment).\n\nClaim 3c criterion: " + Claims.C3A + ".");
        s4.add("figures", array(
                figure("alignment-rho", "ρ(K) and E‖K‖²_max", "ρ(K) = λmax(G) against the mean per-sample top",
                        "alignment/rho.csv", "t", "value", "continuous time t", "value", false, true),
                figure("alignment-factors", "The five factors of E‖K¹‖²_max", "Π_χ¹, P_χΔ/χ¹, Π_J¹, P_ΔJ¹ and E‖Δᴸ‖²_max",
                        "alignment/factors.csv", "t", "value", "continuous time t", "factor", false, true)));
        sections.add(s4);

        // 5. dataset size
        sections.add(sizeSection(claims));

        // 6. other optimizers
        sections.add(optimizerSection(claims));

        // 7. the density of 𝓗 over training, for each GD run of experiment 1
        sections.add(densitySection(gd));

        JsonObject report = new JsonObject();
        report.addProperty("title", "eoscope: reproduction of Lowell & Kastner (2024), " + preset.name() + " preset");
        report.addProperty("subtitle", "Training on the Edge of Stability Is Caused by Layerwise Jacobian Alignment"
                + " (arXiv:2406.00127): every number below was trained and analysed through the streaming pipeline"
                + " (Kafka, trainer and analyzer verticles) and read back from Kafka.");
        JsonArray cl = new JsonArray();
        for (Claims.Claim c : claims) {
            JsonObject o = new JsonObject();
            o.addProperty("claim", c.claim());
            o.addProperty("paper", c.paper());
            o.addProperty("measured", c.measured());
            o.addProperty("verdict", c.verdict());
            o.addProperty("criterion", c.criterion());
            cl.add(o);
        }
        report.add("claims", cl);
        report.add("sections", sections);
        report.add("configuration", configuration);
        report.add("versions", versions);
        AtomicFiles.write(out.resolve("report.json"), GSON.toJson(report).getBytes(StandardCharsets.UTF_8));
        return claims;
    }

    /**
     * Experiment 5: every run measured at the end of training and when it first reached 2/η, each alignment quantity
     * fitted per loss and moment; claim 4 judged on the default quantity at the end.
     */
    private JsonObject sizeSection(List<Claims.Claim> claims) throws Exception {
        List<String> losses = List.of("cross_entropy", "mse");
        List<SizeLaw.Point> points = new ArrayList<>();
        for (RunSpec s : sizeRuns()) {
            points.addAll(sizePoints(s));
        }
        List<SizeLaw.Fit> atEnd = new ArrayList<>();
        List<SizeLaw.Fit> atEdge = new ArrayList<>();
        List<List<String>> fitRows = new ArrayList<>();
        JsonArray figures = new JsonArray();
        int runsPerLoss = preset.sizes().size() * preset.sizeSeeds();
        for (String ls : losses) {
            for (SizeLaw.Fit f : SizeLaw.fits(ls, points, runsPerLoss, preset.seed())) {
                fitRows.add(fitRow(f));
                if (f.quantity().equals(SizeLaw.DEFAULT)) {
                    (f.moment() == SizeLaw.Moment.END ? atEnd : atEdge).add(f);
                    if (points.stream().anyMatch(p -> p.loss().equals(ls) && p.moment() == f.moment())) {
                        figures.add(sizeFigure(f, points));
                    }
                }
            }
        }
        claims.add(Claims.powerLaw(atEnd, atEdge));
        List<List<String>> pointRows = new ArrayList<>();
        for (SizeLaw.Point p : points) {
            List<String> row = new ArrayList<>(List.of(p.loss(), Integer.toString(p.n()), Long.toString(p.seed()),
                    p.moment().id, Long.toString(p.step()), Double.toString(p.t()), Double.toString(p.trainingLoss())));
            for (double v : p.values()) {
                row.add(Double.toString(v));
            }
            pointRows.add(row);
        }
        List<String> pointColumns = new ArrayList<>(List.of("loss", "N", "seed", "moment", "step", "t", "training loss"));
        SizeLaw.QUANTITIES.forEach(q -> pointColumns.add(q.symbol()));
        JsonObject s5 = section("powerlaw", "5. Dataset size", "For each N in " + preset.sizes() + " and each loss, "
                + preset.sizeSeeds() + (preset.sizeSeeds() == 1 ? " run" : " runs") + " of GD with the seeds "
                + preset.seed() + (preset.sizeSeeds() > 1 ? "–" + (preset.seed() + preset.sizeSeeds() - 1) : "")
                + " (each seed its own balanced subset of the first N samples and its own initialisation) on "
                + preset.sizeDataset() + " (C = " + preset.sizeClasses() + ", " + preset.sizeArchitecture() + " "
                + preset.activation() + "), with the same stopping rule for every N: " + preset.sizeSteps() + " steps at η = "
                + preset.sizeLrCrossEntropy() + " (cross-entropy) or " + preset.sizeLrMse() + " (MSE), so every run of a loss"
                + " ends at the same continuous time t."
                + "\n\nEach run is measured at two moments: the **end of training** (the verdict's), and the moment it"
                + " **first reaches 2/η**: the snapshot one step after the trainer's sharpness estimate (every "
                + preset.sizeSharpnessEvery() + " steps) first reached 2/η. A run that never reaches 2/η has no point at"
                + " that moment, and the table says how many did not. The alignment quantities are the analyzers' values"
                + " at those snapshots."
                + "\n\nThe fit is log y = log a + β log N by least squares over every run's point (the gateway's PowerLaw)."
                + " β's 95% interval comes from the fit's standard error with Student's t (points − 2 degrees of freedom);"
                + " beside it, a percentile interval of " + SizeLaw.REPLICATES + " bootstrap fits that redraw each N's seeds"
                + " with replacement (none with one seed). R² is that of the per-N means of log y about the fitted line, so"
                + " that the seeds' scatter does not count against the law; the R² over every point is in the table too."
                + "\n\nClaim 4 criterion: " + Claims.C4 + ".");
        s5.add("figures", figures);
        s5.add("tables", tables(
                table("Power-law fits of every alignment quantity at both moments (full precision; the verdict uses "
                        + SizeLaw.DEFAULT.symbol() + " at the end)", List.of("loss", "moment", "quantity", "a", "beta",
                        "beta 95% low", "beta 95% high", "bootstrap low", "bootstrap high", "R2 of per-N means",
                        "R2 of all points", "points", "sizes", "judged"), fitRows),
                table("Points: every run at both moments", pointColumns, pointRows)));
        if (Files.exists(out.resolve("data/examples.png"))) {
            JsonObject img = new JsonObject();
            img.addProperty("file", "data/examples.png");
            img.addProperty("caption", "Examples of the " + preset.sizeDataset() + " training data, one column per class");
            s5.add("images", array(img));
        }
        return s5;
    }

    /** Experiment 6: each optimizer's stability ratio against steps, and a claim per optimizer. */
    private JsonObject optimizerSection(List<Claims.Claim> claims) throws Exception {
        OptimizerExperiment x = preset.optimizers();
        List<RunSpec> specs = optimizerRuns();
        Csv csv = new Csv("step", "ratio", "series");
        List<List<String>> rows = new ArrayList<>();
        char letter = 'a';
        for (int i = 0; i < specs.size(); i++) {
            RunSpec s = specs.get(i);
            OptimizerExperiment.Run run = x.runs().get(i);
            Csv tel = telemetry(s);
            double[] step = tel.numbers("step");
            double[] value = tel.numbers("stability");
            double[] threshold = tel.numbers("stability_threshold");
            List<long[]> at = new ArrayList<>();
            List<Double> ratios = new ArrayList<>();
            for (int k = 0; k < step.length; k++) {
                if (Double.isFinite(value[k]) && Double.isFinite(threshold[k])) {
                    csv.row((long) step[k], value[k] / threshold[k], s.label());
                    at.add(new long[] {(long) step[k]});
                    ratios.add(value[k] / threshold[k]);
                }
            }
            boolean miniBatch = s.config().miniBatch();
            io.eoscope.curvature.optim.StabilityQuantity q = run.settings().quantity(miniBatch);
            String symbol = switch (q) {
                case SHARPNESS -> "λmax(𝓗)";
                case PRECONDITIONED_SHARPNESS -> "λmax(P⁻¹𝓗)";
                case BATCH_SHARPNESS -> "the batch sharpness";
            };
            Claims.Claim c = Claims.optimizerEdge(letter++, s.label(), symbol, run.settings().thresholdFormula() + " = "
                    + Csv.fmt(run.settings().threshold()), source(run.settings(), miniBatch),
                    at.stream().mapToLong(a -> a[0]).toArray(), ratios.stream().mapToDouble(Double::doubleValue).toArray(),
                    x.steps() - 1);
            claims.add(c);
            rows.add(List.of(s.label(), q.id(), run.settings().thresholdFormula(), Double.toString(run.settings().threshold()),
                    Integer.toString(ratios.size()), c.verdict()));
        }
        csv.write(out.resolve("optimizers/ratio.csv"));
        JsonObject s6 = section("optimizers", "6. Each optimizer's own edge", "One run per optimizer from the same initial"
                + " parameters (seed " + preset.seed() + ") on the same data (" + preset.eosDataset() + ", N = " + x.n() + ", C = "
                + x.classes() + ", " + preset.optimizerArchitecture() + " " + preset.activation() + ", MSE), " + x.steps()
                + " steps each. Every optimizer is stable on the local quadratic only while its own quantity stays below its own"
                + " threshold (docs/science.md#other-optimizers): λmax(𝓗) against 2/η for GD, (2+2β)/η for heavy-ball"
                + " momentum and (2+2β)/(η(1+2β)) for Nesterov; λmax(P⁻¹𝓗), P Adam's or RMSprop's diagonal preconditioner,"
                + " against (2+2β1)/((1−β1)η) or 2/η; and for mini-batch SGD the batch sharpness against 2/η. The stability"
                + " ratio, quantity ÷ threshold, is 1 at the edge for every optimizer. Each value is the trainer's own estimate"
                + " (every " + x.sharpnessEvery() + " steps; the batch sharpness to ±5% at 95%), read back from the telemetry"
                + " topic.\n\nClaim 6 criterion: " + Claims.C6 + ". These are not claims of the reproduced paper: each row"
                + " names the work that established the edge it checks.");
        JsonObject fig = figure("optimizers-ratio", "Stability ratio against steps", "each run's own quantity ÷ its own"
                + " threshold; 1 is the edge", "optimizers/ratio.csv", "step", "ratio", "step", "stability ratio", false, true);
        JsonArray h = new JsonArray();
        JsonObject one = new JsonObject();
        one.addProperty("y", 1);
        one.addProperty("label", "the edge (ratio 1)");
        h.add(one);
        fig.add("hlines", h);
        s6.add("figures", array(fig));
        s6.add("tables", tables(table("Runs", List.of("run", "quantity", "threshold formula", "threshold", "estimates",
                "verdict"), rows)));
        return s6;
    }

    /**
     * The spectral density of 𝓗 over training as a heatmap for each GD run of experiment 1 that recorded one, and its
     * traces at the first and last snapshot that carried them. A run without {@code density.csv} (trained before the
     * density existed, or every density failed) gets no figure; the text says which.
     */
    JsonObject densitySection(List<RunSpec> gd) throws Exception {
        JsonArray heatmaps = new JsonArray();
        List<String> without = new ArrayList<>();
        List<List<String>> traceRows = new ArrayList<>();
        for (RunSpec s : gd) {
            Path dir = runDir(s);
            double eta = s.config().learningRate();
            String rel = "runs/" + s.id() + "/";
            if (Files.exists(dir.resolve("density.csv")) && Csv.read(dir.resolve("density.csv")).size() > 0) {
                JsonObject h = new JsonObject();
                h.addProperty("id", "density-" + s.id());
                h.addProperty("title", "Spectral density of 𝓗 over training (" + s.label() + ")");
                h.addProperty("caption", "How to read it: each column is one snapshot's spectral density of 𝓗 by"
                        + " stochastic Lanczos quadrature; upwards runs the eigenvalue λ on a symmetric-log axis (u ="
                        + " asinh(λ/c)/ln 10, c = " + DensityGrid.SCALE + ": linear within about ±c of 0, logarithmic"
                        + " beyond, negative eigenvalues below 0), labelled in λ. Colour is the spectral mass per unit u on"
                        + " a logarithmic scale (the colour bar); bright bands are where most eigenvalues lie (the bulk"
                        + " near 0), faint cells above it the few outliers. The solid line is the analyzers' λmax(𝓗) at"
                        + " every snapshot, the dashed one 2/η = " + Csv.fmt(2 / eta) + ": at the edge of stability the"
                        + " top of the spectrum meets it while the bulk stays put. t = " + eta + " × step.");
                h.addProperty("csv", rel + "density.csv");
                h.addProperty("x", "step");
                h.addProperty("xLabel", "GD step (continuous time t = " + eta + " × step)");
                JsonObject line = new JsonObject();
                line.addProperty("csv", rel + "metrics.csv");
                line.addProperty("x", "step");
                line.addProperty("y", "hessian");
                line.addProperty("label", "λmax(𝓗)");
                h.add("lines", array(line));
                JsonObject threshold = new JsonObject();
                threshold.addProperty("y", 2 / eta);
                threshold.addProperty("label", "2/η");
                h.add("hlines", array(threshold));
                heatmaps.add(h);
            } else {
                without.add(s.label());
            }
            if (Files.exists(dir.resolve("trace.csv"))) {
                Csv tr = Csv.read(dir.resolve("trace.csv"));
                for (int row : tr.size() > 1 ? new int[] {0, tr.size() - 1} : tr.size() == 1 ? new int[] {0} : new int[0]) {
                    traceRows.add(List.of(s.label(), tr.rows().get(row)[tr.index("step")],
                            Csv.fmt(tr.numbers("trace_hessian")[row]) + " [" + Csv.fmt(tr.numbers("trace_hessian_low")[row])
                                    + ", " + Csv.fmt(tr.numbers("trace_hessian_high")[row]) + "]",
                            Csv.fmt(tr.numbers("trace_gauss_newton")[row]), Csv.fmt(tr.numbers("gauss_newton_share")[row]),
                            Csv.fmt(tr.numbers("top_share_hessian")[row])));
                }
            }
        }
        String text = "The analyzers estimate the whole spectrum of 𝓗, not only its top, on one snapshot in "
                + Pipeline.DENSITY_EVERY + " of each GD run of experiment 1 (the first, then every "
                + Pipeline.DENSITY_EVERY + "th) (the other snapshots get λmax alone, so that the density costs"
                + " little): its spectral density by stochastic Lanczos quadrature, reported on one fixed grid so that"
                + " successive snapshots line up as the columns of a map, and the trace tr(𝓗) by Hutch++ with its 95%"
                + " interval beside the exact tr(G) (docs/science.md). Each run's densities are in runs/<run>/density.csv,"
                + " its traces in runs/<run>/trace.csv (docs/contracts.md#reproduction-directory).";
        if (!without.isEmpty()) {
            text += "\n\nNo spectral density was recorded for " + String.join(", ", without) + " (a run trained before"
                    + " the analyzers computed densities, or one whose every density failed: see its done.json), so it has"
                    + " no figure.";
        }
        JsonObject section = section("density", "7. Beyond λmax: the spectrum of 𝓗 over training", text);
        section.add("figures", new JsonArray()); // readers of report.json may expect the key in every section
        section.add("heatmaps", heatmaps);
        if (!traceRows.isEmpty()) {
            section.add("tables", tables(table("Traces at the first and the last snapshot that carried them", List.of("run",
                    "step", "tr(𝓗) [95% interval]", "tr(G) (exact)", "tr(G)/tr(𝓗)", "λmax(𝓗)/tr(𝓗)"), traceRows)));
        }
        return section;
    }

    /** The work that established the edge a run of experiment 6 is judged against. */
    private static String source(io.eoscope.curvature.optim.OptimizerSettings settings, boolean miniBatch) {
        if (miniBatch) {
            return "Andreyev & Beneventano (2024), Edge of Stochastic Stability: under mini-batch SGD the batch sharpness"
                    + " rises to 2/η" + (settings.kind().hasMomentum() ? "; with momentum, (2+2β)/η is an extrapolation" : "");
        }
        return switch (settings.kind()) {
            case GD -> "Cohen et al. (2021): under full-batch GD λmax(𝓗) rises to 2/η and hovers there";
            case MOMENTUM, NESTEROV -> "Cohen et al. (2021): with momentum the threshold of λmax(𝓗) is (2+2β)/η (heavy ball)"
                    + " or (2+2β)/(η(1+2β)) (Nesterov)";
            default -> "Cohen et al. (2022), Adaptive Gradient Methods at the Edge of Stability: λmax(P⁻¹𝓗) equilibrates at"
                    + " the threshold (38/η for Adam at β1 = 0.9)";
        };
    }

    /**
     * A size run's points: its final snapshot, and the snapshot one step after the first telemetry row whose
     * sharpness reached 2/η (none when no row did).
     */
    private List<SizeLaw.Point> sizePoints(RunSpec s) throws InputException {
        Csv m = metrics(s);
        double[] step = m.numbers("step");
        double[][] values = new double[SizeLaw.QUANTITIES.size()][];
        for (int q = 0; q < values.length; q++) {
            values[q] = m.numbers(SizeLaw.QUANTITIES.get(q).column());
        }
        List<SizeLaw.Point> points = new ArrayList<>();
        points.add(point(s, SizeLaw.Moment.END, m, values, step.length - 1));
        Csv tel = telemetry(s);
        double[] sharpness = tel.numbers("sharpness");
        double[] telStep = tel.numbers("step");
        double edge = 2 / s.config().learningRate();
        for (int k = 0; k < sharpness.length; k++) {
            if (sharpness[k] >= edge) {
                for (int i = 0; i < step.length; i++) {
                    if (step[i] == telStep[k] + 1) {
                        points.add(point(s, SizeLaw.Moment.EDGE, m, values, i));
                    }
                }
                if (points.size() == 1) {
                    throw new InputException(runDir(s) + ": the sharpness reached 2/η at step " + (long) telStep[k]
                            + " but there are no metrics of the snapshot at step " + ((long) telStep[k] + 1));
                }
                break;
            }
        }
        return points;
    }

    private static SizeLaw.Point point(RunSpec s, SizeLaw.Moment moment, Csv m, double[][] values, int row) throws InputException {
        double[] v = new double[values.length];
        for (int q = 0; q < v.length; q++) {
            v[q] = values[q][row];
        }
        return new SizeLaw.Point(s.config().loss(), s.config().n(), s.config().dataSeed(), moment,
                (long) m.numbers("step")[row], m.numbers("time")[row], m.numbers("loss")[row], v);
    }

    private static List<String> fitRow(SizeLaw.Fit f) {
        PowerLaw law = f.law();
        double[] ci = f.interval();
        return List.of(f.loss(), f.moment().id, f.quantity().symbol(), law == null ? "NaN" : Double.toString(law.a()),
                law == null ? "NaN" : Double.toString(law.beta()), Double.toString(ci[0]), Double.toString(ci[1]),
                Double.toString(f.bootstrap()[0]), Double.toString(f.bootstrap()[1]),
                law == null ? "NaN" : Double.toString(law.r2Means()), law == null ? "NaN" : Double.toString(law.r2()),
                law == null ? "0" : Integer.toString(law.points()), law == null ? "0" : Integer.toString(law.sizes()),
                f.diagnosis());
    }

    /** The default quantity against N at one moment: every seed's point, the per-N geometric means and the fit. */
    private JsonObject sizeFigure(SizeLaw.Fit f, List<SizeLaw.Point> points) throws Exception {
        String id = "powerlaw-" + f.loss().replace('_', '-') + (f.moment() == SizeLaw.Moment.END ? "" : "-" + f.moment().id);
        String csvPath = "powerlaw/" + f.loss() + (f.moment() == SizeLaw.Moment.END ? "" : "-" + f.moment().id) + ".csv";
        int q = SizeLaw.QUANTITIES.indexOf(f.quantity());
        Csv csv = new Csv("N", "value", "series");
        java.util.TreeMap<Integer, double[]> means = new java.util.TreeMap<>();
        for (SizeLaw.Point p : points) {
            if (p.loss().equals(f.loss()) && p.moment() == f.moment()) {
                csv.row((long) p.n(), p.values()[q], "each seed");
                double[] sum = means.computeIfAbsent(p.n(), k -> new double[2]);
                sum[0] += Math.log(p.values()[q]);
                sum[1]++;
            }
        }
        for (var e : means.entrySet()) {
            csv.row((long) e.getKey(), Math.exp(e.getValue()[0] / e.getValue()[1]), "geometric mean over seeds");
        }
        String caption;
        if (f.law() != null) {
            PowerLaw law = f.law();
            String fitName = String.format(Locale.ROOT, "fit a·N^β (β = %.3g; R² = %.3g)", law.beta(), law.r2Means());
            for (int n : means.keySet()) {
                csv.row((long) n, law.a() * Math.pow(n, law.beta()), fitName);
            }
            caption = String.format(Locale.ROOT, "log-log; %s; a = %.4g", f.summary(), law.a());
        } else {
            caption = "no fit: " + f.reason();
        }
        csv.write(out.resolve(csvPath));
        JsonObject fig = figure(id, f.quantity().symbol() + " at " + f.moment().label + " against N (" + f.loss() + ")",
                caption, csvPath, "N", "value", "dataset size N", f.quantity().symbol(), true, true);
        JsonArray sc = new JsonArray();
        sc.add("each seed");
        fig.add("scatter", sc);
        return fig;
    }

    /** Layer 1's quantities of docs/science.md#layerwise-alignment at row {@code i} of a run's metrics, for claim 3c. */
    private static Claims.Layer1 layer1(Csv m, int i) {
        return new Claims.Layer1(m.numbers("time")[i], m.numbers("layer1.pi_chi")[i], m.numbers("layer1.p_chi_delta")[i],
                m.numbers("layer1.pi_J")[i], m.numbers("layer1.p_delta_J")[i], m.numbers("layer1.delta_L_max_sq_mean")[i],
                m.numbers("layer1.K_max_sq_mean")[i], m.numbers("layer1.gauss_newton_top")[i]);
    }

    private static List<List<String>> devRows(List<RunSpec> gd, double[] gdDev, double eeDev) {
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < gd.size(); i++) {
            rows.add(List.of(gd.get(i).label(), Csv.fmt(gdDev[i])));
        }
        rows.add(List.of("exp. Euler", Csv.fmt(eeDev)));
        return rows;
    }

    /**
     * max over the solver's times t_k of |L(t_k) − L_flow(t_k)|/L_flow(t_k); the flow was evaluated at exactly
     * those times (the interpolation below then returns its values); times past the reference are skipped.
     */
    static double deviation(double[] t, double[] l, double[] flowT, double[] flowL) {
        double worst = 0;
        int j = 0;
        for (int k = 0; k < t.length; k++) {
            double x = t[k];
            if (x > flowT[flowT.length - 1]) {
                break;
            }
            while (j < flowT.length - 2 && flowT[j + 1] <= x) {
                j++;
            }
            double v;
            if (flowT.length == 1 || x <= flowT[j]) {
                v = flowL[j];
            } else {
                double w = Math.min(1, (x - flowT[j]) / (flowT[j + 1] - flowT[j]));
                v = flowL[j] + w * (flowL[j + 1] - flowL[j]);
            }
            worst = Math.max(worst, Math.abs(l[k] - v) / v);
        }
        return worst;
    }

    /** The example picture of the size experiment's image data (data/examples.png). */
    void examples() throws Exception {
        if (preset.sizeDataset().equals("xor")) {
            return;
        }
        RunSpec s = sizeRuns().get(sizeRuns().size() - 1);
        LabeledData data = s.config().datasetSource().load();
        Path png = out.resolve("data/examples.png");
        Files.createDirectories(png.getParent());
        AtomicFiles.write(png, ImageGrid.png(data, preset.sizeClasses(), 4));
    }

    static JsonObject section(String id, String title, String text) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("title", title);
        o.addProperty("text", text);
        return o;
    }

    static JsonObject figure(String id, String title, String caption, String csv, String x, String y, String xLabel,
            String yLabel, boolean logX, boolean logY) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("title", title);
        o.addProperty("caption", caption);
        o.addProperty("csv", csv);
        o.addProperty("x", x);
        o.addProperty("y", y);
        o.addProperty("series", "series");
        o.addProperty("xLabel", xLabel);
        o.addProperty("yLabel", yLabel);
        o.addProperty("logX", logX);
        o.addProperty("logY", logY);
        return o;
    }

    static JsonObject table(String title, List<String> columns, List<List<String>> rows) {
        JsonObject o = new JsonObject();
        o.addProperty("title", title);
        o.add("columns", JsonParser.parseString(GSON.toJson(columns)));
        o.add("rows", JsonParser.parseString(GSON.toJson(rows)));
        return o;
    }

    static JsonArray array(JsonObject... items) {
        JsonArray a = new JsonArray();
        for (JsonObject i : items) {
            a.add(i);
        }
        return a;
    }

    static JsonArray tables(JsonObject... items) {
        return array(items);
    }
}
