package io.eoscope.curvature.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.OptimizerSnapshot;
import io.eoscope.curvature.optim.OptimizerState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Optimizer state in model and snapshot files: read back as written, and what does not fit refused with one clear line. */
class OptimizerStateFileTest {
    private static final String[] PARAMS = {"layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias"};

    private static MlpModel model(OptimizerKind kind, long step, String... buffers) {
        MlpModel m = MlpModel.initialise(new int[] {3, 4, 2}, Activation.TANH, Loss.CROSS_ENTROPY, 1);
        Map<String, String> meta = new TreeMap<>(OptimizerSettings.defaults(kind, 0.01).metadata());
        meta.put(OptimizerSettings.KEY_STEP, Long.toString(step));
        Map<String, double[]> state = new LinkedHashMap<>();
        int[] sizes = {12, 4, 8, 2};
        for (String b : buffers) {
            for (int i = 0; i < PARAMS.length; i++) {
                double[] v = new double[sizes[i]];
                for (int j = 0; j < v.length; j++) {
                    v[j] = 0.01 * (j + 1) * (i + 1);
                }
                state.put(OptimizerState.tensorName(b, PARAMS[i]), v);
            }
        }
        return m.withMetadata(meta).withOptimizerState(state);
    }

    private static SafetensorsFile file(MlpModel m, DType precision) {
        return ModelFile.toSafetensors(m, precision);
    }

