package io.eoscope.curvature.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.alignment.AlignmentReport;
import io.eoscope.curvature.alignment.LayerwiseAlignment;
import io.eoscope.curvature.eigen.EigenOptions;
import io.eoscope.curvature.eigen.EigenResult;
import io.eoscope.curvature.eigen.EigenSolver;
import io.eoscope.curvature.eigen.ScaledOperator;
import io.eoscope.curvature.eigen.ShiftedOperator;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.OptimizerSnapshot;
import io.eoscope.curvature.optim.Preconditioner;
import io.eoscope.curvature.optim.StabilityQuantity;
import io.eoscope.curvature.eigen.SymmetricOperator;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.DifferentiableModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.alignment.ExactGaussNewtonTrace;
import io.eoscope.curvature.alignment.GaussNewtonTrace;
import io.eoscope.curvature.spectrum.HutchPlusPlus;
import io.eoscope.curvature.spectrum.SpectralDensity;
import io.eoscope.curvature.spectrum.StochasticLanczosQuadrature;
import io.eoscope.curvature.spectrum.TraceEstimate;
import io.eoscope.curvature.spectrum.TraceOptions;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One analysis of a model on a dataset: loss, the top-k spectra of 𝓗, G and H, and the layerwise
 * alignment quantities. An instance keeps each spectrum's eigenvectors and warm-starts the next
 * {@link #analyze} call from them (successive snapshots of one run change little), so keep one
 * instance per run. Every {@value #COLD_EVERY}th solve of a spectrum starts cold instead (see
 * {@link #COLD_EVERY}). Not thread-safe: one instance per thread.
 */
public final class CurvatureAnalysis implements AutoCloseable {
    /**
     * Every this many solves of one spectrum, the solve starts cold rather than from the previous
     * eigenvectors. A warm start lies almost in the span of the previous top eigenvectors; when another
     * eigenvalue overtakes them between two snapshots, a Krylov solver can converge on the old one before
     * its space reaches the new top (no stopping rule can tell). A cold start from a random vector does
     * not carry that bias, so a stale top eigenvalue lasts at most this many snapshots. It costs about one
     * cold solve's extra products in ten.
     */
    public static final int COLD_EVERY = 10;

    private final AnalysisOptions options;
    private final NDManager manager;
    private final CurvatureProducts.Route route;
    /** The warm start of each operator by its name (a spectrum's id, or {@link #PRECONDITIONED}). */
    private final Map<String, NDArray> warmStarts = new HashMap<>();
    private final Map<String, Integer> solves = new HashMap<>();
    private static final String PRECONDITIONED = StabilityQuantity.PRECONDITIONED_SHARPNESS.id();

    /** @param parent the manager (and device) that holds the warm-start vectors */
    public CurvatureAnalysis(AnalysisOptions options, NDManager parent) {
        this(options, parent, CurvatureProducts.Route.AUTO);
    }

    /**
     * @param parent the manager (and device) that holds the warm-start vectors
     * @param route how operator products are computed (the benchmark compares the routes)
     */
    public CurvatureAnalysis(AnalysisOptions options, NDManager parent, CurvatureProducts.Route route) {
        this.options = options;
        this.manager = parent.newSubManager();
        this.route = route;
    }

    /**
     * Analyses {@code network} on {@code data}: the spectra of every model, then the layerwise alignment of
     * an MLP ({@link Network}) or λ_max of each layer's Gauss-Newton block of any other model.
     */
    public AnalysisReport analyze(DifferentiableModel network, DeviceData data, AnalysisProgress progress) {
        return analyze(network, data, null, progress);
    }

    /**
     * Analyses {@code network} on {@code data} as {@link #analyze(DifferentiableModel, DeviceData, AnalysisProgress)}
     * does, and judges the run against its optimizer's edge of stability ({@link Stability}): λmax(𝓗) for GD and
     * momentum, λmax(P^-½ 𝓗 P^-½) for the adaptive rules (warm-started like a spectrum), batch sharpness for
     * mini-batch SGD.
     *
     * @param optimizer what the snapshot says about its optimizer, or null (no stability is reported)
     * @throws IllegalArgumentException when the batch size exceeds the dataset
     */
    public AnalysisReport analyze(DifferentiableModel network, DeviceData data, OptimizerSnapshot optimizer,
            AnalysisProgress progress) {
        return analyze(network, data, optimizer, progress, options.beyondTop().any());
    }

    /**
     * Analyses {@code network} on {@code data} as {@link #analyze(DifferentiableModel, DeviceData, OptimizerSnapshot,
     * AnalysisProgress)} does, with the spectral density and the traces the options ask for only when {@code beyondTop}
     * (a live analyzer computes them on every k-th snapshot: {@link BeyondTopOptions#due}).
     */
    public AnalysisReport analyze(DifferentiableModel network, DeviceData data, OptimizerSnapshot optimizer,
            AnalysisProgress progress, boolean beyondTop) {
        if (optimizer != null && optimizer.batchSize() > data.size()) {
            throw new IllegalArgumentException("field '" + OptimizerSnapshot.KEY_BATCH_SIZE + "' is " + optimizer.batchSize()
                    + ", more than the dataset's " + data.size() + " samples");
        }
        long started = System.nanoTime();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("dtype", network.dataType() == DataType.FLOAT64 ? "float64" : "float32");
        info.put("device", network.manager().getDevice().getDeviceType());
        info.put("model", network.kind());
        info.put("solver", options.solver());
        info.put("tolerance", options.tolerance());
        Map<Curvature, Spectrum> spectra = new EnumMap<>(Curvature.class);
        AlignmentReport alignment = null;
        List<GroupCurvature> groups = null;
        Map<String, Double> stages = new LinkedHashMap<>();
        try (CurvatureProducts products = new CurvatureProducts(network, data, route)) {
            info.put("product_route", products.route());
            long stage = System.nanoTime();
            double loss = loss(network, data);
            stage = lap(stages, "loss", stage);
            for (Curvature kind : Curvature.values()) {
                if (!options.spectra().contains(kind)) {
                    continue;
                }
                SymmetricOperator op = reporting(CurvatureOperator.of(products, kind), kind.id(), progress);
                spectra.put(kind, solveWarm(kind.id(), op, options.eigenOptions(), products.dimension()));
                products.releaseGraph(); // the next stage starts from its own graph
                stage = lap(stages, kind.id(), stage);
            }
            Stability stability = null;
            if (optimizer != null) {
                stability = stability(optimizer, network, data, products, spectra.get(Curvature.HESSIAN), progress);
                products.releaseGraph();
                if (stability != null) {
                    stage = lap(stages, stability.quantity().id(), stage);
                }
            }
            boolean failed = spectra.values().stream().anyMatch(s -> s.failure() != null)
                    || stability != null && stability.failure() != null;
            Map<Curvature, SpectralDensity> densities = new EnumMap<>(Curvature.class);
            Traces traces = null;
            BeyondTopOptions beyond = options.beyondTop();
            if (beyondTop && !failed && beyond.density() != null) {
                for (Curvature kind : List.of(Curvature.HESSIAN, Curvature.GAUSS_NEWTON)) {
                    if (options.spectra().contains(kind)) {
                        String name = "density_" + kind.id();
                        SymmetricOperator op = reporting(CurvatureOperator.of(products, kind), name, progress);
                        densities.put(kind, StochasticLanczosQuadrature.estimate(op, beyond.density(), manager));
                        products.releaseGraph();
                        stage = lap(stages, name, stage);
                    }
                }
            }
            if (beyondTop && !failed && beyond.trace() != null) {
                traces = traces(network, data, products, beyond.trace(), progress);
                products.releaseGraph();
                stage = lap(stages, "trace", stage);
            }
            if (options.layerwise() && !failed && network instanceof Network mlp) { // a failed spectrum: stop here
                LayerwiseAlignment.Options alignmentOptions = options.alignmentOptions();
                int total = LayerwiseAlignment.progressSteps(data, mlp.model().classes(), mlp.model().layers(),
                        alignmentOptions);
                alignment = LayerwiseAlignment.compute(mlp, data, products, alignmentOptions,
                        done -> progress.update("alignment", done, total));
            } else if (options.layerwise() && !failed) {
                groups = groupTops(products, progress);
            }
            products.releaseGraph();
            if (alignment != null || groups != null) {
                lap(stages, "layerwise", stage);
            }
            info.put("seconds", (System.nanoTime() - started) / 1e9);
            info.put("stage_seconds", stages);
            return new AnalysisReport(loss, data.size(), network.classes(), network.parameterCount(), spectra,
                    alignment, groups, info, stability, densities, traces);
        }
    }

    /**
     * Solves {@code op} from the warm start kept under {@code key} (cold on every {@value #COLD_EVERY}th solve, after a
     * failure, or when the dimension changed) and keeps the new eigenvectors for the next solve.
     */
    private Spectrum solveWarm(String key, SymmetricOperator op, EigenOptions eigenOptions, long dimension) {
        int solve = solves.merge(key, 1, Integer::sum);
        NDArray warm = warmStarts.get(key);
        if (warm != null && warm.getShape().get(1) != dimension) {
            warm = null; // another architecture: start cold
        }
        if ((solve - 1) % COLD_EVERY == 0) {
            warm = null; // the periodic cold check, see COLD_EVERY
        }
        EigenResult r = EigenSolver.forOperator(options.solver(), op).solve(op, eigenOptions, warm, manager);
        Spectrum spectrum = Spectrum.of(r, warm != null);
        if (r.failed()) { // keep the last good warm start; the next solve of this operator starts cold
            r.vectors().close();
            solves.put(key, 0);
            return spectrum;
        }
        NDArray old = warmStarts.put(key, r.vectors());
        if (old != null) {
            old.close();
        }
        return spectrum;
    }

    /** The run against its optimizer's edge; null when its quantity is λmax(𝓗) and the Hessian spectrum was not asked for. */
    private Stability stability(OptimizerSnapshot optimizer, DifferentiableModel network, DeviceData data,
            CurvatureProducts products, Spectrum hessian, AnalysisProgress progress) {
        OptimizerSettings settings = optimizer.settings();
        OptimizerKind kind = settings.kind();
        StabilityQuantity quantity = optimizer.quantity(data.size());
        double sharpness = hessian == null ? Double.NaN : hessian.top();
        String note = kind == OptimizerKind.ADAMW ? "AdamW's decoupled weight decay adds curvature of its own (λ on every "
                + "direction, scaled by P); the quantity and the threshold ignore it" : null;
        if (kind.adaptive() && optimizer.miniBatch(data.size())) {
            String batches = "on mini-batches, the full-batch λmax(P⁻¹𝓗) against " + settings.thresholdFormula()
                    + " is an extrapolation: that edge is established for full-batch training";
            note = note == null ? batches : note + "; " + batches;
        }
        switch (quantity) {
            case SHARPNESS:
                if (hessian == null) {
                    return null;
                }
                return new Stability(kind, quantity, sharpness, settings.threshold(), settings.thresholdFormula(), Double.NaN,
                        Double.NaN, 0, hessian.products(), Double.NaN, note, null);
            case PRECONDITIONED_SHARPNESS: {
                if (optimizer.step() == 0) {
                    return new Stability(kind, quantity, Double.NaN, settings.threshold(), settings.thresholdFormula(),
                            Double.NaN, Double.NaN, 0, 0, sharpness, "undefined before the first step: the optimizer has "
                                    + "no second moments yet, so P is not defined", null);
                }
                Preconditioner p;
                try {
                    p = Preconditioner.of(settings, Math.max(optimizer.step(), 0), optimizer.state(), network.parameterRanges());
                } catch (IllegalArgumentException e) {
                    return new Stability(kind, quantity, Double.NaN, settings.threshold(), settings.thresholdFormula(),
                            Double.NaN, Double.NaN, 0, 0, sharpness, note, "the preconditioner: " + e.getMessage());
                }
                try (ScaledOperator scaled = new ScaledOperator(CurvatureOperator.of(products, Curvature.HESSIAN),
                        p.inverseSqrt(), manager)) {
                    SymmetricOperator op = reporting(scaled, PRECONDITIONED, progress);
                    EigenOptions one = new EigenOptions(1, options.tolerance(), options.maxProducts(), options.seed());
                    Spectrum s = solveWarm(PRECONDITIONED, op, one, products.dimension());
                    // the solver ranks by magnitude; the edge is λmax: when the largest in magnitude is negative (P⁻¹
                    // can amplify negative curvature by 1/ε), a second, shifted solve finds the largest
                    double[] largest = ShiftedOperator.largestAlgebraic(op, s.top(), EigenSolver.forOperator(options.solver(), op),
                            one, manager);
                    String failure = s.failure() != null ? s.failure()
                            : Double.isNaN(largest[0]) ? "the shifted solve for the largest eigenvalue failed" : null;
                    return new Stability(kind, quantity, largest[0], settings.threshold(), settings.thresholdFormula(),
                            Double.NaN, Double.NaN, 0, s.products() + (long) largest[1], sharpness, note, failure);
                }
            }
            default: {
                String stage = quantity.id();
                BatchSharpness.Estimate e = BatchSharpness.estimate(network, data, optimizer.batchSize(),
                        options.batchSharpness(), options.seed(), done -> progress.update(stage, done, -1));
                String extrapolated = kind.hasMomentum() ? "with momentum, comparing batch sharpness with " + settings.thresholdFormula()
                        + " is an extrapolation, not an established result" : null;
                return new Stability(kind, quantity, e.value(), settings.threshold(), settings.thresholdFormula(), e.low(),
                        e.high(), e.batches(), e.products(), sharpness, extrapolated, e.failure());
            }
        }
    }

    /**
     * tr(𝓗) by Hutch++; tr(G) and each layer's tr(Gˡ) exactly for an MLP (C backward passes), by Hutch++ on G and on each
     * parameter group's block for any other model. Each is computed only when its spectrum was asked for.
     */
    private Traces traces(DifferentiableModel network, DeviceData data, CurvatureProducts products, TraceOptions trace,
            AnalysisProgress progress) {
        TraceEstimate hessian = null;
        if (options.spectra().contains(Curvature.HESSIAN)) {
            hessian = HutchPlusPlus.estimate(reporting(CurvatureOperator.of(products, Curvature.HESSIAN), "trace_hessian",
                    progress), trace, manager);
            products.releaseGraph();
        }
        if (!options.spectra().contains(Curvature.GAUSS_NEWTON)) {
            return new Traces(hessian, null, 0, List.of());
        }
        List<Traces.LayerTrace> layers = new ArrayList<>();
        if (network instanceof Network mlp) {
            progress.update("trace_gauss_newton", 0, network.classes());
            GaussNewtonTrace exact;
            try {
                exact = ExactGaussNewtonTrace.compute(mlp, data, options.chunkSize());
            } catch (ArithmeticException e) { // a non-finite per-sample term: no number, the reason instead
                return new Traces(hessian, TraceEstimate.failed(TraceEstimate.EXACT, 0, e.getMessage()), 0, List.of());
            }
            progress.update("trace_gauss_newton", network.classes(), network.classes());
            for (int l = 0; l < exact.layers().length; l++) {
                layers.add(new Traces.LayerTrace(l + 1, null, TraceEstimate.exact(exact.layers()[l])));
            }
            return new Traces(hessian, TraceEstimate.exact(exact.total()), exact.gradientEquivalents(), layers);
        }
        TraceEstimate total = HutchPlusPlus.estimate(reporting(CurvatureOperator.of(products, Curvature.GAUSS_NEWTON),
                "trace_gauss_newton", progress), trace, manager);
        products.releaseGraph();
        for (DifferentiableModel.ParameterGroup g : products.model().groups()) {
            TraceEstimate block = HutchPlusPlus.estimate(reporting(CurvatureOperator.block(products, Curvature.GAUSS_NEWTON, g),
                    "trace_gauss_newton " + g.name(), progress), trace, manager);
            products.releaseGraph();
            layers.add(new Traces.LayerTrace(0, g.name(), block));
        }
        return new Traces(hessian, total, 0, layers);
    }

    /** Records the seconds since {@code since} as {@code stage}; returns now. */
    private static long lap(Map<String, Double> stages, String stage, long since) {
        long now = System.nanoTime();
        stages.put(stage, (now - since) / 1e9);
        return now;
    }

    /** λ_max of the Gauss-Newton block of each parameter group, each warm-started from its previous solve ({@link #solveWarm}). */
    private List<GroupCurvature> groupTops(CurvatureProducts products, AnalysisProgress progress) {
        List<GroupCurvature> out = new ArrayList<>();
        List<DifferentiableModel.ParameterGroup> all = products.model().groups();
        for (int i = 0; i < all.size(); i++) {
            DifferentiableModel.ParameterGroup g = all.get(i);
            SymmetricOperator op = CurvatureOperator.block(products, Curvature.GAUSS_NEWTON, g);
            EigenOptions one = new EigenOptions(1, options.tolerance(), options.maxProducts(), options.seed());
            // warm-started from this layer's vector of the previous snapshot, like the spectra
            Spectrum s = solveWarm("group " + g.name(), op, one, g.size());
            out.add(new GroupCurvature(g.name(), g.size(), s.top(), s.verifiedResiduals()[0], s.converged(), s.products(),
                    s.failure()));
            progress.update("groups", i + 1, all.size());
        }
        return out;
    }

    /** L̃(θ) = (1/N) Σ l(f(x_n), y_n), summed in chunks. */
    public static double loss(DifferentiableModel network, DeviceData data) {
        double sum = 0;
        for (int c = 0; c < data.chunks(); c++) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray perSample = network.loss().perSample(network.logits(data.inputs(c)), data.targets(c));
                sum += HostArrays.scalar(perSample.sum());
            }
        }
        return sum / data.size();
    }

    private static SymmetricOperator reporting(SymmetricOperator op, String stage, AnalysisProgress progress) {
        return new SymmetricOperator() {
            private long products;

            @Override
            public long dimension() {
                return op.dimension();
            }

            @Override
            public boolean batchesBlocks() {
                return op.batchesBlocks();
            }

            @Override
            public DataType dataType() {
                return op.dataType();
            }

            @Override
            public NDArray apply(NDArray block) {
                NDArray out = op.apply(block);
                products += block.getShape().get(0);
                progress.update(stage, products, -1);
                return out;
            }
        };
    }

    @Override
    public void close() {
        manager.close();
    }
}
