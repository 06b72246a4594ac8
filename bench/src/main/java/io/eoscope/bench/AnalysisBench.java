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
 * backward, as before the tangent route) and by the default route, in one run. See bench/README.md.
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
        for (String arch : o.archs) {
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
