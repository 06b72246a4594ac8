package io.eoscope.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.analysis.AnalysisProgress;
import io.eoscope.curvature.analysis.AnalysisReport;
import io.eoscope.curvature.analysis.CurvatureAnalysis;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.Init;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.OptimizerSnapshot;
import io.eoscope.curvature.analysis.Stability;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The analyzer's whole default analysis of one snapshot ({@code bench/run analysis}): the three spectra and
 * the layerwise quantities, cold (a run's first snapshot) and then warm (the next snapshot, one GD step on,
 * started from the first one's eigenvectors), per stage, by the reference route (autograd's double
 * backward, as before the tangent route) and by the default route, in one run; first, the stability quantities of
 * docs/science.md#other-optimizers beside the plain λmax(𝓗) solve. See bench/README.md.
 */
public final class AnalysisBench {

    private AnalysisBench() {
    }

    /** The command line of {@code bench/run analysis}. */
    @Command(name = "bench/run analysis", sortOptions = false, usageHelpWidth = 110,
            description = {"Times the analyzer's default analysis of one snapshot, cold then warm, per stage, by the",
                "double-backward route and by the default (tangent) route, for each architecture; prints a table", ""})
    static final class Options {
        @Option(names = "--arch", paramLabel = "A", split = ";", defaultValue = "784-512-512-512-10;3072-512-512-512-512-512-10",
                description = "architectures, separated by ';' (default: ${DEFAULT-VALUE})")
        List<String> archs;

        @Option(names = "--n", paramLabel = "N", defaultValue = "1000", description = "samples (default: ${DEFAULT-VALUE})")
        int n;

        @Option(names = "--dtype", paramLabel = "T", defaultValue = "float64",
                description = "float64 (the analyzer's default) or float32 (default: ${DEFAULT-VALUE})")
        String dtype;

        @Option(names = "--stability-arch", paramLabel = "A", defaultValue = "784-512-512-10",
                description = "architecture of the stability quantities' table (default: ${DEFAULT-VALUE})")
        String stabilityArch;

        @Option(names = "--batch-size", paramLabel = "B", defaultValue = "64",
                description = "batch size of the batch sharpness (default: ${DEFAULT-VALUE})")
        int batchSize;

        @Option(names = "--adam-steps", paramLabel = "T", defaultValue = "20",
                description = "full-batch Adam steps before the first snapshot of the preconditioned solve (default: ${DEFAULT-VALUE})")
        int adamSteps;

        @Option(names = "--only-stability", description = "only the stability quantities' table (not the default analysis)")
        boolean onlyStability;

        @Option(names = "--beyond-top-arch", paramLabel = "A", defaultValue = "784-512-512-10",
                description = "architecture of the density and traces' table, analysed in float32 (default: ${DEFAULT-VALUE})")
        String beyondTopArch;

        @Option(names = "--only-beyond-top", description = "only the density and traces' table")
        boolean onlyBeyondTop;

        @Option(names = "--python", paramLabel = "PY", defaultValue = "/usr/bin/python3",
                description = "the interpreter of the PyTorch peer bench/pyhessian_peer.py (Debian's python3-torch) (default: ${DEFAULT-VALUE})")
        String python;

        @Option(names = "--no-peer", description = "leave out the PyTorch peer (PyHessian's defaults timed in PyTorch)")
        boolean noPeer;

        @Option(names = "--out", paramLabel = "PATH", defaultValue = "bench/results/analysis.csv",
                description = "CSV of the stage times (default: ${DEFAULT-VALUE})")
        Path out;

        @Mixin
        BenchCli.Common common;
    }

