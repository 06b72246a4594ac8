package io.eoscope.analyzer;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.net.Precision;
import com.google.gson.JsonObject;
import io.eoscope.curvature.analysis.AnalysisProgress;
import io.eoscope.curvature.analysis.AnalysisReport;
import io.eoscope.curvature.analysis.BeyondTopOptions;
import io.eoscope.curvature.analysis.CurvatureAnalysis;
import io.eoscope.curvature.eigen.EigenSolveException;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.DifferentiableModel;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.ModelState;
import io.eoscope.curvature.net.ScriptedModel;
import io.eoscope.curvature.net.ScriptedParameters;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.optim.OptimizerSnapshot;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.SnapshotMetadata;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Analyses snapshots, keeping per-run state: each run's warm-start eigenvectors and its dataset on
 * the device (at most {@code maxRuns} runs, least recently used out). Plain Java: no io.vertx.
 */
public final class SnapshotAnalysis implements AutoCloseable {
    private final AnalyzerConfig config;
    private final NDManager manager;
    private final Precision precision;
    private final int maxRuns;
    private final Map<String, RunState> runs = new LinkedHashMap<>(8, 0.75f, true);

    private static final class RunState implements AutoCloseable {
        final String datasetHash;
        final DataType type;
        final DeviceData data;
        final CurvatureAnalysis analysis;
        /** Snapshots of the run analysed here so far: which of them get the density and traces ({@link BeyondTopOptions#due}). */
        long analysed;

        RunState(String datasetHash, DataType type, DeviceData data, CurvatureAnalysis analysis) {
            this.datasetHash = datasetHash;
            this.type = type;
            this.data = data;
            this.analysis = analysis;
        }

        @Override
        public void close() {
            analysis.close();
            data.close();
        }
    }

    public SnapshotAnalysis(AnalyzerConfig config, int maxRuns) {
        this.config = config;
        this.maxRuns = maxRuns;
        this.manager = NDManager.newBaseManager(io.eoscope.curvature.net.DeviceChoice.parse(config.device()).resolve());
        this.precision = config.precision();
    }

    /**
     * The content hash of the module this analyzer analyses {@code snapshot} with: the one traced in the analysis
     * precision.
     *
     * @throws IllegalArgumentException when the snapshot names none traced in it
     */
    public String moduleOf(ScriptedParameters snapshot) {
        return precision.module(snapshot);
    }

    /** The metrics record of an MLP snapshot (see {@link #analyse(ModelState, LabeledData, byte[])}). */
    public MetricsRecord analyse(MlpModel snapshot, LabeledData data) {
        return analyse(snapshot, data, null);
    }

    /**
     * The metrics record of one snapshot, written with the wire's typed writer ({@link MetricsRecord#of}): the analysis
     * (docs/contracts.md, the metrics JSON) plus run, step, time, analysis id, timings, and the snapshot's step sizes and solver;
     * with the run against its optimizer's edge ({@code stability}) when the snapshot names its optimizer or step size.
     *
     * @param module the TorchScript bytes of a {@link ScriptedParameters} snapshot's module (null for an MLP)
     * @throws IllegalArgumentException when the snapshot does not fit its module, or its metadata or analysis breaks
     *     a rule of the wire ({@link SnapshotMetadata}, {@link MetricsRecord#of})
     */
    public MetricsRecord analyse(ModelState snapshot, LabeledData data, byte[] module) {
        SnapshotMetadata meta;
        try {
            meta = SnapshotMetadata.of(null, snapshot.metadata());
        } catch (MalformedRecordException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        long started = System.nanoTime();
        AnalysisReport report;
        try (DifferentiableModel model = open(snapshot, module)) {
            RunState state = state(meta.run(), meta.dataset(), data, model);
            boolean beyondTop = config.options().beyondTop().due(state.analysed++);
            report = state.analysis.analyze(model, state.data, OptimizerSnapshot.of(snapshot), AnalysisProgress.NONE, beyondTop);
        }
        if (report.failure() != null) { // dead-lettered with the reason by the loop, never published as numbers
            throw new EigenSolveException(report.failure());
        }
        JsonObject o = report.toJson();
        o.addProperty("analysis_seconds", (System.nanoTime() - started) / 1e9);
        if (!Double.isNaN(meta.lr())) {
            o.addProperty("lr", meta.lr());
        }
        if (!Double.isNaN(meta.etaMax())) {
            o.addProperty("eta_max", meta.etaMax());
        }
        if (snapshot.metadata().containsKey("solver")) {
            o.addProperty("solver", snapshot.metadata().get("solver"));
        }
        return MetricsRecord.of(meta.run(), meta.step(), meta.time(), config.analysisId(), o);
    }

    /**
     * The model on the device in the analysis precision: a TorchScript snapshot's {@code module} must be the one traced
     * in it ({@link Precision#module}).
     */
    private DifferentiableModel open(ModelState snapshot, byte[] module) {
        if (snapshot instanceof MlpModel mlp) {
            return Network.upload(mlp, manager, precision.resolve(mlp));
        }
        if (module == null) {
            throw new IllegalArgumentException("no TorchScript module given for a TorchScript snapshot");
        }
        return ScriptedModel.load(module, (ScriptedParameters) snapshot, manager, precision.resolve(snapshot));
    }

    /** The run's dataset on the device and its analysis (warm starts), new when the dataset or precision changed. */
    private RunState state(String run, String hash, LabeledData data, DifferentiableModel model) {
        RunState state = runs.get(run);
        if (state != null && state.datasetHash.equals(hash) && state.type == model.dataType()) {
            return state;
        }
        if (state != null) {
            runs.remove(run).close();
        }
        state = new RunState(hash, model.dataType(), DeviceData.upload(data, model.classes(), manager, model.dataType(),
                config.options().chunkSize()), new CurvatureAnalysis(config.options(), manager));
        runs.put(run, state);
        if (runs.size() > maxRuns) {
            String oldest = runs.keySet().iterator().next();
            runs.remove(oldest).close();
        }
        return state;
    }

    /** Whether this analyzer has state for {@code run}. */
    public boolean knows(String run) {
        return runs.containsKey(run);
    }

    @Override
    public void close() {
        runs.values().forEach(RunState::close);
        runs.clear();
        manager.close();
    }
}
