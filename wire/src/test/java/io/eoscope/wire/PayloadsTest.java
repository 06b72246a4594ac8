package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** Snapshots keyed by run, datasets addressed by their content on the compacted topic, and checked against it. */
class PayloadsTest {
    private final Topics topics = new Topics("t.");

    @Test
    void aSnapshotIsChunkedOnTheSnapshotsTopicUnderItsRun() {
        List<ProducerRecord<String, byte[]>> records = Payloads.snapshot(topics, "r1", 20, new byte[ChunkCodec.CHUNK_BYTES + 1]);
        assertThat(records).hasSize(2).allSatisfy(r -> {
            assertThat(r.topic()).isEqualTo("t.snapshots");
            assertThat(r.key()).isEqualTo("r1");
            assertThat(new String(r.headers().lastHeader(ChunkCodec.PAYLOAD).value(), StandardCharsets.UTF_8)).isEqualTo("r1@20");
        });
    }

    @Test
    void aDatasetIsKeyedByTheSha256OfItsContentOneKeyPerChunk() throws Exception {
        byte[] bytes = "abc".getBytes(StandardCharsets.US_ASCII);
        Payloads.Addressed d = Payloads.Addressed.of(bytes);
        // SHA-256("abc"), FIPS 180-2 appendix B.1
        assertThat(d.hash()).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        List<ProducerRecord<String, byte[]>> records = Payloads.dataset(topics, d);
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.topic()).isEqualTo("t.datasets");
            assertThat(r.key()).isEqualTo(d.hash() + "#0/1");
            assertThat(r.partition()).isZero();
        });
        assertThat(Payloads.checked("dataset", d.hash(), bytes)).isSameAs(bytes);
    }

    @Test
    void contentThatDoesNotMatchItsHashIsRefusedWithTheHash() {
        String hash = Payloads.Addressed.of(new byte[] {1, 2, 3}).hash();
        assertThatThrownBy(() -> Payloads.checked("module", hash, new byte[] {1, 2, 4}))
                .isInstanceOf(MalformedRecordException.class)
                .hasMessage("module " + hash + ": content does not match its hash");
    }
}
