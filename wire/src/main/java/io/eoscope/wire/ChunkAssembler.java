package io.eoscope.wire;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reassembles payloads written by {@link ChunkCodec#encode} from consumed records, within bounds that are
 * reported when hit:
 * <ul>
 *   <li>at most {@code maxPending} payloads in assembly at once, and at most {@code maxPendingBytes} bytes
 *       in all: a payload that alone would exceed the bytes is dropped ("chunk bomb"), older ones are
 *       evicted to make room for a new one;</li>
 *   <li>a payload whose next chunk has not come {@code maxAgeMillis} after its last one is abandoned (a
 *       producer that died between chunks), judged by record timestamps in its partition
 *       ({@link #expire}).</li>
 * </ul>
 * Every payload given up is returned once by {@link #drainAbandoned} with the reason and its first chunk's
 * coordinates, so the caller can dead-letter it once; the chunks of a given-up payload that come later are
 * skipped and counted ({@link #skippedChunks}), so a bomb of 100,000 chunks makes one dead letter, not 100,000.
 * Not thread-safe.
 */
public final class ChunkAssembler {
    private final int maxPending;
    private final long maxPendingBytes;
    private final long maxAgeMillis;
    private final Map<String, Pending> pending = new LinkedHashMap<>();
    private final Map<String, String> dropped = new LinkedHashMap<>(16, 0.75f, true);
    private final List<Abandoned> abandoned = new ArrayList<>();
    private long pendingBytes;
    private long skippedChunks;
    private static final int REMEMBERED_DROPS = 1000;

    /** A whole payload and the offsets it spanned in its partition. */
    public record Payload(String key, String id, byte[] bytes, int partition, long firstOffset, long lastOffset) {}

    /**
     * A payload given up before it was whole.
     *
     * @param first its first chunk's coordinates (topic, partition, offset, key; the value is not kept)
     * @param reason why, for the dead-letter topic
     */
    public record Abandoned(ConsumerRecord<String, byte[]> first, String reason) {}

    private static final class Pending {
        final ChunkHeader header;
        final ConsumerRecord<String, byte[]> first;
        final List<byte[]> parts = new ArrayList<>();
        long bytes;
        long lastTimestamp;

        Pending(ChunkHeader header, ConsumerRecord<String, byte[]> record) {
            this.header = header;
            this.first = new ConsumerRecord<>(record.topic(), record.partition(), record.offset(), record.key(), null);
            this.lastTimestamp = record.timestamp();
        }
    }

    /**
     * @param maxPending the most payloads assembled at once
     * @param maxPendingBytes the most bytes held by payloads in assembly
     * @param maxAgeMillis how long a payload may wait for its next chunk
     */
    public ChunkAssembler(int maxPending, long maxPendingBytes, long maxAgeMillis) {
        if (maxPending < 1 || maxPendingBytes < 1 || maxAgeMillis < 1) {
            throw new IllegalArgumentException("chunk assembly bounds must be positive");
        }
        this.maxPending = maxPending;
        this.maxPendingBytes = maxPendingBytes;
        this.maxAgeMillis = maxAgeMillis;
    }

    /** Up to {@code maxPending} payloads of at most 1 GiB in all, abandoned after 10 minutes of silence. */
    public ChunkAssembler(int maxPending) {
        this(maxPending, 1L << 30, 600_000);
    }

    /**
     * Adds a record; returns the payload when this record completes one.
     *
     * @throws MalformedRecordException when the record's headers or its place in the sequence are wrong (its
     *     partial payload, if any, is discarded)
     */
    public Optional<Payload> accept(ConsumerRecord<String, byte[]> record) throws MalformedRecordException {
        ChunkHeader h = ChunkHeader.of(record);
        String slot = record.partition() + "\u0000" + record.key() + "\u0000" + h.payloadId();
        String drop = dropped.get(slot);
        Pending p = pending.get(slot);
        if (h.index() == 0) {
            if (p != null) {
                remove(slot); // a re-sent payload starts over
            }
            dropped.remove(slot);
            p = new Pending(h, record);
            while (pending.size() >= maxPending) {
                evictOldest("evicted: " + maxPending + " payloads were in assembly at once (the pending-payloads bound)");
            }
            pending.put(slot, p);
        } else if (drop != null && p == null) {
            skippedChunks++; // its payload was dead-lettered once, with the reason: one dead letter, not one per chunk
            return Optional.empty();
        } else if (p == null || p.parts.size() != h.index() || p.header.count() != h.count() || !p.header.crc().equals(h.crc())) {
            if (p != null) {
                remove(slot);
            }
            throw new MalformedRecordException("chunk " + (h.index() + 1) + "/" + h.count() + " of payload '" + h.payloadId()
                    + "' arrived out of sequence (its earlier chunks are missing or belong to another payload)");
        }
        long size = record.value().length;
        if (p.bytes + size > maxPendingBytes) {
            giveUp(slot, "payload '" + h.payloadId() + "' exceeds the bound of " + maxPendingBytes + " bytes in assembly ("
                    + (p.parts.size() + 1) + " of its " + h.count() + " chunks made " + (p.bytes + size) + " bytes)");
            return Optional.empty();
        }
        while (pendingBytes + size > maxPendingBytes) {
            evictOldestOther(slot);
        }
        p.parts.add(record.value());
        p.bytes += size;
        pendingBytes += size;
        p.lastTimestamp = Math.max(p.lastTimestamp, record.timestamp());
        if (p.parts.size() < h.count()) {
            return Optional.empty();
        }
        remove(slot);
        byte[] bytes = new byte[Math.toIntExact(p.bytes)];
        int at = 0;
        for (byte[] part : p.parts) {
            System.arraycopy(part, 0, bytes, at, part.length);
            at += part.length;
        }
        CRC32 check = new CRC32();
        check.update(bytes);
        if (!Long.toHexString(check.getValue()).equals(h.crc())) {
            throw new MalformedRecordException("payload '" + h.payloadId() + "' fails its CRC check (a chunk is corrupt or truncated)");
        }
        return Optional.of(new Payload(ChunkCodec.payloadKey(record.key()), h.payloadId(), bytes, record.partition(),
                p.first.offset(), record.offset()));
    }

    /**
     * Abandons the payloads in {@code partition} whose last chunk is older than {@code nowMillis} minus the
     * age bound. Call it with each record's timestamp as it is read (then a backlog read long after it was
     * written is judged by the time it was written), and with the wall clock for a partition read to its end.
     */
    public void expire(int partition, long nowMillis) {
        Iterator<Map.Entry<String, Pending>> it = pending.entrySet().iterator();
        List<String> expired = new ArrayList<>();
        while (it.hasNext()) {
            Map.Entry<String, Pending> e = it.next();
            Pending p = e.getValue();
            if (p.first.partition() == partition && p.lastTimestamp >= 0 && nowMillis - p.lastTimestamp > maxAgeMillis) {
                expired.add(e.getKey());
            }
        }
        for (String slot : expired) {
            Pending p = pending.get(slot);
            giveUp(slot, "payload '" + p.header.payloadId() + "': " + p.parts.size() + " of " + p.header.count()
                    + " chunks arrived and the next did not come within " + maxAgeMillis / 1000
                    + " s (the producer probably stopped mid-payload)");
        }
    }

    /** The payloads given up since the last call, each once. */
    public List<Abandoned> drainAbandoned() {
        List<Abandoned> out = List.copyOf(abandoned);
        abandoned.clear();
        return out;
    }

    /** The smallest first offset of a payload still in assembly in {@code partition}, or -1. */
    public long oldestPendingOffset(int partition) {
        long min = -1;
        for (Pending p : pending.values()) {
            if (p.first.partition() == partition && (min < 0 || p.first.offset() < min)) {
                min = p.first.offset();
            }
        }
        return min;
    }

    /** Bytes held by payloads in assembly. */
    public long pendingBytes() {
        return pendingBytes;
    }

    /** Chunks that came after their payload was given up, skipped (the payload was reported once). */
    public long skippedChunks() {
        return skippedChunks;
    }

    /** Payloads in assembly. */
    public int pendingPayloads() {
        return pending.size();
    }

    /**
     * Forgets what is in assembly in {@code partition}, and what was given up there (after a rebalance took the
     * partition away: its next owner reads those records again from the committed offset, which never passes a
     * payload in assembly). Payloads of other partitions stay.
     */
    public void release(int partition) {
        String prefix = partition + "\u0000";
        for (String slot : new ArrayList<>(pending.keySet())) {
            if (slot.startsWith(prefix)) {
                remove(slot);
            }
        }
        dropped.keySet().removeIf(slot -> slot.startsWith(prefix));
        abandoned.removeIf(a -> a.first().partition() == partition);
    }

    private void evictOldest(String reason) {
        String slot = pending.keySet().iterator().next();
        giveUp(slot, "payload '" + pending.get(slot).header.payloadId() + "' " + reason);
    }

    private void evictOldestOther(String keep) {
        for (String slot : pending.keySet()) {
            if (!slot.equals(keep)) {
                giveUp(slot, "payload '" + pending.get(slot).header.payloadId() + "' evicted: " + maxPendingBytes
                        + " bytes were in assembly (the pending-bytes bound)");
                return;
            }
        }
        throw new IllegalStateException("pending bytes are over the bound with no other payload in assembly");
    }

    private void giveUp(String slot, String reason) {
        Pending p = remove(slot);
        remember(slot, reason);
        abandoned.add(new Abandoned(p.first, reason));
    }

    private Pending remove(String slot) {
        Pending p = pending.remove(slot);
        if (p != null) {
            pendingBytes -= p.bytes;
        }
        return p;
    }

    private void remember(String slot, String reason) {
        dropped.put(slot, reason);
        if (dropped.size() > REMEMBERED_DROPS) {
            dropped.remove(dropped.keySet().iterator().next());
        }
    }
}
