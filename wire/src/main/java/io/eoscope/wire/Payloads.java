package io.eoscope.wire;

import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The binary payloads on the topics, as bytes in {@link ChunkCodec} chunks: a snapshot (a safetensors model file,
 * whose metadata names its run and step) on the snapshots topic; a dataset or a TorchScript module, keyed by the
 * SHA-256 of its content, on the compacted datasets topic. What the bytes hold is the curvature module's to read.
 */
public final class Payloads {
    private Payloads() {}

    /** The snapshot records of a safetensors snapshot's bytes: key {@code run}, payload id {@code run@step}. */
    public static List<ProducerRecord<String, byte[]>> snapshot(Topics topics, String run, long step, byte[] safetensors) {
        return ChunkCodec.encode(topics.snapshots(), run, run + "@" + step, safetensors);
    }

    /** A content-addressed payload: its bytes and their SHA-256 in hex (its key on the datasets topic). */
    public record Addressed(String hash, byte[] bytes) {
        /** The bytes with their hash. */
        public static Addressed of(byte[] bytes) {
            return new Addressed(Records.sha256(bytes), bytes);
        }
    }

    /** The records of a dataset (or module): one key per chunk, since the datasets topic is compacted. */
    public static List<ProducerRecord<String, byte[]>> dataset(Topics topics, Addressed payload) {
        return ChunkCodec.encodeCompacted(topics.datasets(), payload.hash(), payload.hash(), payload.bytes());
    }

    /**
     * The bytes of a content-addressed payload, checked against their hash.
     *
     * @param what names the payload in the error ({@code dataset}, {@code module})
     * @throws MalformedRecordException {@code "<what> <hash>: content does not match its hash"}
     */
    public static byte[] checked(String what, String hash, byte[] bytes) throws MalformedRecordException {
        if (!Records.sha256(bytes).equals(hash)) {
            throw new MalformedRecordException(what + " " + hash + ": content does not match its hash");
        }
        return bytes;
    }
}
