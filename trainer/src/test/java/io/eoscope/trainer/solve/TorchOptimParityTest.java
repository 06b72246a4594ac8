package io.eoscope.trainer.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.io.SafetensorsFile;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.Init;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSettings;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's update rules are PyTorch's: for every optimizer, with two hyper-parameter sets each (one full-batch,
 * one mini-batch), 50 steps of the Java {@link Trainer} and 50 steps of {@code torch.optim} (run by
 * {@code src/test/resources/optim/torch_optim.py} in a python3 subprocess) from the same initial parameters and data,
 * in float64, give the same parameters after every step and the same optimizer state after the last: relative error
 * ‖θ_java − θ_torch‖∞ / ‖θ_torch‖∞ ≤ 1e-10 at every step (each buffer likewise, against its own ∞-norm). Mini-batch
 * cases use the batches the Java side drew ({@link BatchOrder}), written into the case for PyTorch to read, with N = 12
 * not a multiple of B. Each case also moves θ by far more than the tolerance, so that equality is not trivial.
 */
@Tag("integration")
class TorchOptimParityTest {
    private static final int STEPS = 50;
    private static final int N = 12;
    private static final double TOLERANCE = 1e-10;

    @TempDir
    Path dir;

    /** One case: the rule and its settings, a batch size (null: full batch), the activation and the loss. */
    private record Case(String name, OptimizerSettings settings, Integer batchSize, Activation activation, Loss loss) {}

