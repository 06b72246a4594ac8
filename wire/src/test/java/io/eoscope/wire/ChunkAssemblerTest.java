package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** Chunk reassembly within its bounds: every payload given up is reported once, with the reason. */
class ChunkAssemblerTest {
    private static final long MINUTE = 60_000;
    private long offset;

    /** The encoded records of a payload as a consumer would see them, at {@code timestamp}. */
    private List<ConsumerRecord<String, byte[]>> consumed(List<ProducerRecord<String, byte[]>> records, int partition, long timestamp) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        for (ProducerRecord<String, byte[]> r : records) {
            out.add(new ConsumerRecord<>(r.topic(), partition, offset++, timestamp, TimestampType.CREATE_TIME, -1, r.value().length,
                    r.key(), r.value(), r.headers(), Optional.empty()));
        }
        return out;
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void interleavedPayloadsAreReassembledExactly() throws Exception {
        ChunkAssembler a = new ChunkAssembler(8, 64L << 20, 2 * MINUTE);
        byte[] p1 = bytes(3 * ChunkCodec.CHUNK_BYTES + 17, 1);
        byte[] p2 = bytes(2 * ChunkCodec.CHUNK_BYTES, 2);
        List<ConsumerRecord<String, byte[]>> r1 = consumed(ChunkCodec.encode("t", "a", "a@1", p1), 0, 0);
        List<ConsumerRecord<String, byte[]>> r2 = consumed(ChunkCodec.encode("t", "b", "b@1", p2), 0, 0);
        List<ChunkAssembler.Payload> done = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            a.accept(r1.get(i)).ifPresent(done::add);
            if (i < 2) {
                a.accept(r2.get(i)).ifPresent(done::add);
            }
        }
        assertThat(done).hasSize(2);
        assertThat(done.get(0).bytes()).isEqualTo(p2);
        assertThat(done.get(1).bytes()).isEqualTo(p1);
        assertThat(a.pendingBytes()).isZero();
        assertThat(a.drainAbandoned()).isEmpty();
    }

    /** A "chunk bomb": a payload that declares many large chunks is given up at the bound, reported once; its later chunks are skipped. */
    @Test
    void aPayloadOverTheBytesBoundIsDroppedAndItsLaterChunksRefused() throws Exception {
        ChunkAssembler a = new ChunkAssembler(8, 4L << 20, 2 * MINUTE);
        List<ConsumerRecord<String, byte[]>> bomb = consumed(ChunkCodec.encode("t", "x", "x@0", new byte[12 * ChunkCodec.CHUNK_BYTES]), 0, 0);
        int i = 0;
        for (; i < 8; i++) {
            assertThat(a.accept(bomb.get(i))).isEmpty();
        }
        assertThat(a.accept(bomb.get(8))).isEmpty();
        List<ChunkAssembler.Abandoned> gone = a.drainAbandoned();
        assertThat(gone).singleElement().satisfies(g -> {
            assertThat(g.reason()).contains("x@0").contains("exceeds the bound of 4194304 bytes").contains("9 of its 12 chunks");
            assertThat(g.first().offset()).isEqualTo(bomb.get(0).offset());
        });
        assertThat(a.pendingBytes()).isZero();
        assertThat(a.oldestPendingOffset(0)).isEqualTo(-1);
        for (int j = 9; j < 12; j++) { // the rest of the bomb: skipped and counted, no dead letter each
            assertThat(a.accept(bomb.get(j))).isEmpty();
        }
        assertThat(a.skippedChunks()).isEqualTo(3);
        assertThat(a.drainAbandoned()).isEmpty();
        byte[] good = bytes(100, 3);
        List<ConsumerRecord<String, byte[]>> ok = consumed(ChunkCodec.encode("t", "x", "x@1", good), 0, 0);
        assertThat(a.accept(ok.get(0))).get().extracting(ChunkAssembler.Payload::bytes).isEqualTo(good);
    }

    /** A producer that died between chunks: the payload is given up once a later record is older than the bound. */
    @Test
    void anOrphanFirstChunkIsAbandonedByRecordTimeAndNoLongerHoldsTheOffset() throws Exception {
        ChunkAssembler a = new ChunkAssembler(8, 64L << 20, 2 * MINUTE);
        List<ConsumerRecord<String, byte[]>> orphan = consumed(ChunkCodec.encode("t", "r", "r@5", bytes(3 * ChunkCodec.CHUNK_BYTES, 4)), 1, 0);
        a.accept(orphan.get(0));
        assertThat(a.oldestPendingOffset(1)).isEqualTo(orphan.get(0).offset());
        a.expire(1, 2 * MINUTE); // exactly at the bound: still waiting
        a.expire(0, 10 * MINUTE); // another partition's time says nothing about this one
        assertThat(a.drainAbandoned()).isEmpty();
        a.expire(1, 2 * MINUTE + 1);
        List<ChunkAssembler.Abandoned> gone = a.drainAbandoned();
        assertThat(gone).hasSize(1);
        assertThat(gone.get(0).first().offset()).isEqualTo(orphan.get(0).offset());
        assertThat(gone.get(0).first().partition()).isEqualTo(1);
        assertThat(gone.get(0).reason()).contains("r@5").contains("1 of 3 chunks").contains("within 120 s");
        assertThat(a.oldestPendingOffset(1)).isEqualTo(-1);
        assertThat(a.drainAbandoned()).as("reported once").isEmpty();
        assertThat(a.accept(orphan.get(1))).isEmpty(); // its late chunk: skipped, the payload was reported
        assertThat(a.skippedChunks()).isEqualTo(1);
    }

    @Test
    void evictionsForTheCountAndBytesBoundsAreReported() throws Exception {
        ChunkAssembler a = new ChunkAssembler(2, 2L << 20, 2 * MINUTE);
        for (String run : new String[] {"a", "b", "c"}) {
            a.accept(consumed(ChunkCodec.encode("t", run, run + "@0", bytes(2 * ChunkCodec.CHUNK_BYTES, 5)), 0, 0).get(0));
        }
        List<ChunkAssembler.Abandoned> gone = a.drainAbandoned();
        assertThat(gone).singleElement().satisfies(g -> assertThat(g.reason()).contains("a@0").contains("pending-payloads bound"));
        List<ConsumerRecord<String, byte[]>> big = consumed(ChunkCodec.encode("t", "d", "d@0", bytes(4 * ChunkCodec.CHUNK_BYTES, 6)), 0, 0);
        for (int i = 0; i < 4; i++) { // b@0 is evicted for the count bound, then c@0 for the bytes: d@0 alone fills them
            a.accept(big.get(i));
        }
        assertThat(a.drainAbandoned()).extracting(ChunkAssembler.Abandoned::reason).satisfiesExactly(
                r -> assertThat(r).contains("b@0").contains("pending-payloads bound"),
                r -> assertThat(r).contains("c@0").contains("pending-bytes bound"));
        assertThat(a.pendingBytes()).isLessThanOrEqualTo(2L << 20);
    }

    @Test
    void malformedChunksAreRefusedWithTheReason() {
        ChunkAssembler a = new ChunkAssembler(8);
        ConsumerRecord<String, byte[]> plain = new ConsumerRecord<>("t", 0, 0, "k", new byte[] {1});
        assertThatThrownBy(() -> a.accept(plain)).hasMessageContaining("not an eoscope chunk");
        List<ConsumerRecord<String, byte[]>> r = consumed(ChunkCodec.encode("t", "k", "k@0", bytes(2 * ChunkCodec.CHUNK_BYTES, 7)), 0, 0);
        assertThatThrownBy(() -> a.accept(r.get(1))).hasMessageContaining("out of sequence");
        r.get(0).value()[0] ^= 1;
        List<ConsumerRecord<String, byte[]>> corrupt = r;
        assertThatThrownBy(() -> {
            a.accept(corrupt.get(0));
            a.accept(corrupt.get(1));
        }).hasMessageContaining("CRC");
    }

    /** On a compacted topic each chunk has a key of its own (compaction keeps one record per key) and all share partition 0. */
    @Test
    void compactedEncodingGivesEveryChunkItsOwnKey() {
        List<ProducerRecord<String, byte[]>> r = ChunkCodec.encodeCompacted("d", "abc", "abc", new byte[3 * ChunkCodec.CHUNK_BYTES]);
        assertThat(r).extracting(ProducerRecord::key).containsExactly("abc#0/3", "abc#1/3", "abc#2/3");
        assertThat(r).extracting(ProducerRecord::partition).containsOnly(0);
        assertThat(r).extracting(x -> ChunkCodec.payloadKey(x.key())).containsOnly("abc");
        assertThat(ChunkCodec.payloadKey("run-1")).isEqualTo("run-1");
    }

    /** A rebalance that revokes one partition forgets only its payloads: the kept partition's assembly completes. */
    @Test
    void releasingOnePartitionKeepsTheOthersPayloads() throws Exception {
        ChunkAssembler a = new ChunkAssembler(8, 64L << 20, 2 * MINUTE);
        byte[] kept = bytes(2 * ChunkCodec.CHUNK_BYTES, 3);
        byte[] revoked = bytes(2 * ChunkCodec.CHUNK_BYTES, 4);
        List<ConsumerRecord<String, byte[]>> k = consumed(ChunkCodec.encode("t", "a", "a@1", kept), 0, 0);
        List<ConsumerRecord<String, byte[]>> r = consumed(ChunkCodec.encode("t", "b", "b@1", revoked), 1, 0);
        assertThat(a.accept(k.get(0))).isEmpty();
        assertThat(a.accept(r.get(0))).isEmpty();
        a.release(1);
        assertThat(a.oldestPendingOffset(1)).isEqualTo(-1);
        assertThat(a.oldestPendingOffset(0)).isEqualTo(k.get(0).offset());
        assertThat(a.pendingBytes()).isEqualTo(k.get(0).value().length);
        Optional<ChunkAssembler.Payload> whole = a.accept(k.get(1));
        assertThat(whole).isPresent();
        assertThat(whole.get().bytes()).isEqualTo(kept);
        assertThat(a.drainAbandoned()).isEmpty();
    }
}
