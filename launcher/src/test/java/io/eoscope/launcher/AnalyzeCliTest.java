package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.io.SafetensorsFile;
import io.eoscope.curvature.io.Tensor;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eos analyze} through the command line, in this JVM ({@link EosCli}): its exit status, stdout and
 * stderr. Good input prints the JSON of docs/contracts.md#eos-analyze-json; every bad input exits 2 with one line on
 * stderr that names the file or option, nothing on stdout and no stack trace. (The real process:
 * {@link EosProcessSmokeTest}.)
 */
class AnalyzeCliTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path data;

    @BeforeAll
    static void writeGoodFiles() throws Exception {
        model = dir.resolve("model.safetensors");
        data = dir.resolve("data.safetensors");
        ModelFile.write(model, MlpModel.initialise(new int[] {3, 5, 2}, Activation.ELU, Loss.CROSS_ENTROPY, 1), DType.F32);
        Random r = new Random(2);
        double[] x = new double[8 * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        DatasetFile.write(data, new LabeledData(8, 3, x, new int[] {0, 1, 0, 1, 1, 0, 0, 1}), DType.F32);
    }

    @Test
    void goodInputPrintsTheContractJson() throws Exception {
        EosProcess.Result r = run("analyze", "--model", model.toString(), "--data", data.toString(), "--top-k", "2", "--dtype", "float32");
        assertThat(r.status()).as(r.err()).isZero();
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        for (String key : new String[] {"loss", "n", "classes", "parameters", "hessian", "gauss_newton", "residual",
            "rho_K", "K_max_sq_mean", "layers"}) {
            assertThat(o.has(key)).as(key).isTrue();
        }
        assertThat(o.get("n").getAsInt()).isEqualTo(8);
        assertThat(o.get("parameters").getAsInt()).isEqualTo(3 * 5 + 5 + 5 * 2 + 2);
        assertThat(o.getAsJsonObject("hessian").getAsJsonArray("eigenvalues")).hasSize(2);
        assertThat(o.getAsJsonArray("layers")).hasSize(2);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("reference cycle");
    }

    /**
     * A model file with its optimizer (docs/contracts.md#model-files): Adam's state gives the preconditioned sharpness
     * against (2+2β1)/((1−β1)η); a mini-batch GD file gives the batch sharpness with its interval; state that does not
     * fit is refused with one line, and so is a batch larger than the dataset.
     */
    @Test
    void aModelFileWithItsOptimizerIsJudgedAgainstItsOwnEdge() throws Exception {
        MlpModel base = ModelFile.read(model);
        Map<String, String> meta = new java.util.TreeMap<>(base.metadata());
        meta.putAll(io.eoscope.curvature.optim.OptimizerSettings.defaults(io.eoscope.curvature.optim.OptimizerKind.ADAM, 0.002).metadata());
        meta.put("optimizer_step", "12");
        Map<String, double[]> state = new LinkedHashMap<>();
        int[] sizes = {15, 5, 10, 2};
        String[] names = {"layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias"};
        for (int i = 0; i < names.length; i++) {
            double[] v = new double[sizes[i]];
            java.util.Arrays.fill(v, 1e-4 * (i + 1));
            state.put("optimizer.exp_avg_sq." + names[i], v);
        }
        Path adam = dir.resolve("adam.safetensors");
        ModelFile.write(adam, base.withMetadata(meta).withOptimizerState(state), DType.F32);
        EosProcess.Result r = run("analyze", "--model", adam.toString(), "--data", data.toString(), "--quiet", "--no-layerwise");
        assertThat(r.status()).as(r.err()).isZero();
        JsonObject s = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonObject("stability");
        assertThat(s.get("optimizer").getAsString()).isEqualTo("adam");
        assertThat(s.get("quantity").getAsString()).isEqualTo("preconditioned_sharpness");
        assertThat(s.get("threshold").getAsDouble()).isCloseTo(38 / 0.002, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(s.get("formula").getAsString()).isEqualTo("(2+2β1)/((1−β1)η)");
        assertThat(s.get("ratio").getAsDouble()).isEqualTo(s.get("value").getAsDouble() / s.get("threshold").getAsDouble());
        assertThat(s.get("value").getAsDouble()).isPositive();

        Path batch = dir.resolve("batch.safetensors");
        ModelFile.write(batch, base.withMetadata(Map.of("lr", "0.1", "batch_size", "4")), DType.F32);
        r = run("analyze", "--model", batch.toString(), "--data", data.toString(), "--quiet", "--no-layerwise", "--batch-tol", "0.3");
        assertThat(r.status()).as(r.err()).isZero();
        s = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonObject("stability");
        assertThat(s.get("quantity").getAsString()).isEqualTo("batch_sharpness");
        assertThat(s.getAsJsonArray("interval")).hasSize(2);
        assertThat(s.get("batches").getAsLong()).isBetween(10L, 500L);

        Path tooBig = dir.resolve("too-big.safetensors");
        ModelFile.write(tooBig, base.withMetadata(Map.of("lr", "0.1", "batch_size", "9")), DType.F32);
        bad(new String[] {"--model", tooBig.toString(), "--data", data.toString()}, "metadata 'batch_size' is 9, more than the 8 samples");
        Map<String, double[]> partial = new LinkedHashMap<>(state);
        partial.remove("optimizer.exp_avg_sq.layer2.bias");
        Path missing = dir.resolve("partial.safetensors");
        ModelFile.write(missing, base.withMetadata(meta).withOptimizerState(partial), DType.F32);
        bad(new String[] {"--model", missing.toString(), "--data", data.toString()},
                "tensor 'optimizer.exp_avg_sq.layer2.bias' is missing (exp_avg_sq is given for some parameters, so it must be for all)");
        bad(new String[] {"--model", adam.toString(), "--data", data.toString(), "--batch-tol", "0"}, "--batch-tol must be in (0, 1)");
        bad(new String[] {"--model", adam.toString(), "--data", data.toString(), "--max-batches", "5"}, "--max-batches must be in 10..");
    }

    /**
     * A TorchScript module (a traced CNN, from the curvature module's fixtures) with a snapshot's parameters:
     * the spectra, each layer's Gauss-Newton top under {@code groups}, no MLP factors; and the refusals.
     */
    @Test
    void aTorchScriptModuleWithItsParametersIsAnalysedAndMisfitsAreRefused() throws Exception {
        Path fixtures = Path.of("..", "curvature", "src", "test", "resources", "torchscript").toAbsolutePath().normalize();
        String pt = fixtures.resolve("cnn.pt").toString();
        String params = fixtures.resolve("cnn.safetensors").toString();
        String cnnData = fixtures.resolve("cnn-data.safetensors").toString();
        EosProcess.Result r = run("analyze", "--model", pt, "--params", params, "--data", cnnData, "--tol", "1e-9", "--quiet");
        assertThat(r.status()).as(r.err()).isZero();
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertThat(o.get("model").getAsString()).isEqualTo("torchscript");
        assertThat(o.get("parameters").getAsInt()).isEqualTo(311);
        assertThat(o.has("layers")).isFalse();
        assertThat(o.getAsJsonArray("groups")).hasSize(3);
        // the dense float64 eigenvalue of PyTorch's Hessian (make_fixtures.py): 1.47306421
        assertThat(o.getAsJsonObject("hessian").getAsJsonArray("eigenvalues").get(0).getAsDouble())
                .isCloseTo(1.47306421, org.assertj.core.data.Offset.offset(1e-7));
        bad(new String[] {"--model", pt, "--data", cnnData}, "is a TorchScript module (a zip archive): give its parameters with --params");
        bad(new String[] {"--model", pt, "--params", model.toString(), "--data", cnnData}, "metadata 'format' is");
        bad(new String[] {"--model", pt, "--params", params, "--data", data.toString()},
                "inputs have width 3, which does not match the model's input (torchscript [3, 8, 8] → 3, 311 parameters, d = 192)");
        bad(new String[] {"--model", model.toString(), "--params", params, "--data", cnnData},
                "the TorchScript module cannot be loaded");
        assertThat(o.get("dtype").getAsString()).as("auto: the precision the module was traced in").isEqualTo("float64");
        assertThat(o.get("peak_rss_mb").getAsLong()).isPositive();

        String pt32 = fixtures.resolve("cnn-float32.pt").toString();
        EosProcess.Result f32 = run("analyze", "--model", pt32, "--params", params, "--data", cnnData, "--quiet");
        assertThat(f32.status()).as(f32.err()).isZero();
        JsonObject o32 = JsonParser.parseString(f32.out()).getAsJsonObject();
        assertThat(o32.get("dtype").getAsString()).isEqualTo("float32");
        assertThat(o32.getAsJsonObject("hessian").getAsJsonArray("eigenvalues").get(0).getAsDouble())
                .isCloseTo(1.47306421, org.assertj.core.data.Offset.offset(1e-4 * 1.47306421));
        bad(new String[] {"--model", pt32, "--params", params, "--data", cnnData, "--dtype", "float64"},
                "the module was traced in float32 but the analysis precision is float64");
        bad(new String[] {"--model", pt, "--params", params, "--data", cnnData, "--analysis-dtype", "float32"},
                "the module was traced in float64 but the analysis precision is float32");
    }

    /**
     * {@code --density --trace}: the density of 𝓗 and G and the traces, for an MLP (tr(G) exact, per layer) and for a
     * TorchScript module (tr(G) and each group's by Hutch++); bad values refused naming the option.
     */
    @Test
    void theDensityAndTheTracesOfOneFile() throws Exception {
        EosProcess.Result r = run("analyze", "--model", model.toString(), "--data", data.toString(), "--quiet", "--no-layerwise",
                "--density", "--density-probes", "3", "--density-steps", "12", "--trace", "--trace-products", "12");
        assertThat(r.status()).as(r.err()).isZero();
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        JsonObject density = o.getAsJsonObject("density").getAsJsonObject("hessian");
        assertThat(density.get("probes").getAsInt()).isEqualTo(3);
        assertThat(density.get("products").getAsLong()).isBetween(1L, 36L);
        assertThat(density.getAsJsonArray("curve")).hasSize(141);
        assertThat(o.getAsJsonObject("density").has("gauss_newton")).isTrue();
        JsonObject trace = o.getAsJsonObject("trace");
        assertThat(trace.getAsJsonObject("hessian").get("method").getAsString()).isEqualTo("hutch++");
        assertThat(trace.getAsJsonObject("hessian").get("products").getAsLong()).isEqualTo(12);
        assertThat(trace.getAsJsonObject("gauss_newton").get("method").getAsString()).isEqualTo("exact");
        assertThat(trace.getAsJsonArray("gauss_newton_layers")).hasSize(2);
        assertThat(o.getAsJsonObject("hessian").getAsJsonArray("residual_bounds")).hasSize(1);

        Path fixtures = Path.of("..", "curvature", "src", "test", "resources", "torchscript").toAbsolutePath().normalize();
        EosProcess.Result cnn = run("analyze", "--model", fixtures.resolve("cnn.pt").toString(), "--params",
                fixtures.resolve("cnn.safetensors").toString(), "--data", fixtures.resolve("cnn-data.safetensors").toString(),
                "--quiet", "--no-layerwise", "--spectra", "hessian,gauss_newton", "--density", "--density-probes", "2",
                "--density-steps", "8", "--trace", "--trace-products", "9");
        assertThat(cnn.status()).as(cnn.err()).isZero();
        JsonObject c = JsonParser.parseString(cnn.out()).getAsJsonObject();
        assertThat(c.getAsJsonObject("density").keySet()).containsExactly("hessian", "gauss_newton");
        JsonObject g = c.getAsJsonObject("trace").getAsJsonObject("gauss_newton");
        assertThat(g.get("method").getAsString()).isEqualTo("hutch++");
        assertThat(c.getAsJsonObject("trace").getAsJsonArray("gauss_newton_layers")).hasSize(3)
                .allSatisfy(l -> assertThat(l.getAsJsonObject().has("group")).isTrue());

        bad(new String[] {"--model", model.toString(), "--data", data.toString(), "--density", "--density-probes", "0"},
                "--density-probes must be in [1, 1000], got 0");
        bad(new String[] {"--model", model.toString(), "--data", data.toString(), "--trace", "--trace-products", "3"},
                "--trace-products must be in [6, 3000], got 3");
    }

    /**
     * A single affine layer has H = 0 exactly: the residual spectrum has no top eigenvalue, so the
     * analysis is an error (exit 1, one line naming the spectrum and the reason) and the JSON says
     * {@code "converged": false} with the failure, and no eigenvalue, while the other spectra are verified.
     */
    @Test
    void aSpectrumThatCannotBeComputedIsAnErrorNotANumber() throws Exception {
        Path affine = dir.resolve("affine.safetensors");
        ModelFile.write(affine, MlpModel.initialise(new int[] {3, 2}, Activation.ELU, Loss.MSE, 3), DType.F64);
        EosProcess.Result r = run("analyze", "--model", affine.toString(), "--data", data.toString(), "--quiet");
        assertThat(r.status()).as(r.err()).isEqualTo(1);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).startsWith("eos analyze: residual spectrum: the operator is exactly zero on every vector tried")
                .doesNotContain("Exception");
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        JsonObject residual = o.getAsJsonObject("residual");
        assertThat(residual.get("converged").getAsBoolean()).isFalse();
        assertThat(residual.get("failure").getAsString()).contains("exactly zero");
        assertThat(residual.getAsJsonArray("eigenvalues").get(0).isJsonNull()).isTrue();
        JsonObject hessian = o.getAsJsonObject("hessian");
        assertThat(hessian.get("converged").getAsBoolean()).isTrue();
        assertThat(hessian.has("failure")).isFalse();
        assertThat(hessian.getAsJsonArray("verified_residuals").get(0).getAsDouble()).isLessThan(2e-2);
    }

    @Test
    void everyBadInputExitsTwoWithOneLineNamingTheProblem() throws Exception {
        byte[] good = Files.readAllBytes(model);
        Path truncated = write("truncated.safetensors", Arrays.copyOf(good, good.length - 10));
        byte[] noise = new byte[2000];
        new Random(5).nextBytes(noise);
        Path random = write("random.safetensors", noise);
        byte[] absurd = good.clone();
        ByteBuffer.wrap(absurd).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Path absurdHeader = write("absurd.safetensors", absurd);
        SafetensorsFile file = Safetensors.read(model);
        Path missing = tensors("missing-tensor.safetensors", file, "layer2.bias", null, file.metadata());
        Path extra = tensors("extra-tensor.safetensors", file, "optimizer.momentum",
                Tensor.ofDoubles(DType.F32, new long[] {2, 2}, new double[4]), file.metadata());
        Path shapes = tensors("shapes.safetensors", file, "layer2.weight",
                Tensor.ofDoubles(DType.F32, new long[] {2, 4}, new double[8]), file.metadata());
        Path nonFinite = tensors("nan.safetensors", file, "layer1.bias",
                Tensor.ofDoubles(DType.F32, new long[] {5}, new double[] {0, 0, Double.NaN, 0, 0}), file.metadata());
        Path activation = tensors("act.safetensors", file, null, null, Map.of("activation", "sigmoid", "loss", "mse"));
        Path loss = tensors("loss.safetensors", file, null, null, Map.of("activation", "elu", "loss", "hinge"));
        Path labels = dir.resolve("labels.safetensors");
        DatasetFile.write(labels, new LabeledData(2, 3, new double[6], new int[] {0, 2}), DType.F32);
        Path width = dir.resolve("width.safetensors");
        DatasetFile.write(width, new LabeledData(2, 4, new double[8], new int[] {0, 1}), DType.F32);

        bad(new String[] {"--model", dir.resolve("nope.safetensors").toString(), "--data", data.toString()}, "nope.safetensors: no such file");
        bad(new String[] {"--model", truncated.toString(), "--data", data.toString()}, "truncated.safetensors: ");
        bad(new String[] {"--model", random.toString(), "--data", data.toString()}, "random.safetensors: not a safetensors file");
        bad(new String[] {"--model", absurdHeader.toString(), "--data", data.toString()}, "header length 1099511627776");
        bad(new String[] {"--model", missing.toString(), "--data", data.toString()}, "'layer2.bias' is missing");
        bad(new String[] {"--model", extra.toString(), "--data", data.toString()}, "unexpected tensor 'optimizer.momentum'");
        bad(new String[] {"--model", shapes.toString(), "--data", data.toString()}, "layer1 outputs 5");
        bad(new String[] {"--model", nonFinite.toString(), "--data", data.toString()}, "'layer1.bias' holds a non-finite value");
        bad(new String[] {"--model", activation.toString(), "--data", data.toString()}, "unknown activation 'sigmoid'");
        bad(new String[] {"--model", loss.toString(), "--data", data.toString()}, "unknown loss 'hinge'");
        bad(new String[] {"--model", model.toString(), "--data", labels.toString()}, "labels.safetensors: label y[1] = 2 is outside 0..1");
        bad(new String[] {"--model", model.toString(), "--data", width.toString()}, "width.safetensors: inputs have width 4");
        bad(new String[] {"--model", model.toString(), "--data", model.toString()}, "no tensor 'x'");
        bad(new String[] {"--model", model.toString(), "--data", data.toString(), "--dtype", "float16"}, "--dtype must be auto, float32 or float64");
        bad(new String[] {"--model", model.toString(), "--data", data.toString(), "--top-k", "0"}, "--top-k must be at least 1");
        bad(new String[] {"--model", model.toString(), "--data", data.toString(), "--tol", "2"}, "--tol must be in (0, 1)");
        bad(new String[] {"--model", model.toString(), "--data", data.toString(), "--device", "tpu"}, "--device must be auto, cpu or gpu");
        bad(new String[] {"--model", model.toString()}, "Missing required option: '--data=D'");
    }

    @Test
    void helpIsThereForEveryCommand() throws Exception {
        EosProcess.Result top = run("--help");
        assertThat(top.status()).isZero();
        assertThat(top.out()).contains("analyze");
        EosProcess.Result analyze = run("analyze", "--help");
        assertThat(analyze.status()).isZero();
        assertThat(analyze.out()).contains("--model", "--data", "--top-k", "--tol", "--dtype", "--device");
    }

    private static void bad(String[] options, String phrase) throws Exception {
        List<String> args = new ArrayList<>(List.of("analyze"));
        args.addAll(List.of(options));
        EosProcess.Result r = run(args.toArray(new String[0]));
        assertThat(r.status()).as("exit status for %s; stderr: %s", phrase, r.err()).isEqualTo(2);
        assertThat(r.out()).as("stdout for %s", phrase).isEmpty();
        assertThat(r.err().strip().lines().count()).as("stderr lines: %s", r.err()).isEqualTo(1);
        assertThat(r.err()).contains(phrase).startsWith("eos analyze: ").doesNotContain("Exception").doesNotContain("\tat ");
    }

    private static Path write(String name, byte[] bytes) throws Exception {
        return Files.write(dir.resolve(name), bytes);
    }

    private static Path tensors(String name, SafetensorsFile base, String key, Tensor value, Map<String, String> meta)
            throws Exception {
        Map<String, Tensor> t = new LinkedHashMap<>(base.tensors());
        if (key != null) {
            if (value == null) {
                t.remove(key);
            } else {
                t.put(key, value);
            }
        }
        Path p = dir.resolve(name);
        Safetensors.write(p, new SafetensorsFile(t, meta));
        return p;
    }

    private static EosProcess.Result run(String... args) {
        return EosCli.run(args);
    }
}
