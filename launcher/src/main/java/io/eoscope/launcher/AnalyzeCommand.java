package io.eoscope.launcher;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.eoscope.curvature.alignment.LayerSpectraRoute;
import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.analysis.BatchSharpness;
import io.eoscope.curvature.analysis.AnalysisReport;
import io.eoscope.curvature.analysis.CurvatureAnalysis;
import io.eoscope.curvature.eigen.EigenSolveException;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.net.DeviceChoice;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.io.ScriptedFile;
import io.eoscope.curvature.net.DifferentiableModel;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.ModelState;
import io.eoscope.curvature.net.ScriptedModel;
import io.eoscope.curvature.net.ScriptedParameters;
import java.io.IOException;
import java.nio.file.Files;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.net.Precision;
import io.eoscope.curvature.optim.OptimizerSnapshot;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code eos analyze}: the curvature analysis of one model on one dataset, as JSON on stdout. */
@Command(name = "analyze", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints the analysis of one model on one dataset as JSON (docs/contracts.md#eos-analyze-json):",
            "loss, the top-k eigenvalues of the Hessian, its Gauss-Newton part G and residual part H,",
            "and the layerwise Jacobian-alignment quantities; and, when the model file names its optimizer or step size,",
            "the run against its optimizer's edge of stability (docs/science.md#other-optimizers). Progress goes to stderr."})
