package io.eoscope.streaming;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Carries a payload of any size through a broker with the default 1 MB record limit: gzip, then chunks
 * of at most {@link #CHUNK_BYTES}, each a record with the same key (so one partition keeps them in
 * order) and headers {@code eos-payload} (the payload id), {@code eos-chunk} ({@code i/n}) and
 * {@code eos-crc} (CRC-32 of the whole compressed payload, checked on reassembly).
 */
public final class ChunkCodec {
    /** Largest chunk: well under the default max.message.bytes of about 1 MB. */
    public static final int CHUNK_BYTES = 512 * 1024;
    static final String PAYLOAD = "eos-payload";
    static final String CHUNK = "eos-chunk";
    static final String CRC = "eos-crc";
    /** The largest payload a reassembly accepts (decompressed), against decompression bombs. */
    static final long MAX_PAYLOAD = 2L << 30;

    private ChunkCodec() {}

    /** The records of one payload. */
    public static List<ProducerRecord<String, byte[]>> encode(String topic, String key, String payloadId, byte[] payload) {
        byte[] compressed = gzip(payload);
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

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.max(64, data.length / 2));
        // fastest deflate: float weights barely compress, so a stronger level costs time for nothing
        try (GZIPOutputStream out = new GZIPOutputStream(bytes, 1 << 16) {
            {
                def.setLevel(java.util.zip.Deflater.BEST_SPEED);
            }
        }) {
            out.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Decompresses, refusing more than {@link #MAX_PAYLOAD} bytes. */
    static byte[] gunzip(byte[] data) throws MalformedRecordException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(data), 1 << 16)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length * 2);
            byte[] buffer = new byte[1 << 16];
            long total = 0;
            for (int r; (r = in.read(buffer)) > 0; ) {
                total += r;
                if (total > MAX_PAYLOAD) {
                    throw new MalformedRecordException("payload decompresses to more than " + MAX_PAYLOAD + " bytes");
                }
                out.write(buffer, 0, r);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new MalformedRecordException("payload is not valid gzip (" + e.getMessage() + ")");
        }
    }
}
