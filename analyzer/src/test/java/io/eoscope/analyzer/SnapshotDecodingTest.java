package io.eoscope.analyzer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.wire.ChunkAssembler;
import io.eoscope.wire.MalformedRecordException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Finding 14: a snapshot with step -7, time "NaN" or lr "-1" was analysed, and its metrics record then refused (or
 * served). The analyzer's decoding applies the wire's rules, so such a snapshot is dead-lettered before any analysis.
 */
class SnapshotDecodingTest {
    static ChunkAssembler.Payload snapshot(String id, Map<String, String> changes) {
        Map<String, String> meta = new HashMap<>(Map.of("run", "r1", "step", "20", "time", "0.8", "dataset", "abc", "solver", "gd",
                "lr", "0.05"));
        meta.putAll(changes);
        MlpModel m = MlpModel.initialise(new int[] {2, 3, 2}, Activation.ELU, Loss.MSE, 1);
        byte[] bytes = ModelFile.encode(m.withMetadata(meta), DType.F32);
        return new ChunkAssembler.Payload("r1", id, bytes, 0, 0, 0);
    }

    @Test
    void aSnapshotThatBreaksAFieldRuleIsRefusedWithTheFieldsName() throws Exception {
        assertThat(PayloadDecoder.snapshot(snapshot("r1@20", Map.of())).metadata()).containsEntry("step", "20");
        assertThatThrownBy(() -> PayloadDecoder.snapshot(snapshot("r1@-7", Map.of("step", "-7")))).isInstanceOf(MalformedRecordException.class)
                .hasMessage("snapshot r1@-7: metadata field 'step' must be a step in 0..9007199254740991, got -7");
        assertThatThrownBy(() -> PayloadDecoder.snapshot(snapshot("r1@20", Map.of("time", "NaN"))))
                .hasMessage("snapshot r1@20: metadata field 'time' must be a finite decimal number, got 'NaN'");
        assertThatThrownBy(() -> PayloadDecoder.snapshot(snapshot("r1@20", Map.of("lr", "-1"))))
                .hasMessageStartingWith("snapshot r1@20: metadata field 'lr' must be a step size");
        assertThatThrownBy(() -> PayloadDecoder.snapshot(snapshot("r1@21", Map.of())))
                .hasMessage("snapshot r1@21: metadata says run r1 step 20 but the payload is r1@21");
    }
}