    private static String refusal(SafetensorsFile f) {
        try {
            ModelFile.fromSafetensors(f, "s.safetensors");
        } catch (InputException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted");
    }

    private static SafetensorsFile with(SafetensorsFile f, String name, Tensor t, Map<String, String> meta) {
        Map<String, Tensor> tensors = new LinkedHashMap<>(f.tensors());
        if (t == null) {
            tensors.remove(name);
        } else {
            tensors.put(name, t);
        }
        return new SafetensorsFile(tensors, meta == null ? f.metadata() : meta);
    }

    @Test
    void stateTensorsRoundTripBitExactlyAndDescribeTheOptimizer() throws Exception {
        MlpModel m = model(OptimizerKind.ADAM, 7, OptimizerState.EXP_AVG, OptimizerState.EXP_AVG_SQ);
        MlpModel back = ModelFile.decode(Safetensors.encode(file(m, DType.F64)), "s");
        assertThat(back.optimizerState()).hasSize(8);
        assertThat(back.optimizerState().get("optimizer.exp_avg_sq.layer2.weight"))
                .containsExactly(m.optimizerState().get("optimizer.exp_avg_sq.layer2.weight"));
        OptimizerSnapshot o = OptimizerSnapshot.of(back);
        assertThat(o.settings().kind()).isEqualTo(OptimizerKind.ADAM);
        assertThat(o.step()).isEqualTo(7);
        assertThat(o.batchSize()).isZero();
        assertThat(file(m, DType.F32).tensors().get("optimizer.exp_avg.layer1.weight").dtype()).isEqualTo(DType.F32);
        // before the first step PyTorch keeps no state: accepted without it
        assertThat(ModelFile.fromSafetensors(file(model(OptimizerKind.ADAM, 0), DType.F32), "s").optimizerState()).isEmpty();
        // the momentum buffer is not needed for the analysis, but accepted whole
        assertThat(ModelFile.fromSafetensors(file(model(OptimizerKind.MOMENTUM, 3, OptimizerState.MOMENTUM_BUFFER), DType.F32), "s")
                .optimizerState()).hasSize(4);
        assertThat(ModelFile.fromSafetensors(file(model(OptimizerKind.MOMENTUM, 3), DType.F32), "s").optimizerState()).isEmpty();
    }

    @Test
    void stateThatDoesNotFitItsParametersOrItsOptimizerIsRefusedNamingTheTensorOrField() {
        SafetensorsFile adam = file(model(OptimizerKind.ADAM, 7, OptimizerState.EXP_AVG, OptimizerState.EXP_AVG_SQ), DType.F32);
        Tensor small = Tensor.ofDoubles(DType.F32, new long[] {2}, new double[] {1, 2});
        assertThat(refusal(with(adam, "optimizer.momentum", small, null))).startsWith(
                "s.safetensors: unexpected tensor 'optimizer.momentum' (optimizer state is named optimizer.<buffer>.<parameter>");
        assertThat(refusal(with(adam, "optimizer.exp_avg.layer9.bias", small, null)))
                .startsWith("s.safetensors: unexpected tensor 'optimizer.exp_avg.layer9.bias'");
        assertThat(refusal(with(adam, "optimizer.exp_avg.layer2.bias", Tensor.ofDoubles(DType.F32, new long[] {3}, new double[3]), null)))
                .isEqualTo("s.safetensors: tensor 'optimizer.exp_avg.layer2.bias' is F32 [3], but its parameter 'layer2.bias' is F32 [2]"
                        + " (a state tensor has its parameter's shape and dtype)");
        assertThat(refusal(with(adam, "optimizer.exp_avg.layer2.bias", Tensor.ofDoubles(DType.F64, new long[] {2}, new double[2]), null)))
                .contains("is F64 [2], but its parameter 'layer2.bias' is F32 [2]");
        assertThat(refusal(with(adam, "optimizer.exp_avg.layer2.bias", null, null))).isEqualTo(
                "s.safetensors: tensor 'optimizer.exp_avg.layer2.bias' is missing (exp_avg is given for some parameters, so it must be for all)");
        assertThat(refusal(with(adam, "optimizer.exp_avg_sq.layer1.bias", Tensor.ofDoubles(DType.F32, new long[] {4},
                new double[] {0, 1, -2, 3}), null))).isEqualTo("s.safetensors: state tensor 'optimizer.exp_avg_sq.layer1.bias' holds -2.0"
                        + " at flat index 2: a running mean of squared gradients is finite and ≥ 0");
        assertThat(refusal(with(adam, "optimizer.exp_avg_sq.layer1.bias", Tensor.ofDoubles(DType.F32, new long[] {4},
                new double[] {0, 1, Double.NaN, 3}), null))).contains("'optimizer.exp_avg_sq.layer1.bias' holds a non-finite value");
        assertThat(refusal(with(adam, "optimizer.momentum_buffer.layer1.bias", Tensor.ofDoubles(DType.F32, new long[] {4}, new double[4]),
                null))).isEqualTo("s.safetensors: tensors optimizer.momentum_buffer.* are not state of optimizer adam (it keeps exp_avg, exp_avg_sq)");
        Map<String, String> noStep = new TreeMap<>(adam.metadata());
        noStep.remove(OptimizerSettings.KEY_STEP);
        assertThat(refusal(with(adam, "x", null, noStep)))
                .isEqualTo("s.safetensors: metadata has no 'optimizer_step' (adam's bias correction needs the number of steps taken)");
        assertThat(refusal(file(model(OptimizerKind.ADAM, 7, OptimizerState.EXP_AVG), DType.F32))).startsWith(
                "s.safetensors: no tensors optimizer.exp_avg_sq.<parameter>: adam at step 7 needs exp_avg_sq of every parameter");
        assertThat(refusal(file(model(OptimizerKind.RMSPROP, 2), DType.F32))).startsWith(
                "s.safetensors: no tensors optimizer.square_avg.<parameter>: rmsprop at step 2 needs square_avg");
        Map<String, String> noOptimizer = new TreeMap<>(adam.metadata());
        noOptimizer.remove(OptimizerSettings.KEY_OPTIMIZER);
        assertThat(refusal(with(adam, "x", null, noOptimizer))).isEqualTo(
                "s.safetensors: tensor 'optimizer.exp_avg.layer1.bias' is optimizer state, but the metadata name no 'optimizer'");
        Map<String, String> badBatch = new TreeMap<>(adam.metadata());
        badBatch.put(OptimizerSnapshot.KEY_BATCH_SIZE, "0");
        assertThat(refusal(with(adam, "x", null, badBatch))).isEqualTo("s.safetensors: metadata: field 'batch_size' must be ≥ 1, got 0");
        Map<String, String> badBeta = new TreeMap<>(adam.metadata());
        badBeta.put("beta2", "1");
        assertThat(refusal(with(adam, "x", null, badBeta))).isEqualTo("s.safetensors: metadata: field 'beta2' must be in [0, 1), got 1.0");
        badBeta.put(OptimizerSettings.KEY_OPTIMIZER, "lion");
        assertThat(refusal(with(adam, "x", null, badBeta))).startsWith("s.safetensors: metadata: field 'optimizer' must be gd, momentum");
    }

    @Test
    void aPlainModelFileWithoutOptimizerOrStepSizeHasNoStabilityToJudge() throws Exception {
        MlpModel plain = MlpModel.initialise(new int[] {3, 4, 2}, Activation.TANH, Loss.CROSS_ENTROPY, 1);
        assertThat(OptimizerSnapshot.of(ModelFile.fromSafetensors(file(plain, DType.F32), "s"))).isNull();
        assertThat(OptimizerSnapshot.of(plain.withMetadata(Map.of("lr", "0.1", "solver", "exp-euler")))).isNull();
        OptimizerSnapshot gd = OptimizerSnapshot.of(plain.withMetadata(Map.of("lr", "0.1", "solver", "gd", "batch_size", "8")));
        assertThat(gd.settings()).isEqualTo(OptimizerSettings.gd(0.1));
        assertThat(gd.miniBatch(100)).isTrue();
        assertThat(gd.miniBatch(8)).isFalse();
    }
}