    private static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("gd-full", OptimizerSettings.gd(0.1), null, Activation.TANH, Loss.MSE));
        c.add(new Case("gd-batch5", OptimizerSettings.gd(0.3), 5, Activation.ELU, Loss.CROSS_ENTROPY));
        c.add(new Case("momentum-full", settings(OptimizerKind.MOMENTUM, 0.05, 0.9, 0, 0, 1, 0), null, Activation.ELU,
                Loss.MSE));
        c.add(new Case("momentum-batch5", settings(OptimizerKind.MOMENTUM, 0.1, 0.5, 0, 0, 1, 0), 5, Activation.TANH,
                Loss.CROSS_ENTROPY));
        c.add(new Case("nesterov-full", settings(OptimizerKind.NESTEROV, 0.05, 0.9, 0, 0, 1, 0), null, Activation.TANH,
                Loss.CROSS_ENTROPY));
        c.add(new Case("nesterov-batch4", settings(OptimizerKind.NESTEROV, 0.02, 0.7, 0, 0, 1, 0), 4, Activation.ELU,
                Loss.MSE));
        c.add(new Case("rmsprop-full", settings(OptimizerKind.RMSPROP, 1e-3, 0, 0, 0.99, 1e-8, 0), null, Activation.ELU,
                Loss.CROSS_ENTROPY));
        c.add(new Case("rmsprop-batch5", settings(OptimizerKind.RMSPROP, 3e-3, 0, 0, 0.9, 1e-6, 0), 5, Activation.TANH,
                Loss.MSE));
        c.add(new Case("adam-full", OptimizerSettings.defaults(OptimizerKind.ADAM, 1e-2), null, Activation.TANH, Loss.MSE));
        c.add(new Case("adam-batch5", settings(OptimizerKind.ADAM, 3e-3, 0, 0.8, 0.99, 1e-6, 0), 5, Activation.ELU,
                Loss.CROSS_ENTROPY));
        c.add(new Case("adamw-full", OptimizerSettings.defaults(OptimizerKind.ADAMW, 1e-2), null, Activation.ELU,
                Loss.CROSS_ENTROPY));
        c.add(new Case("adamw-batch7", settings(OptimizerKind.ADAMW, 5e-3, 0, 0.5, 0.9, 1e-7, 0.1), 7, Activation.TANH,
                Loss.MSE));
        return c;
    }

    private static OptimizerSettings settings(OptimizerKind kind, double lr, double momentum, double beta1, double beta2,
            double eps, double weightDecay) {
        OptimizerSettings d = OptimizerSettings.defaults(kind, lr);
        return new OptimizerSettings(kind, lr, momentum, kind == OptimizerKind.ADAM || kind == OptimizerKind.ADAMW ? beta1
                : d.beta1(), kind.adaptive() ? beta2 : d.beta2(), eps, weightDecay);
    }

    @Test
    void fiftyStepsEqualTorchOptimForEveryOptimizer() throws Exception {
        String python = Python.withTorch();
        LabeledData data = data();
        Map<Case, double[][]> javaTheta = new LinkedHashMap<>();
        Map<Case, Map<String, double[]>> javaState = new LinkedHashMap<>();
        for (Case c : cases()) {
            Path caseDir = Files.createDirectories(dir.resolve(c.name()));
            MlpModel model = MlpModel.initialise(new int[] {5, 7, 6, 3}, c.activation(), c.loss(), Init.PYTORCH, 11);
            ModelFile.write(caseDir.resolve("model.safetensors"), model, DType.F64);
            DatasetFile.write(caseDir.resolve("data.safetensors"), data, DType.F64);
            BatchOrder order = c.batchSize() == null ? null : new BatchOrder(N, c.batchSize(), 5);
            List<int[]> batches = new ArrayList<>();
            double[][] theta = new double[STEPS + 1][];
            try (NDManager m = NDManager.newBaseManager(Device.cpu());
                    DeviceData dev = DeviceData.upload(data, 3, m, DataType.FLOAT64, N);
                    Trainer t = new Trainer(model, dev, m, DataType.FLOAT64,
                            new SolverSettings(SolverKind.GD, c.settings().lr(), 0.01, 0, 1, 1e-4, 0, 0), 0, 0, null,
                            new OptimizerStep(c.settings(), m, 0, Map.of()), order)) {
                theta[0] = flat(t.model());
                for (int u = 0; u < STEPS; u++) {
                    if (order != null) {
                        batches.add(order.batch(u)); // the batch this step draws, for PyTorch to use
                    }
                    StepRecord r = t.step();
                    assertThat(r.epoch()).isEqualTo(order == null ? -1 : u / order.batchesPerEpoch());
                    theta[u + 1] = flat(t.model());
                }
                Map<String, double[]> state = new LinkedHashMap<>();
                t.optimizer().buffers().forEach((name, b) -> state.put(name, HostArrays.download(b)));
                assertThat(t.optimizer().steps()).isEqualTo(STEPS);
                javaState.put(c, state);
            }
            javaTheta.put(c, theta);
            Map<String, Object> json = new LinkedHashMap<>();
            OptimizerSettings s = c.settings();
            json.put("optimizer", s.kind().id());
            json.put("lr", s.lr());
            json.put("momentum", s.momentum());
            json.put("beta1", s.beta1());
            json.put("beta2", s.beta2());
            json.put("eps", s.eps());
            json.put("weight_decay", s.weightDecay());
            json.put("steps", STEPS);
            json.put("batches", order == null ? null : batches);
            Files.writeString(caseDir.resolve("case.json"), new Gson().newBuilder().serializeNulls().create().toJson(json));
        }

        Python.run(python, script(), dir);

        for (Case c : cases()) {
            SafetensorsFile torch = Safetensors.read(dir.resolve(c.name()).resolve("torch.safetensors"));
            double[] all = torch.tensors().get("theta").toDoubles();
            double[][] ours = javaTheta.get(c);
            int p = ours[0].length;
            assertThat(all).as(c.name()).hasSize((STEPS + 1) * p);
            for (int u = 0; u <= STEPS; u++) {
                double[] expected = Arrays.copyOfRange(all, u * p, (u + 1) * p);
                assertThat(relativeError(ours[u], expected)).as("%s: θ after step %d, relative to PyTorch's", c.name(), u)
                        .isLessThanOrEqualTo(TOLERANCE);
            }
            // not trivially equal: θ moved by far more than the tolerance
            assertThat(relativeError(ours[STEPS], ours[0])).as(c.name() + ": θ moved").isGreaterThan(1e-3);
            Map<String, double[]> state = javaState.get(c);
            assertThat(state.keySet()).as(c.name()).containsExactlyElementsOf(
                    io.eoscope.curvature.optim.OptimizerState.buffers(c.settings().kind()));
            for (Map.Entry<String, double[]> e : state.entrySet()) {
                double[] expected = torch.tensors().get("state." + e.getKey()).toDoubles();
                assertThat(relativeError(e.getValue(), expected)).as("%s: %s after %d steps", c.name(), e.getKey(), STEPS)
                        .isLessThanOrEqualTo(TOLERANCE);
            }
            if (c.settings().kind().adaptive()) {
                assertThat(torch.tensors().get("step").toDoubles()).as(c.name()).containsExactly(STEPS);
            }
        }
    }

    @Test
    void theComparisonSeesADifferentRule() throws Exception {
        // the same check fails when the rules differ only a little: Adam against AdamW with λ 1e-4 (whose effect on θ is
        // of the order η·λ·θ per step, 1e-6 relative), so a tolerance of 1e-10 discriminates
        String python = Python.withTorch();
        LabeledData data = data();
        MlpModel model = MlpModel.initialise(new int[] {5, 7, 6, 3}, Activation.TANH, Loss.MSE, Init.PYTORCH, 11);
        Path caseDir = Files.createDirectories(dir.resolve("adamw-tiny"));
        ModelFile.write(caseDir.resolve("model.safetensors"), model, DType.F64);
        DatasetFile.write(caseDir.resolve("data.safetensors"), data, DType.F64);
        OptimizerSettings adam = OptimizerSettings.defaults(OptimizerKind.ADAM, 1e-2);
        double[] last;
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DeviceData dev = DeviceData.upload(data, 3, m, DataType.FLOAT64, N);
                Trainer t = new Trainer(model, dev, m, DataType.FLOAT64,
                        new SolverSettings(SolverKind.GD, 1e-2, 0.01, 0, 1, 1e-4, 0, 0), 0, 0, null,
                        new OptimizerStep(adam, m, 0, Map.of()), null)) {
            for (int u = 0; u < STEPS; u++) {
                t.step();
            }
            last = flat(t.model());
        }
        Files.writeString(caseDir.resolve("case.json"), "{\"optimizer\": \"adamw\", \"lr\": 0.01, \"beta1\": 0.9,"
                + " \"beta2\": 0.999, \"eps\": 1e-8, \"weight_decay\": 1e-4, \"steps\": 50, \"batches\": null}",
                StandardCharsets.UTF_8);
        Python.run(python, script(), dir);
        double[] all = Safetensors.read(caseDir.resolve("torch.safetensors")).tensors().get("theta").toDoubles();
        double[] torchLast = Arrays.copyOfRange(all, STEPS * last.length, (STEPS + 1) * last.length);
        assertThat(relativeError(last, torchLast)).isGreaterThan(100 * TOLERANCE);
    }

    /** ‖a − b‖∞ / ‖b‖∞. */
    static double relativeError(double[] a, double[] b) {
        assertThat(a).hasSameSizeAs(b);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            norm = Math.max(norm, Math.abs(b[i]));
        }
        return diff / norm;
    }

    /** 12 samples of 5 standard normal features and labels 0, 1, 2 (each class 4 times). */
    private static LabeledData data() {
        Random random = new Random(3);
        double[] x = new double[N * 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextGaussian();
        }
        int[] y = new int[N];
        for (int i = 0; i < N; i++) {
            y[i] = i % 3;
        }
        return new LabeledData(N, 5, x, y);
    }

    /** θ in the trainer's order: layer1.weight, layer1.bias, layer2.weight, … */
    static double[] flat(MlpModel model) {
        double[] out = new double[Math.toIntExact(model.parameterCount())];
        int at = 0;
        for (int l = 0; l < model.layers(); l++) {
            for (double[] part : new double[][] {model.weights().get(l), model.biases().get(l)}) {
                System.arraycopy(part, 0, out, at, part.length);
                at += part.length;
            }
        }
        return out;
    }

    private static Path script() throws URISyntaxException {
        return Path.of(TorchOptimParityTest.class.getResource("/optim/torch_optim.py").toURI());
    }

    /** Finds and runs a python3 that has PyTorch. */
    static final class Python {
        private Python() {}

        /**
         * The first of /usr/bin/python3 (Debian's, with python3-torch) and python3 on the PATH that imports torch and
         * numpy; without one the test is skipped saying so, unless EOS_REQUIRE_TOOLS is set (as .ci/run does), where it
         * fails.
         */
        static String withTorch() throws IOException, InterruptedException {
            for (String candidate : new String[] {"/usr/bin/python3", "python3"}) {
                try {
                    Process p = new ProcessBuilder(candidate, "-c", "import torch, numpy").redirectErrorStream(true).start();
                    p.getInputStream().readAllBytes();
                    if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                        return candidate;
                    }
                    p.destroyForcibly();
                } catch (IOException e) {
                    // not installed: try the next
                }
            }
            assumeTrue(System.getenv("EOS_REQUIRE_TOOLS") != null,
                    "no python3 with torch and numpy (Debian: apt-get install python3-torch python3-numpy)");
            throw new AssertionError("EOS_REQUIRE_TOOLS is set but no python3 imports torch and numpy");
        }

        /** Runs {@code script dir} with a 300 s limit; fails with its output when it fails. */
        static void run(String python, Path script, Path dir) throws IOException, InterruptedException {
            Path log = dir.resolve("python.log");
            Process p = new ProcessBuilder(python, script.toString(), dir.toString()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("torch_optim.py took more than 300 s: " + Files.readString(log));
            }
            assertThat(p.exitValue()).as(Files.readString(log)).isZero();
        }
    }
}
