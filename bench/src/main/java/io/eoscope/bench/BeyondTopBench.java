package io.eoscope.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.curvature.alignment.ExactGaussNewtonTrace;
import io.eoscope.curvature.alignment.GaussNewtonTrace;
import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.eigen.EigenOptions;
import io.eoscope.curvature.eigen.EigenResult;
import io.eoscope.curvature.eigen.LanczosSolver;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.Init;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.spectrum.DensityOptions;
import io.eoscope.curvature.spectrum.HutchPlusPlus;
import io.eoscope.curvature.spectrum.SpectralDensity;
import io.eoscope.curvature.spectrum.StochasticLanczosQuadrature;
import io.eoscope.curvature.spectrum.TraceEstimate;
import io.eoscope.curvature.spectrum.TraceOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The density and the traces at their defaults ({@code bench/run analysis}, the table "Beyond the top"): products and
 * seconds of each, beside one gradient and the λmax(𝓗) solve, and beside what PyHessian's defaults would spend on the
 * same architecture (100 products per trace, 100 per density probe), both counted in eoscope's own products and timed
 * in PyTorch itself by {@code bench/pyhessian_peer.py} in the same run.
 */
final class BeyondTopBench {
    /** PyHessian's {@code trace(maxIter=100)} and {@code density(iter=100, n_v=1)}. */
    static final int PYHESSIAN_PRODUCTS = 100;

    private BeyondTopBench() {
    }

