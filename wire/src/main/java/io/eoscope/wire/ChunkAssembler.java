package io.eoscope.wire;

import java.io.ByteArrayOutputStream;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reassembles payloads written by {@link ChunkCodec} from consumed records. Memory is bounded: at most
 * {@code maxPending} payloads are in assembly at once; the oldest is dropped (and reported) when a new
 * one would exceed that.
 */
public final class ChunkAssembler {
    private final int maxPending;
    private final Map<String, Pending> pending = new LinkedHashMap<>();

    /** A whole payload and the offsets it spanned in its partition. */
    public record Payload(String key, String id, byte[] bytes, int partition, long firstOffset, long lastOffset) {}

    private static final class Pending {
        final int count;
        final String crc;
        final long firstOffset;
        final int partition;
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int next;

        Pending(int count, String crc, long firstOffset, int partition) {
            this.count = count;
            this.crc = crc;
            this.firstOffset = firstOffset;
            this.partition = partition;
        }
    }

    /** @param maxPending the most payloads assembled at once */
    public ChunkAssembler(int maxPending) {
        this.maxPending = maxPending;
    }

    /**
     * Adds a record; returns the payload when this record completes one.
     *
     * @throws MalformedRecordException when the record's headers or its place in the sequence are wrong
     *     (its partial payload, if any, is discarded)
     */
    public Optional<Payload> accept(ConsumerRecord<String, byte[]> record) throws MalformedRecordException {
        String id = ChunkCodec.header(record.headers(), ChunkCodec.PAYLOAD);
        String chunk = ChunkCodec.header(record.headers(), ChunkCodec.CHUNK);
        String crc = ChunkCodec.header(record.headers(), ChunkCodec.CRC);
        if (id == null || chunk == null || crc == null || record.value() == null) {
            throw new MalformedRecordException("not an eoscope chunk (headers eos-payload, eos-chunk, eos-crc or the value missing)");
        }
        int index;
        int count;
        try {
            String[] parts = chunk.split("/");
            index = Integer.parseInt(parts[0]);
            count = Integer.parseInt(parts[1]);
        } catch (RuntimeException e) {
            throw new MalformedRecordException("bad eos-chunk header '" + chunk + "'");
        }
        if (count < 1 || index < 0 || index >= count || count > 100_000) {
            throw new MalformedRecordException("bad eos-chunk header '" + chunk + "'");
        }
        String slot = record.key() + "\u0000" + id;
        Pending p = pending.get(slot);
        if (index == 0) {
            if (p != null) {
                pending.remove(slot); // a re-sent payload starts over
            }
            p = new Pending(count, crc, record.offset(), record.partition());
            if (pending.size() >= maxPending) {
                Iterator<String> oldest = pending.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
            pending.put(slot, p);
        } else if (p == null || p.next != index || p.count != count || !p.crc.equals(crc)) {
            pending.remove(slot);
            throw new MalformedRecordException("chunk " + chunk + " of payload '" + id + "' arrived out of sequence"
                    + " (its earlier chunks are missing or belong to another payload)");
        }
        if ((long) p.bytes.size() + record.value().length > ChunkCodec.MAX_PAYLOAD) {
            pending.remove(slot);
            throw new MalformedRecordException("payload '" + id + "' exceeds " + ChunkCodec.MAX_PAYLOAD + " bytes");
        }
        p.bytes.writeBytes(record.value());
        p.next++;
        if (p.next < p.count) {
            return Optional.empty();
        }
        pending.remove(slot);
        byte[] bytes = p.bytes.toByteArray();
        CRC32 check = new CRC32();
        check.update(bytes);
        if (!Long.toHexString(check.getValue()).equals(p.crc)) {
            throw new MalformedRecordException("payload '" + id + "' fails its CRC check (a chunk is corrupt or truncated)");
        }
        return Optional.of(new Payload(record.key(), id, bytes, p.partition, p.firstOffset, record.offset()));
    }

    /** The smallest first offset of a payload still in assembly in {@code partition}, or -1. */
    public long oldestPendingOffset(int partition) {
        long min = -1;
        for (Pending p : pending.values()) {
            if (p.partition == partition && (min < 0 || p.firstOffset < min)) {
                min = p.firstOffset;
            }
        }
        return min;
    }

    /** Forgets everything in assembly (after a rebalance). */
    public void clear() {
        pending.clear();
    }
}