    public static void main(String[] args) throws Exception {
        Options o = new Options();
        if (BenchCli.parse(args, o, () -> o) == null) {
            return;
        }
        BenchCli.positive("--n", o.n);
        DataType type = switch (o.dtype) {
            case "float64" -> DataType.FLOAT64;
            case "float32" -> DataType.FLOAT32;
            default -> throw new IllegalArgumentException("--dtype must be float64 or float32, got " + o.dtype);
        };
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(o.common.threads());
        AnalysisOptions options = AnalysisOptions.defaults();
        List<String> csv = new ArrayList<>(List.of("architecture,route,start,stage,seconds,products"));
        warmUp(options, type, o.common.seed);
        List<String> table = new ArrayList<>();
        if (!o.onlyStability) {
            table.add(BeyondTopBench.table(o.beyondTopArch, o.n, DataType.FLOAT32, o.common.threads(), o.common.seed,
                    o.noPeer ? null : o.python, csv));
        }
        if (!o.onlyBeyondTop) {
            table.add(stability(o, type, csv));
        }
        for (String arch : o.onlyStability || o.onlyBeyondTop ? List.<String>of() : o.archs) {
            int[] widths = MlpModel.parseArchitecture(arch);
            MlpModel model = MlpModel.initialise(widths, Activation.ELU, Loss.CROSS_ENTROPY, Init.XAVIER, o.common.seed);
            LabeledData data = CurvatureBench.gaussianData(o.n, widths[0], widths[widths.length - 1], o.common.seed + 1);
            Map<String, Map<String, Double>> totals = new LinkedHashMap<>();
            // untimed: one analysis of this architecture first, so that neither route pays for the allocator's first
            // touch of this size's memory
            say(arch + ": untimed first analysis");
            try (NDManager m = NDManager.newBaseManager();
                    Network net = Network.upload(model, m, type);
                    DeviceData dev = DeviceData.upload(data, model.classes(), m, type, options.chunkSize());
                    CurvatureAnalysis analysis = new CurvatureAnalysis(options, m, CurvatureProducts.Route.DOUBLE_BACKWARD)) {
                analysis.analyze(net, dev, AnalysisProgress.NONE);
            }
            for (CurvatureProducts.Route route : CurvatureProducts.Route.values()) {
                try (NDManager m = NDManager.newBaseManager();
                        Network first = Network.upload(model, m, type);
                        DeviceData dev = DeviceData.upload(data, model.classes(), m, type, options.chunkSize());
                        Network next = stepped(first, dev);
                        CurvatureAnalysis analysis = new CurvatureAnalysis(options, m, route)) {
                    for (String start : new String[] {"cold", "warm"}) {
                        say(String.format(Locale.ROOT, "%s, %s route, %s start ...", arch, name(route), start));
                        AnalysisReport r = analysis.analyze(start.equals("cold") ? first : next, dev, AnalysisProgress.NONE);
                        if (r.failure() != null) {
                            throw new IllegalStateException(arch + ": " + r.failure());
                        }
                        @SuppressWarnings("unchecked")
                        Map<String, Double> stages = (Map<String, Double>) r.info().get("stage_seconds");
                        double total = (Double) r.info().get("seconds");
                        for (Map.Entry<String, Double> e : stages.entrySet()) {
                            long products = stageProducts(r, e.getKey());
                            csv.add(String.join(",", arch, name(route), start, e.getKey(), fmt(e.getValue()), Long.toString(products)));
                        }
                        csv.add(String.join(",", arch, name(route), start, "total", fmt(total), ""));
                        Map<String, Double> row = new LinkedHashMap<>(stages);
                        row.put("total", total);
                        totals.put(name(route) + " " + start, row);
                    }
                }
            }
            table.add(render(arch, model.parameterCount(), o.n, o.dtype, totals));
        }
        Files.createDirectories(o.out.toAbsolutePath().getParent());
        Files.write(o.out, csv);
        System.out.println();
        table.forEach(System.out::println);
        System.out.println("CSV: " + o.out);
    }