    /**
     * The table, its rows appended to {@code csv} ({@code architecture,route,start,stage,seconds,products}).
     *
     * @param python the interpreter of the PyTorch peer, or null to leave the peer out
     */
    static String table(String arch, int n, DataType type, int threads, long seed, String python, List<String> csv)
            throws IOException, InterruptedException {
        int[] widths = MlpModel.parseArchitecture(arch);
        MlpModel model = MlpModel.initialise(widths, Activation.ELU, Loss.CROSS_ENTROPY, Init.PYTORCH, seed);
        LabeledData data = CurvatureBench.gaussianData(n, widths[0], widths[widths.length - 1], seed + 1);
        AnalysisOptions options = AnalysisOptions.defaults();
        DensityOptions density = DensityOptions.defaults();
        TraceOptions trace = TraceOptions.defaults();
        String dtype = type == DataType.FLOAT64 ? "float64" : "float32";
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "Beyond the top, MLP %s (P = %,d), N = %d, %s, tangent route, %d threads; one snapshot, cold%n%-44s%10s%10s%12s%n",
                arch, model.parameterCount(), n, dtype, threads, "what", "products", "seconds", "value"));
        double gradientSeconds;
        double productSeconds;
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, type);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, type, options.chunkSize());
                CurvatureProducts products = new CurvatureProducts(net, dev)) {
            say(arch + ": one gradient, untimed then timed");
            gradient(products);
            long t0 = System.nanoTime();
            gradient(products);
            gradientSeconds = seconds(t0);
            row(b, csv, arch, "gradient", 0, gradientSeconds, Double.NaN);

            say(arch + ": λmax(𝓗), cold");
            t0 = System.nanoTime();
            EigenResult top = new LanczosSolver().solve(CurvatureOperator.of(products, Curvature.HESSIAN),
                    new EigenOptions(1, options.tolerance(), options.maxProducts(), seed), null, m).orThrow("the Hessian");
            double topSeconds = seconds(t0);
            top.vectors().close();
            products.releaseGraph();
            productSeconds = topSeconds / top.products();
            row(b, csv, arch, "lambda_max_hessian", top.products(), topSeconds, top.top());

            say(arch + ": density of 𝓗, " + density.probes() + " probes × " + density.steps() + " steps");
            t0 = System.nanoTime();
            SpectralDensity d = StochasticLanczosQuadrature.estimate(CurvatureOperator.of(products, Curvature.HESSIAN), density, m);
            double densitySeconds = seconds(t0);
            products.releaseGraph();
            if (d.failed()) {
                throw new IllegalStateException("the density failed: " + d.failure());
            }
            row(b, csv, arch, "density_hessian", d.products(), densitySeconds, Double.NaN);

            say(arch + ": tr(𝓗) by Hutch++, " + trace.products() + " products");
            t0 = System.nanoTime();
            TraceEstimate th = HutchPlusPlus.estimate(CurvatureOperator.of(products, Curvature.HESSIAN), trace, m);
            double traceSeconds = seconds(t0);
            products.releaseGraph();
            if (th.failed()) {
                throw new IllegalStateException("tr(𝓗) failed: " + th.failure());
            }
            row(b, csv, arch, "trace_hessian", th.products(), traceSeconds, th.value());
            b.append(String.format(Locale.ROOT, "%-44s%22s[%.4g, %.4g]%n", "", "", th.low(), th.high()));

            say(arch + ": tr(G) exactly");
            t0 = System.nanoTime();
            GaussNewtonTrace g = ExactGaussNewtonTrace.compute(net, dev, options.chunkSize());
            double exactSeconds = seconds(t0);
            row(b, csv, arch, "trace_gauss_newton_exact", 0, exactSeconds, g.total());
            b.append(String.format(Locale.ROOT, "%-44s%10s%10.2f   (aim ≤ 12)%n", "  tr(G) in gradient equivalents (time)", "",
                    exactSeconds / gradientSeconds));
            b.append(String.format(Locale.ROOT, "%-44s%10d%10s   (aim ≤ 150)%n", "  density products", d.products(), ""));
            b.append(String.format(Locale.ROOT, "%-44s%10d%10.2f%n", "PyHessian's trace, eoscope's products",
                    PYHESSIAN_PRODUCTS, PYHESSIAN_PRODUCTS * productSeconds));
            b.append(String.format(Locale.ROOT, "%-44s%10d%10.2f%n", "PyHessian's density, eoscope's products",
                    PYHESSIAN_PRODUCTS, PYHESSIAN_PRODUCTS * productSeconds));
            b.append(String.format(Locale.ROOT, "eoscope's defaults / PyHessian's, in products: density %.2f, tr(𝓗) %.2f, tr(G) 0 "
                    + "(exact, %d gradient passes)%n", d.products() / (double) PYHESSIAN_PRODUCTS,
                    th.products() / (double) PYHESSIAN_PRODUCTS, g.gradientEquivalents()));
            if (python != null) {
                JsonObject peer = peer(python, arch, n, threads, seed);
                double pyTrace = peer.get("trace_ms").getAsDouble() / 1000;
                double pyDensity = peer.get("density_ms").getAsDouble() / 1000;
                b.append(String.format(Locale.ROOT, "%-44s%10d%10.2f%n", "PyHessian's trace in PyTorch " + peer.get("torch").getAsString(),
                        PYHESSIAN_PRODUCTS, pyTrace));
                b.append(String.format(Locale.ROOT, "%-44s%10d%10.2f%n", "PyHessian's density in PyTorch", PYHESSIAN_PRODUCTS, pyDensity));
                b.append(String.format(Locale.ROOT, "%-44s%10s%10.2f%n", "PyTorch's gradient", "",
                        peer.get("gradient_ms").getAsDouble() / 1000));
                b.append(String.format(Locale.ROOT, "eoscope ÷ PyHessian in PyTorch, seconds: density %.2f, tr(𝓗) %.2f, tr(G) exact %.2f%n",
                        densitySeconds / pyDensity, traceSeconds / pyTrace, exactSeconds / pyTrace));
                csv.add(String.join(",", arch, "pytorch", "cold", "pyhessian_trace", fmt(pyTrace), Integer.toString(PYHESSIAN_PRODUCTS)));
                csv.add(String.join(",", arch, "pytorch", "cold", "pyhessian_density", fmt(pyDensity), Integer.toString(PYHESSIAN_PRODUCTS)));
            }
        }
        return b.toString();
    }

    /** Runs bench/pyhessian_peer.py and reads its JSON. */
    private static JsonObject peer(String python, String arch, int n, int threads, long seed) throws IOException, InterruptedException {
        Path out = Files.createTempFile("pyhessian-peer", ".json");
        try {
            List<String> command = new ArrayList<>(List.of(python, "bench/pyhessian_peer.py", "--arch", arch, "--n",
                    Integer.toString(n), "--threads", Integer.toString(threads), "--seed", Long.toString(seed), "--json",
                    out.toString()));
            say("PyTorch peer: " + String.join(" ", command));
            Process p = new ProcessBuilder(command).inheritIO().start();
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("the PyTorch peer did not finish within 30 minutes");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("the PyTorch peer exited with " + p.exitValue() + " (its output is above); "
                        + "--no-peer leaves it out");
            }
            return JsonParser.parseString(Files.readString(out, StandardCharsets.UTF_8)).getAsJsonObject();
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static void gradient(CurvatureProducts products) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            products.gradient().toDoubleArray();
        }
        products.releaseGraph();
    }

    private static void row(StringBuilder b, List<String> csv, String arch, String what, long products, double seconds,
            double value) {
        b.append(String.format(Locale.ROOT, "%-44s%10s%10.2f%12s%n", what, products > 0 ? Long.toString(products) : "",
                seconds, Double.isNaN(value) ? "" : String.format(Locale.ROOT, "%.4g", value)));
        csv.add(String.join(",", arch, "tangent", "cold", what, fmt(seconds), Long.toString(products)));
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static void say(String line) {
        System.err.println("bench: " + line);
    }
}
