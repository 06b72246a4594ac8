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
import io.eoscope.curvature.eigen.SymmetricOperator;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.DifferentiableModel;
import io.eoscope.curvature.net.Network;
import java.util.ArrayList;
import java.util.EnumMap;
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
    private final Map<Curvature, NDArray> warmStarts = new EnumMap<>(Curvature.class);
    private final Map<Curvature, Integer> solves = new EnumMap<>(Curvature.class);

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
            EigenSolver solver = EigenSolver.named(options.solver());
            for (Curvature kind : Curvature.values()) {
                if (!options.spectra().contains(kind)) {
                    continue;
                }
                SymmetricOperator op = reporting(CurvatureOperator.of(products, kind), kind.id(), progress);
                int solve = solves.merge(kind, 1, Integer::sum);
                NDArray warm = warmStarts.get(kind);
                if (warm != null && warm.getShape().get(1) != products.dimension()) {
                    warm = null; // another architecture: start cold
                }
                if ((solve - 1) % COLD_EVERY == 0) {
                    warm = null; // the periodic cold check, see COLD_EVERY
                }
                EigenResult r = solver.solve(op, options.eigenOptions(), warm, manager);
                spectra.put(kind, Spectrum.of(r, warm != null));
                if (r.failed()) { // keep the last good warm start; the next solve of this spectrum starts cold
                    r.vectors().close();
                    solves.put(kind, 0);
                    stage = lap(stages, kind.id(), stage);
                    continue;
                }
                if (warmStarts.containsKey(kind)) {
                    warmStarts.get(kind).close();
                }
                warmStarts.put(kind, r.vectors());
                stage = lap(stages, kind.id(), stage);
            }
            boolean failed = spectra.values().stream().anyMatch(s -> s.failure() != null);
            if (options.layerwise() && !failed && network instanceof Network mlp) { // a failed spectrum: stop here
                LayerwiseAlignment.Options alignmentOptions = options.alignmentOptions();
                int total = LayerwiseAlignment.progressSteps(data, mlp.model().classes(), mlp.model().layers(),
                        alignmentOptions);
                alignment = LayerwiseAlignment.compute(mlp, data, products, alignmentOptions,
                        done -> progress.update("alignment", done, total));
            } else if (options.layerwise() && !failed) {
                groups = groupTops(products, progress);
            }
            if (alignment != null || groups != null) {
                lap(stages, "layerwise", stage);
            }
            info.put("seconds", (System.nanoTime() - started) / 1e9);
            info.put("stage_seconds", stages);
            return new AnalysisReport(loss, data.size(), network.classes(), network.parameterCount(), spectra,
                    alignment, groups, info);
        }
    }

    /** Records the seconds since {@code since} as {@code stage}; returns now. */
    private static long lap(Map<String, Double> stages, String stage, long since) {
        long now = System.nanoTime();
        stages.put(stage, (now - since) / 1e9);
        return now;
    }

    /** λ_max of the Gauss-Newton block of each parameter group, cold-started (each layer is solved once). */
    private List<GroupCurvature> groupTops(CurvatureProducts products, AnalysisProgress progress) {
        List<GroupCurvature> out = new ArrayList<>();
        List<DifferentiableModel.ParameterGroup> all = products.model().groups();
        for (int i = 0; i < all.size(); i++) {
            DifferentiableModel.ParameterGroup g = all.get(i);
            SymmetricOperator op = CurvatureOperator.block(products, Curvature.GAUSS_NEWTON, g);
            EigenOptions one = new EigenOptions(1, options.tolerance(), options.maxProducts(), options.seed());
            EigenResult r = EigenSolver.named(options.solver()).solve(op, one, null, manager);
            try (NDArray vectors = r.vectors()) {
                double top = r.failed() ? Double.NaN : r.top();
                out.add(new GroupCurvature(g.name(), g.size(), top, r.verifiedResiduals()[0], r.converged(), r.products(),
                        r.failure()));
            }
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
