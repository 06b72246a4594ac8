package io.eoscope.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Carries a payload of any size through a broker with the default 1 MB record limit: chunks of at most
 * {@link #CHUNK_BYTES}, each a record with the same key (so one partition keeps them in order) and
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
    /** The largest payload a reassembly accepts: a bound on the memory one payload may take. */
    static final long MAX_PAYLOAD = 2L << 30;

    private ChunkCodec() {}

    /** The records of one payload. */
    public static List<ProducerRecord<String, byte[]>> encode(String topic, String key, String payloadId, byte[] payload) {
        byte[] compressed = payload;
        CRC32 crc = new CRC32();
        crc.update(compressed);
        int n = Math.max(1, (compressed.length + CHUNK_BYTES - 1) / CHUNK_BYTES);
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int from = i * CHUNK_BYTES;
            byte[] part = java.util.Arrays.copyOfRange(compressed, from, Math.min(compressed.length, from + CHUNK_BYTES));
            Headers headers = new RecordHeaders();
            headers.add(PAYLOAD, utf8(payloadId));
            headers.add(CHUNK, utf8(i + "/" + n));
            headers.add(CRC, utf8(Long.toHexString(crc.getValue())));
            out.add(new ProducerRecord<>(topic, null, key, part, headers));
        }
        return out;
    }

    /** Header text, or null when absent. */
    static String header(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