    /**
     * The stability quantities of docs/science.md#other-optimizers on one architecture, each cold (a run's first
     * snapshot) and warm (the next, one step on): the plain λmax(𝓗) solve (GD), λmax(P^-½𝓗P^-½) of Adam (state from
     * {@code --adam-steps} full-batch Adam steps, then one more for the warm snapshot) and batch sharpness of mini-batch
     * SGD at the default tolerance; products and seconds per snapshot.
     */
    private static String stability(Options o, DataType type, List<String> csv) {
        BenchCli.positive("--batch-size", o.batchSize);
        BenchCli.positive("--adam-steps", o.adamSteps);
        int[] widths = MlpModel.parseArchitecture(o.stabilityArch);
        MlpModel model = MlpModel.initialise(widths, Activation.ELU, Loss.CROSS_ENTROPY, Init.PYTORCH, o.common.seed);
        LabeledData data = CurvatureBench.gaussianData(o.n, widths[0], widths[widths.length - 1], o.common.seed + 1);
        AnalysisOptions plain = AnalysisOptions.defaults();
        plain = new AnalysisOptions(1, plain.tolerance(), plain.solver(), java.util.EnumSet.of(Curvature.HESSIAN), false,
                plain.chunkSize(), 0, plain.layerSpectra(), plain.dualGramLimit(), plain.maxProducts(), plain.seed());
        AnalysisOptions none = new AnalysisOptions(1, plain.tolerance(), plain.solver(), java.util.EnumSet.noneOf(Curvature.class),
                false, plain.chunkSize(), 0, plain.layerSpectra(), plain.dualGramLimit(), plain.maxProducts(), plain.seed());
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "Stability quantities, MLP %s (P = %,d), N = %d, %s, tangent route; per snapshot%n%-34s%12s%10s%10s%n",
                o.stabilityArch, model.parameterCount(), o.n, o.dtype, "quantity, start", "value", "products", "seconds"));
        double eta = 1e-3;
        try (NDManager m = NDManager.newBaseManager();
                Network start = Network.upload(model, m, type);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, type, plain.chunkSize())) {
            say(o.stabilityArch + ": " + o.adamSteps + " full-batch Adam steps for the optimizer state (untimed)");
            AdamState adam = new AdamState(start, dev, eta, o.adamSteps + 1);
            Map<String, double[]> perRow = new LinkedHashMap<>();
            String[][] rows = {{"sharpness", "plain λmax(𝓗), GD"}, {"preconditioned_sharpness", "λmax(P^-½𝓗P^-½), Adam"},
                {"batch_sharpness", "batch sharpness, B = " + o.batchSize}};
            for (String[] row : rows) {
                boolean batch = row[0].equals("batch_sharpness");
                boolean pre = row[0].equals("preconditioned_sharpness");
                try (CurvatureAnalysis analysis = new CurvatureAnalysis(pre || batch ? none : plain, m)) {
                    for (int i = 0; i < 2; i++) {
                        String when = i == 0 ? "cold" : "warm";
                        Network net = adam.snapshots.get(i);
                        OptimizerSnapshot optimizer = pre ? adam.optimizer(i, o.adamSteps + i)
                                : new OptimizerSnapshot(OptimizerSettings.gd(eta), o.adamSteps + i, batch ? o.batchSize : 0, Map.of());
                        say(String.format(Locale.ROOT, "%s, %s ...", row[1], when));
                        long t0 = System.nanoTime();
                        AnalysisReport r = analysis.analyze(net, dev, optimizer, AnalysisProgress.NONE);
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        Stability st = r.stability();
                        if (r.failure() != null || st == null) {
                            throw new IllegalStateException(row[1] + ": " + r.failure());
                        }
                        String label = row[1] + ", " + when;
                        b.append(String.format(Locale.ROOT, "%-34s%12.4g%10d%10.2f%s%n", label, st.value(), st.products(), seconds,
                                batch ? String.format(Locale.ROOT, "   95%%: [%.4g, %.4g], %d batches%s", st.low(), st.high(),
                                        st.batches(), st.batches() >= plain.batchSharpness().maxBatches() ? " (stopped at --max-batches)" : "") : ""));
                        csv.add(String.join(",", o.stabilityArch, "tangent", when, row[0], fmt(seconds), Long.toString(st.products())));
                        perRow.put(row[0] + " " + when, new double[] {seconds, st.products()});
                    }
                }
            }
            adam.close();
            for (String when : new String[] {"cold", "warm"}) {
                double[] p = perRow.get("sharpness " + when);
                double[] q = perRow.get("preconditioned_sharpness " + when);
                b.append(String.format(Locale.ROOT, "%s: preconditioned / plain = %.2f in seconds, %.2f in products (aim ≤ 1.2)%n",
                        when, q[0] / p[0], q[1] / p[1]));
            }
        }
        return b.toString();
    }

    /** Full-batch Adam (β1 0.9, β2 0.999, ε 1e-8) from {@code start}: its snapshots after each step and its state. */
    private static final class AdamState implements AutoCloseable {
        final List<Network> snapshots = new ArrayList<>();
        final List<double[]> secondMoments = new ArrayList<>();
        final List<Network> owned = new ArrayList<>();
        private final double eta;
        private final int steps;

        AdamState(Network start, DeviceData data, double eta, int steps) {
            this.eta = eta;
            this.steps = steps;
            int p = Math.toIntExact(start.parameterCount());
            double[] theta = io.eoscope.curvature.net.HostArrays.download(start.flatParameters());
            double[] mom = new double[p];
            double[] v = new double[p];
            Network net = start;
            for (int t = 1; t <= steps; t++) {
                double[] g;
                try (CurvatureProducts products = new CurvatureProducts(net, data); NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    g = io.eoscope.curvature.net.HostArrays.download(products.gradient());
                }
                double c1 = 1 - Math.pow(0.9, t);
                double c2 = 1 - Math.pow(0.999, t);
                for (int i = 0; i < p; i++) {
                    mom[i] = 0.9 * mom[i] + 0.1 * g[i];
                    v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                    theta[i] -= eta / c1 * mom[i] / (Math.sqrt(v[i]) / Math.sqrt(c2) + 1e-8);
                }
                if (net != start && !snapshots.contains(net)) {
                    net.close(); // a step before the two snapshots: not needed any more
                    owned.remove(net);
                }
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    net = start.withParameters(io.eoscope.curvature.net.HostArrays.upload(start.manager(), theta,
                            new ai.djl.ndarray.types.Shape(p), start.dataType()));
                }
                owned.add(net);
                if (t >= steps - 1) {
                    snapshots.add(net);
                    secondMoments.add(v.clone());
                }
            }
        }

        /** The optimizer state of snapshot {@code i} (taken after {@code step} steps). */
        OptimizerSnapshot optimizer(int i, long step) {
            Map<String, double[]> state = new LinkedHashMap<>();
            double[] v = secondMoments.get(i);
            for (io.eoscope.curvature.net.DifferentiableModel.ParameterGroup r : snapshots.get(i).parameterRanges()) {
                state.put(io.eoscope.curvature.optim.OptimizerState.tensorName(io.eoscope.curvature.optim.OptimizerState.EXP_AVG_SQ,
                        r.name()), java.util.Arrays.copyOfRange(v, (int) r.from(), (int) r.to()));
            }
            return new OptimizerSnapshot(OptimizerSettings.defaults(io.eoscope.curvature.optim.OptimizerKind.ADAM, eta), step, 0, state);
        }

        @Override
        public void close() {
            owned.forEach(Network::close);
        }
    }

    /** Both routes once on a small model, untimed, so that neither pays the JIT's warm-up in the timings. */
    private static void warmUp(AnalysisOptions options, DataType type, long seed) {
        say("warm-up: both routes on a small MLP (untimed)");
        MlpModel model = MlpModel.initialise(new int[] {32, 64, 64, 10}, Activation.ELU, Loss.CROSS_ENTROPY, Init.XAVIER, seed);
        LabeledData data = CurvatureBench.gaussianData(200, 32, 10, seed + 1);
        for (CurvatureProducts.Route route : CurvatureProducts.Route.values()) {
            for (int i = 0; i < 2; i++) {
                try (NDManager m = NDManager.newBaseManager();
                        Network net = Network.upload(model, m, type);
                        DeviceData dev = DeviceData.upload(data, 10, m, type, options.chunkSize());
                        CurvatureAnalysis analysis = new CurvatureAnalysis(options, m, route)) {
                    analysis.analyze(net, dev, AnalysisProgress.NONE);
                }
            }
        }
    }

    /** The next snapshot: one GD step θ − 0.01·∇L̃ (a run's snapshots change little between two analyses). */
    private static Network stepped(Network network, DeviceData data) {
        try (CurvatureProducts products = new CurvatureProducts(network, data); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray theta = network.flatParameters().sub(products.gradient().mul(0.01));
            return network.withParameters(theta);
        }
    }

    private static long stageProducts(AnalysisReport r, String stage) {
        for (Curvature c : Curvature.values()) {
            if (c.id().equals(stage) && r.spectra().containsKey(c)) {
                return r.spectra().get(c).products();
            }
        }
        return 0;
    }

    private static String render(String arch, long p, int n, String dtype, Map<String, Map<String, Double>> totals) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "MLP %s (P = %,d), N = %d, %s, default analysis; seconds%n",
                arch, p, n, dtype));
        List<String> stages = new ArrayList<>(totals.values().iterator().next().keySet());
        b.append(String.format(Locale.ROOT, "%-24s", "route, start"));
        stages.forEach(s -> b.append(String.format(Locale.ROOT, "%13s", s)));
        b.append('\n');
        totals.forEach((k, row) -> {
            b.append(String.format(Locale.ROOT, "%-24s", k));
            stages.forEach(s -> b.append(String.format(Locale.ROOT, "%13.2f", row.getOrDefault(s, Double.NaN))));
            b.append('\n');
        });
        for (String start : new String[] {"cold", "warm"}) {
            double before = totals.get("double_backward " + start).get("total");
            double after = totals.get("tangent " + start).get("total");
            b.append(String.format(Locale.ROOT, "total, %s: tangent / double backward = %.2f%n", start, after / before));
        }
        return b.toString();
    }

    private static String name(CurvatureProducts.Route route) {
        return route == CurvatureProducts.Route.AUTO ? "tangent" : "double_backward";
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static void say(String line) {
        System.err.println("bench: " + line);
    }
}
