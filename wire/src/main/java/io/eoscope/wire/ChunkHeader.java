package io.eoscope.wire;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The headers of one {@link ChunkCodec} chunk, validated.
 *
 * @param payloadId the payload this chunk belongs to ({@code run@step}, or a dataset's hash)
 * @param index this chunk's place, 0-based
 * @param count the payload's number of chunks
 * @param crc CRC-32 of the whole payload, in hex
 */
public record ChunkHeader(String payloadId, int index, int count, String crc) {
    /** The most chunks a payload may declare. */
    public static final int MAX_CHUNKS = 100_000;

    /** The chunk headers of a record, or why it is not a chunk. */
    public static ChunkHeader of(ConsumerRecord<String, byte[]> record) throws MalformedRecordException {
        String id = header(record.headers(), ChunkCodec.PAYLOAD);
        String chunk = header(record.headers(), ChunkCodec.CHUNK);
        String crc = header(record.headers(), ChunkCodec.CRC);
        if (id == null || chunk == null || crc == null || record.value() == null) {
            throw new MalformedRecordException("not an eoscope chunk (headers eos-payload, eos-chunk, eos-crc or the value missing)");
        }
        int index;
        int count;
        try {
            String[] parts = chunk.split("/");
            if (parts.length != 2) {
                throw new NumberFormatException();
            }
            index = Integer.parseInt(parts[0]);
            count = Integer.parseInt(parts[1]);
        } catch (RuntimeException e) {
            throw new MalformedRecordException("bad eos-chunk header '" + chunk + "'");
        }
        if (count < 1 || index < 0 || index >= count || count > MAX_CHUNKS) {
            throw new MalformedRecordException("bad eos-chunk header '" + chunk + "'");
        }
        return new ChunkHeader(id, index, count, crc);
    }

    private static String header(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