final class AnalyzeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "M", description = "model safetensors file (MLP), or a TorchScript module (.pt) with --params")
    Path model;

    @Option(names = "--params", paramLabel = "P", description = "parameters of the TorchScript module --model: a snapshot safetensors file of eoscope's Python client")
    Path params;

    @Option(names = "--data", required = true, paramLabel = "D", description = "dataset safetensors file (x, y)")
    Path data;

    @Option(names = "--top-k", defaultValue = "1", paramLabel = "K", description = "eigenvalues per spectrum, by magnitude (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--tol", defaultValue = "1e-4", paramLabel = "T", description = "relative tolerance of the eigen-solvers (default: ${DEFAULT-VALUE})")
    double tolerance;

    @Option(names = {"--dtype", "--analysis-dtype"}, defaultValue = "auto", paramLabel = "TYPE", description = "auto, float32 or float64: auto is float64 for an MLP and, for a TorchScript module, the precision it was traced in (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEV", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--solver", defaultValue = "lanczos", paramLabel = "S", description = "lanczos or power (block power iteration) (default: ${DEFAULT-VALUE})")
    String solver;

    @Option(names = "--spectra", defaultValue = "hessian,gauss_newton,residual", split = ",", paramLabel = "LIST", description = "which spectra: hessian, gauss_newton, residual (default: all)")
    Set<String> spectra;

    @Option(names = "--no-layerwise", description = "skip the layerwise alignment quantities")
    boolean noLayerwise;

    @Option(names = "--subsample", defaultValue = "0", paramLabel = "M", description = "per-sample means over a seeded subsample of M samples (default: all)")
    int subsample;

    @Option(names = "--layer-spectra", defaultValue = "auto", paramLabel = "ROUTE", description = "auto, dual-gram (exact, N·C × N·C) or operator (Lanczos on Gˡ) (default: ${DEFAULT-VALUE})")
    String layerSpectra;

    @Option(names = "--dual-gram-limit", defaultValue = "2048", paramLabel = "NC", description = "largest N·C for the dual-Gram route under auto (default: ${DEFAULT-VALUE})")
    int dualGramLimit;

    @Option(names = "--chunk-size", defaultValue = "1000", paramLabel = "B", description = "samples per chunk of every dataset sum (default: ${DEFAULT-VALUE})")
    int chunkSize;

    @Option(names = "--max-products", defaultValue = "5000", paramLabel = "P", description = "product budget of each eigen-solve (default: ${DEFAULT-VALUE})")
    long maxProducts;

    @Option(names = "--batch-tol", defaultValue = "0.01", paramLabel = "F", description = "batch sharpness of a mini-batch model file (metadata batch_size): stop when the 95%% interval's half-width is at most F of the estimate (default: ${DEFAULT-VALUE})")
    double batchTolerance;

    @Option(names = "--max-batches", defaultValue = "500", paramLabel = "N", description = "batch sharpness: the most batches of one estimate (default: ${DEFAULT-VALUE})")
    int maxBatches;

    @Option(names = "--seed", defaultValue = "0", description = "seed of start vectors and subsample (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--quiet", description = "no progress on stderr")
    boolean quiet;

    @picocli.CommandLine.Mixin
    BeyondTopCli beyondTop;

    @Override
    public Integer call() throws InputException {
        AnalysisOptions options = UsageException.fromOptions(() -> new AnalysisOptions(topK, tolerance, solver, curvatures(),
                !noLayerwise, chunkSize, subsample, route(layerSpectra), dualGramLimit, maxProducts, seed,
                new BatchSharpness.Options(batchTolerance, BatchSharpness.Options.LEAST_BATCHES, maxBatches),
                beyondTop.options(1, seed)));
        Precision precision = UsageException.fromOptions(() -> Precision.parse(dtype, "--dtype"));
        Device dev = UsageException.fromOptions(() -> DeviceChoice.parse(device).resolve());
        ModelState state = params != null ? ScriptedFile.read(params) : mlp(model);
        LabeledData samples = DatasetFile.read(data);
        DatasetFile.checkAgainst(samples, state, data);
        try (StderrProgress progress = new StderrProgress(quiet);
                NDManager manager = NDManager.newBaseManager(dev);
                DifferentiableModel network = open(state, manager, precision);
                DeviceData deviceData = DeviceData.upload(samples, network.classes(), manager, network.dataType(), chunkSize);
                CurvatureAnalysis analysis = new CurvatureAnalysis(options, manager)) {
            if (topK > network.parameterCount()) {
                throw new UsageException("--top-k " + topK + " exceeds the model's " + network.parameterCount() + " parameters");
            }
            OptimizerSnapshot optimizer = OptimizerSnapshot.of(state);
            if (optimizer != null && optimizer.batchSize() > samples.n()) {
                throw new InputException((params != null ? params : model) + ": metadata 'batch_size' is " + optimizer.batchSize()
                        + ", more than the " + samples.n() + " samples of " + data);
            }
            AnalysisReport report = analysis.analyze(network, deviceData, optimizer, progress);
            progress.close();
            com.google.gson.JsonObject json = report.toJson();
            PeakMemory.mebibytes().ifPresent(mb -> json.addProperty("peak_rss_mb", mb)); // the whole process's peak
            System.out.println(new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(json));
            System.out.flush();
            if (report.failure() != null) { // the JSON says which spectrum and why; exit 1 with one line
                throw new EigenSolveException(report.failure());
            }
        }
        return 0;
    }

    /** An MLP model file; a TorchScript module given without --params is named as such. */
    private static MlpModel mlp(Path path) throws InputException {
        if (isTorchScript(path)) {
            throw new InputException(path + ": is a TorchScript module (a zip archive): give its parameters with --params SNAPSHOT");
        }
        return ModelFile.read(path);
    }

    /**
     * The model on the device: an MLP in --dtype (float64 under auto), a TorchScript module (--model) in the precision it
     * was traced in, which an explicit --dtype must match.
     */
    private DifferentiableModel open(ModelState state, NDManager manager, Precision precision) throws InputException {
        if (state instanceof MlpModel mlp) {
            return Network.upload(mlp, manager, precision.resolve(mlp));
        }
        byte[] module;
        try {
            module = Files.readAllBytes(model);
        } catch (IOException e) {
            throw new InputException(model + ": cannot read (" + e.getMessage() + ")");
        }
        try {
            return precision == Precision.AUTO ? ScriptedModel.load(module, (ScriptedParameters) state, manager)
                    : ScriptedModel.load(module, (ScriptedParameters) state, manager, precision.dataType());
        } catch (IllegalArgumentException e) {
            throw new InputException(model + " with " + params + ": " + e.getMessage());
        }
    }

    private static boolean isTorchScript(Path path) {
        try (java.io.InputStream in = Files.newInputStream(path)) {
            byte[] magic = in.readNBytes(2);
            return magic.length == 2 && magic[0] == 'P' && magic[1] == 'K';
        } catch (IOException e) {
            return false; // ModelFile.read names the problem
        }
    }

    private Set<Curvature> curvatures() {
        Set<Curvature> out = EnumSet.noneOf(Curvature.class);
        for (String s : spectra) {
            Curvature match = null;
            for (Curvature c : Curvature.values()) {
                if (c.id().equals(s.trim().toLowerCase(Locale.ROOT).replace('-', '_'))) {
                    match = c;
                }
            }
            if (match == null) {
                throw new UsageException("--spectra: unknown spectrum '" + s + "' (expected hessian, gauss_newton, residual)");
            }
            out.add(match);
        }
        if (out.isEmpty()) {
            throw new UsageException("--spectra: name at least one spectrum");
        }
        return out;
    }

    static LayerSpectraRoute route(String text) {
        switch (text) {
            case "auto":
                return LayerSpectraRoute.AUTO;
            case "dual-gram":
                return LayerSpectraRoute.DUAL_GRAM;
            case "operator":
                return LayerSpectraRoute.OPERATOR;
            default:
                throw new UsageException("--layer-spectra must be auto, dual-gram or operator, got '" + text + "'");
        }
    }
}
