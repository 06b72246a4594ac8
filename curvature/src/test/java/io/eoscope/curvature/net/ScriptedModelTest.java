package io.eoscope.curvature.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.analysis.AnalysisProgress;
import io.eoscope.curvature.analysis.AnalysisReport;
import io.eoscope.curvature.analysis.CurvatureAnalysis;
import io.eoscope.curvature.analysis.GroupCurvature;
import io.eoscope.curvature.alignment.LayerSpectraRoute;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.testing.TestProblems;
import io.eoscope.curvature.testing.TorchScriptFixtures;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Curvature of any TorchScript module through DJL (the spike of issue 14): the exact products of 𝓗, G and
 * H through a traced CNN (convolutions, max and average pooling, tanh, ELU, a linear head) against dense
 * float64 matrices built by PyTorch itself, against float64 finite differences of the gradient, and the
 * analysis against the dense eigenvalues; an MLP as TorchScript gives what the MLP path gives.
 */
@Tag("integration")
class ScriptedModelTest {
    private static final AnalysisOptions TIGHT = new AnalysisOptions(1, 1e-10, "lanczos", EnumSet.allOf(Curvature.class), true,
            1000, 0, LayerSpectraRoute.AUTO, 2048, 5000, 3);

    @Test
    void productsThroughATracedCnnEqualPyTorchsDenseFloat64Matrices() {
        TorchScriptFixtures f = TorchScriptFixtures.load("cnn");
        try (NDManager m = NDManager.newBaseManager();
                ScriptedModel model = ScriptedModel.load(f.module(), f.parameters(), m);
                DeviceData data = DeviceData.upload(f.data(), model.classes(), m, model.dataType(), 5); // 4 chunks
                CurvatureProducts products = new CurvatureProducts(model, data)) {
            assertThat(model.parameterCount()).isEqualTo(311);
            assertThat(model.groups().stream().map(DifferentiableModel.ParameterGroup::name)).containsExactly("conv1", "conv2", "head");
            assertThat(CurvatureAnalysis.loss(model, data)).isCloseTo(f.ref("loss")[0], within(1e-13));
            double[] v = f.ref("v");
            Map<Curvature, String> refs = Map.of(Curvature.HESSIAN, "hv", Curvature.GAUSS_NEWTON, "gv", Curvature.RESIDUAL, "rv");
            for (Curvature kind : Curvature.values()) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray block = HostArrays.upload(m, v, new Shape(1, v.length), DataType.FLOAT64);
                    double[] got = HostArrays.download(products.apply(kind, block));
                    assertThat(TestProblems.relativeError(got, f.ref(refs.get(kind)))).as(kind.id() + " product, relative error")
                            .isLessThan(1e-10);
                }
            }
        }
    }

    /**
     * One chunk: the gradient's graph is built by the first product of an operator and kept for the next ones. Every
     * product through the kept graph equals the one through a graph built for it (four chunks of the same data) to 1e-13,
     * and switching operators (𝓗, G, 𝓗, H, 𝓗) never gives one operator's product for another; each layer's block, which
     * differentiates that layer's gradient alone, equals the sliced product of the whole operator.
     */
    @Test
    void productsThroughTheKeptGraphEqualProductsThroughAFreshOne() {
        TorchScriptFixtures f = TorchScriptFixtures.load("cnn");
        try (NDManager m = NDManager.newBaseManager();
                ScriptedModel model = ScriptedModel.load(f.module(), f.parameters(), m);
                DeviceData whole = DeviceData.upload(f.data(), model.classes(), m, model.dataType(), 1000);
                DeviceData chunked = DeviceData.upload(f.data(), model.classes(), m, model.dataType(), 5)) {
            double[] v = f.ref("v");
            double[] w = TestProblems.vector(v.length, 11);
            Curvature[] order = {Curvature.HESSIAN, Curvature.HESSIAN, Curvature.GAUSS_NEWTON, Curvature.HESSIAN,
                Curvature.RESIDUAL, Curvature.RESIDUAL, Curvature.HESSIAN};
            try (CurvatureProducts kept = new CurvatureProducts(model, whole)) {
                for (int i = 0; i < order.length; i++) {
                    double[] direction = i % 2 == 0 ? v : w;
                    double[] got = product(kept, order[i], direction, m);
                    double[] fresh;
                    try (CurvatureProducts rebuilt = new CurvatureProducts(model, chunked)) {
                        fresh = product(rebuilt, order[i], direction, m);
                    }
                    assertThat(TestProblems.relativeError(got, fresh)).as("product " + i + " (" + order[i].id() + ")")
                            .isLessThan(1e-13);
                }
                // a layer's block differentiates only that layer's gradient: equal to the whole operator's product with
                // the direction embedded in zeros, sliced to the layer
                for (DifferentiableModel.ParameterGroup g : model.groups()) {
                    double[] embedded = new double[v.length];
                    System.arraycopy(v, (int) g.from(), embedded, (int) g.from(), (int) g.size());
                    double[] full = product(kept, Curvature.GAUSS_NEWTON, embedded, m);
                    double[] block;
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        double[] part = java.util.Arrays.copyOfRange(v, (int) g.from(), (int) g.to());
                        block = HostArrays.download(kept.applyBlock(Curvature.GAUSS_NEWTON,
                                HostArrays.upload(m, part, new Shape(1, part.length), DataType.FLOAT64), g.from(), g.to()));
                    }
                    assertThat(TestProblems.relativeError(block, java.util.Arrays.copyOfRange(full, (int) g.from(), (int) g.to())))
                            .as("G's block of " + g.name()).isLessThan(1e-13);
                }
            }
        }
    }

    private static double[] product(CurvatureProducts products, Curvature kind, double[] v, NDManager m) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            return HostArrays.download(products.apply(kind, HostArrays.upload(m, v, new Shape(1, v.length), DataType.FLOAT64)));
        }
    }

    @Test
    void theHessianProductIsTheDerivativeOfTheGradientByFloat64FiniteDifferences() {
        TorchScriptFixtures f = TorchScriptFixtures.load("cnn");
        double[] v = f.ref("v");
        double eps = 1e-5;
        try (NDManager m = NDManager.newBaseManager();
                ScriptedModel model = ScriptedModel.load(f.module(), f.parameters(), m);
                ScriptedModel plus = ScriptedModel.load(f.module(), shifted(f.parameters(), v, eps), m);
                ScriptedModel minus = ScriptedModel.load(f.module(), shifted(f.parameters(), v, -eps), m);
                DeviceData data = DeviceData.upload(f.data(), 3, m, DataType.FLOAT64, 16)) {
            double[] hv;
            double[] gPlus;
            double[] gMinus;
            try (CurvatureProducts p = new CurvatureProducts(model, data); NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                hv = HostArrays.download(p.apply(Curvature.HESSIAN, HostArrays.upload(m, v, new Shape(1, v.length), DataType.FLOAT64)));
            }
            try (CurvatureProducts p = new CurvatureProducts(plus, data); NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                gPlus = HostArrays.download(p.gradient());
            }
            try (CurvatureProducts p = new CurvatureProducts(minus, data); NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                gMinus = HostArrays.download(p.gradient());
            }
            double[] fd = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                fd[i] = (gPlus[i] - gMinus[i]) / (2 * eps);
            }
            // central differences: error O(ε²‖∇³L‖) plus rounding O(1e-16/ε) ≈ 1e-10 here
            assertThat(TestProblems.relativeError(fd, hv)).as("finite differences of the gradient against 𝓗v").isLessThan(1e-7);
        }
    }

    @Test
    void theAnalysisOfACnnFindsTheDenseTopEigenvaluesAndEachLayersGaussNewtonTop() {
        TorchScriptFixtures f = TorchScriptFixtures.load("cnn");
        AnalysisReport report = analyse(f);
        double[] tops = f.ref("tops");
        assertThat(report.spectra().get(Curvature.HESSIAN).top()).isCloseTo(tops[0], within(1e-6 * Math.abs(tops[0])));
        assertThat(report.spectra().get(Curvature.GAUSS_NEWTON).top()).isCloseTo(tops[1], within(1e-6 * Math.abs(tops[1])));
        assertThat(report.spectra().get(Curvature.RESIDUAL).top()).isCloseTo(tops[2], within(1e-6 * Math.abs(tops[2])));
        assertThat(report.alignment()).as("the five MLP factors are MLP-only").isNull();
        assertThat(report.info()).containsEntry("model", "torchscript");
        double[] groupTops = f.ref("group_tops");
        assertThat(report.groups()).extracting(GroupCurvature::group).containsExactlyElementsOf(f.groups());
        for (int i = 0; i < groupTops.length; i++) {
            GroupCurvature g = report.groups().get(i);
            assertThat(g.gaussNewtonTop()).as("λmax of G's block of " + g.group()).isCloseTo(groupTops[i], within(1e-6 * groupTops[i]));
            assertThat(g.converged()).isTrue();
        }
        assertThat(report.toJson().getAsJsonArray("groups")).hasSize(3);
        assertThat(report.toJson().get("model").getAsString()).isEqualTo("torchscript");
    }

    /** The next snapshot's layer solves start from the previous snapshot's vectors: fewer products, the same tops. */
    @Test
    void eachLayersSolveIsWarmStartedFromThePreviousSnapshot() {
        TorchScriptFixtures f = TorchScriptFixtures.load("cnn");
        try (NDManager m = NDManager.newBaseManager();
                ScriptedModel model = ScriptedModel.load(f.module(), f.parameters(), m);
                DeviceData data = DeviceData.upload(f.data(), model.classes(), m, model.dataType(), 1000);
                CurvatureAnalysis analysis = new CurvatureAnalysis(TIGHT, m)) {
            AnalysisReport cold = analysis.analyze(model, data, AnalysisProgress.NONE);
            AnalysisReport warm = analysis.analyze(model, data, AnalysisProgress.NONE);
            double[] groupTops = f.ref("group_tops");
            for (int i = 0; i < groupTops.length; i++) {
                GroupCurvature c = cold.groups().get(i);
                GroupCurvature w = warm.groups().get(i);
                assertThat(w.products()).as(w.group() + ": products warm against cold").isLessThan(c.products());
                assertThat(w.gaussNewtonTop()).as(w.group()).isCloseTo(groupTops[i], within(1e-6 * groupTops[i]));
            }
        }
    }

    @Test
    void anMlpAsTorchScriptGivesWhatTheMlpPathGives() {
        TorchScriptFixtures f = TorchScriptFixtures.load("mlp");
        AnalysisReport scripted = analyse(f);
        MlpModel mlp = asMlp(f.parameters());
        AnalysisReport direct;
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(mlp, m, DataType.FLOAT64);
                DeviceData data = DeviceData.upload(f.data(), 3, m, DataType.FLOAT64, 1000);
                CurvatureAnalysis analysis = new CurvatureAnalysis(TIGHT, m)) {
            direct = analysis.analyze(net, data, AnalysisProgress.NONE);
        }
        double[] tops = f.ref("tops");
        for (Curvature kind : Curvature.values()) {
            double s = scripted.spectra().get(kind).top();
            assertThat(s).as(kind.id()).isCloseTo(direct.spectra().get(kind).top(), within(1e-8 * Math.abs(s)));
            assertThat(s).as(kind.id() + " against the dense reference").isCloseTo(tops[kind.ordinal()], within(1e-6 * Math.abs(s)));
        }
        assertThat(scripted.loss()).isCloseTo(direct.loss(), within(1e-14));
        for (int l = 0; l < 3; l++) {
            assertThat(scripted.groups().get(l).gaussNewtonTop()).as("layer " + (l + 1))
                    .isCloseTo(direct.alignment().layers().get(l).gaussNewtonTop(), within(1e-7 * scripted.groups().get(l).gaussNewtonTop()));
        }
    }

    @Test
    void aSnapshotThatDoesNotFitTheModuleIsRefusedWithTheParameterNamed() {
        TorchScriptFixtures f = TorchScriptFixtures.load("cnn");
        List<ScriptedParameters.Parameter> missing = new ArrayList<>(f.parameters().parameters());
        missing.remove(0);
        List<ScriptedParameters.Parameter> reshaped = new ArrayList<>(f.parameters().parameters());
        ScriptedParameters.Parameter head = reshaped.remove(reshaped.size() - 2);
        reshaped.add(new ScriptedParameters.Parameter(head.name(), new long[] {head.values().length}, head.values()));
        List<ScriptedParameters.Parameter> extra = new ArrayList<>(f.parameters().parameters());
        extra.add(new ScriptedParameters.Parameter("conv3.weight", new long[] {1}, new double[] {1}));
        try (NDManager m = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> ScriptedModel.load(f.module(), with(f.parameters(), missing), m).close())
                    .hasMessageContaining("the snapshot has no parameter 'conv1.weight' of the module");
            assertThatThrownBy(() -> ScriptedModel.load(f.module(), with(f.parameters(), reshaped), m).close())
                    .hasMessageContaining("parameter 'head.weight' has shape [48] in the snapshot but (3, 16) in the module");
            assertThatThrownBy(() -> ScriptedModel.load(f.module(), with(f.parameters(), extra), m).close())
                    .hasMessageContaining("the module has no parameter conv3.weight");
            assertThatThrownBy(() -> ScriptedModel.load("not a module".getBytes(), f.parameters(), m).close())
                    .hasMessageStartingWith("the TorchScript module cannot be loaded");
            ScriptedParameters wrongClasses = new ScriptedParameters(f.parameters().parameters(), f.parameters().inputShape(), 4,
                    Loss.CROSS_ENTROPY, f.parameters().module(), Map.of());
            assertThatThrownBy(() -> ScriptedModel.load(f.module(), wrongClasses, m).close())
                    .hasMessageContaining("expected (2, 4) logits");
        }
    }

    static AnalysisReport analyse(TorchScriptFixtures f) {
        try (NDManager m = NDManager.newBaseManager();
                ScriptedModel model = ScriptedModel.load(f.module(), f.parameters(), m);
                DeviceData data = DeviceData.upload(f.data(), model.classes(), m, model.dataType(), 1000);
                CurvatureAnalysis analysis = new CurvatureAnalysis(TIGHT, m)) {
            AnalysisReport r = analysis.analyze(model, data, AnalysisProgress.NONE);
            assertThat(r.failure()).isNull();
            return r;
        }
    }

    private static MlpModel asMlp(ScriptedParameters p) {
        List<double[]> w = new ArrayList<>();
        List<double[]> b = new ArrayList<>();
        List<Integer> widths = new ArrayList<>();
        for (ScriptedParameters.Parameter q : p.parameters()) {
            if (q.name().endsWith(".weight")) {
                if (widths.isEmpty()) {
                    widths.add((int) q.shape()[1]);
                }
                widths.add((int) q.shape()[0]);
                w.add(q.values());
            } else {
                b.add(q.values());
            }
        }
        return new MlpModel(widths.stream().mapToInt(Integer::intValue).toArray(), Activation.TANH, p.loss(), w, b, Map.of());
    }

    private static ScriptedParameters with(ScriptedParameters p, List<ScriptedParameters.Parameter> parameters) {
        return new ScriptedParameters(parameters, p.inputShape(), p.classes(), p.loss(), p.module(), p.metadata());
    }

    /** θ + εv, with v in the module's parameter order (the snapshot's order here). */
    private static ScriptedParameters shifted(ScriptedParameters p, double[] v, double eps) {
        List<ScriptedParameters.Parameter> out = new ArrayList<>();
        int offset = 0;
        for (ScriptedParameters.Parameter q : p.parameters()) {
            double[] values = q.values().clone();
            for (int i = 0; i < values.length; i++) {
                values[i] += eps * v[offset + i];
            }
            offset += values.length;
            out.add(new ScriptedParameters.Parameter(q.name(), q.shape(), values));
        }
        return with(p, out);
    }
}
