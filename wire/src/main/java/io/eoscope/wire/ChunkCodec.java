package io.eoscope.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Carries a payload of any size through a broker with the default 1 MB record limit: chunks of at most
 * {@link #CHUNK_BYTES}, each a record in one partition (so they stay in order) with
 * headers {@code eos-payload} (the payload id), {@code eos-chunk} ({@code i/n}) and {@code eos-crc}
 * (CRC-32 of the whole payload, checked on reassembly). Compression is the producer's
 * ({@code compression.type=lz4}, see {@link KafkaSettings}): done on the producer's I/O thread, not the
 * trainer's, and several times faster than gzip on float weights, which compress little anyway.
 */
public final class ChunkCodec {
    /** Largest chunk: well under the default max.message.bytes of about 1 MB. */
    public static final int CHUNK_BYTES = 512 * 1024;
    static final String PAYLOAD = "eos-payload";
    static final String CHUNK = "eos-chunk";
    static final String CRC = "eos-crc";

    private ChunkCodec() {}

    /** The records of one payload, all with {@code key}: the partitioner keeps them in one partition, in order. */
    public static List<ProducerRecord<String, byte[]>> encode(String topic, String key, String payloadId, byte[] payload) {
        return encode(topic, null, payloadId, payload, i -> key);
    }

    /**
     * The records of one payload for a compacted topic, where compaction keeps only the last record per
     * key: chunk i of n gets the key {@code key#i/n}, and all go to partition 0 so that they stay together.
     * A reader assembles them by index ({@link ChunkHeader}), since compaction may reorder copies.
     */
    public static List<ProducerRecord<String, byte[]>> encodeCompacted(String topic, String key, String payloadId, byte[] payload) {
        int n = chunks(payload);
        return encode(topic, 0, payloadId, payload, i -> chunkKey(key, i, n));
    }

    /** The key of chunk {@code index} of {@code count} on a compacted topic. */
    public static String chunkKey(String key, int index, int count) {
        return key + "#" + index + "/" + count;
    }

    /** The payload key of a record written by {@link #encodeCompacted} (or by {@link #encode}: the key itself). */
    public static String payloadKey(String recordKey) {
        int hash = recordKey == null ? -1 : recordKey.lastIndexOf('#');
        return hash < 0 ? recordKey : recordKey.substring(0, hash);
    }

    private static int chunks(byte[] payload) {
        return Math.max(1, (payload.length + CHUNK_BYTES - 1) / CHUNK_BYTES);
    }

    private static List<ProducerRecord<String, byte[]>> encode(String topic, Integer partition, String payloadId, byte[] payload,
            java.util.function.IntFunction<String> keys) {
        byte[] compressed = payload;
        CRC32 crc = new CRC32();
        crc.update(compressed);
        int n = chunks(compressed);
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int from = i * CHUNK_BYTES;
            byte[] part = java.util.Arrays.copyOfRange(compressed, from, Math.min(compressed.length, from + CHUNK_BYTES));
            Headers headers = new RecordHeaders();
            headers.add(PAYLOAD, utf8(payloadId));
            headers.add(CHUNK, utf8(i + "/" + n));
            headers.add(CRC, utf8(Long.toHexString(crc.getValue())));
            out.add(new ProducerRecord<>(topic, partition, keys.apply(i), part, headers));
        }
        return out;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
