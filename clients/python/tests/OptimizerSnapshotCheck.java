import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.io.SafetensorsFile;
import io.eoscope.curvature.io.Tensor;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.OptimizerState;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads snapshot files as eoscope's Java side does (run as a single source file on the launcher's class path, by
 * test_java_reads_optimizer_snapshots.py): for each file, one line: {@code ok KIND LR THRESHOLD QUANTITY STEP} when
 * {@link OptimizerSettings#fromMetadata} accepts its metadata and its state tensors are exactly those
 * {@link OptimizerState} names for its kind, each the dtype and shape of its parameter; else {@code refused MESSAGE}.
 */
public class OptimizerSnapshotCheck {
    public static void main(String[] args) {
        for (String path : args) {
            try {
                System.out.println(check(Safetensors.read(Path.of(path))));
            } catch (InputException | IllegalArgumentException e) {
                System.out.println("refused " + e.getMessage());
            }
        }
    }

    private static String check(SafetensorsFile file) {
        Map<String, String> meta = file.metadata();
        OptimizerSettings settings = OptimizerSettings.fromMetadata(meta);
        String step = meta.get(OptimizerSettings.KEY_STEP);
        if (step == null || Long.parseLong(step) < 0) {
            throw new IllegalArgumentException("field '" + OptimizerSettings.KEY_STEP + "' must be a count ≥ 0, got " + step);
        }
        Set<String> expected = new TreeSet<>();
        for (String buffer : OptimizerState.buffers(settings.kind())) {
            for (Map.Entry<String, Tensor> p : file.tensors().entrySet()) {
                if (OptimizerState.isState(p.getKey())) {
                    continue;
                }
                String name = OptimizerState.tensorName(buffer, p.getKey());
                Tensor state = file.tensors().get(name);
                if (state == null) {
                    throw new IllegalArgumentException("no tensor '" + name + "'");
                }
                if (state.dtype() != p.getValue().dtype() || !Arrays.equals(state.shape(), p.getValue().shape())) {
                    throw new IllegalArgumentException("tensor '" + name + "' is " + state.dtype() + " "
                            + Arrays.toString(state.shape()) + ", its parameter " + p.getValue().dtype() + " "
                            + Arrays.toString(p.getValue().shape()));
                }
                expected.add(name);
            }
        }
        Set<String> present = new TreeSet<>();
        file.tensors().keySet().stream().filter(OptimizerState::isState).forEach(present::add);
        if (!present.equals(expected)) {
            throw new IllegalArgumentException("state tensors " + present + ", expected " + expected);
        }
        boolean miniBatch = meta.containsKey("batch_size");
        return "ok " + settings.kind().id() + " " + settings.lr() + " " + settings.threshold() + " "
                + settings.quantity(miniBatch) + " " + step;
    }
}
