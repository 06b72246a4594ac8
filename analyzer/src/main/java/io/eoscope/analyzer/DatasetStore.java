package io.eoscope.analyzer;

import io.eoscope.curvature.net.LabeledData;
import io.eoscope.wire.ChunkCodec;
import io.eoscope.wire.ChunkHeader;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.wire.TopicScan;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.zip.CRC32;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Datasets (and TorchScript modules) by content hash, from the compacted {@code datasets} topic, so that analysis needs nothing
 * outside Kafka. The topic is read once, incrementally: an index remembers where the newest copy of each
 * chunk of each dataset is (not its bytes); a lookup reads only what was written since the last one, then
 * fetches the chunks it needs. Chunks are assembled by index, so the copies that compaction leaves, in any
 * order, still make a whole. Decoded datasets are cached (at most {@value #CACHE}, and at most {@code maxBytes} of
 * them unless one alone is larger; least recently used out).
 *
 * <p>What cannot be used is dead-lettered with the reason, once per copy: a record of the topic that is not a chunk,
 * and the first chunk of a payload whose chunks fail their CRC, whose bytes do not match its hash or do not decode.
 * A lookup of such a payload throws {@link UnusablePayloadException} (until a new copy is written), so that the
 * snapshot that needs it is dead-lettered saying its dataset is corrupt, not that it is missing.
 */
public final class DatasetStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetStore.class);
    /**
     * Most decoded datasets cached. A fleet of runs has as many datasets as runs, often small: with four cached, every
     * snapshot of a thousand runs read its dataset back from the topic. Bytes bound the cache as before.
     */
    static final int CACHE = 1024;
    /** Most TorchScript modules cached (a module is larger than most datasets, and few runs are not MLPs). */
    static final int MODULE_CACHE = 16;
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(60);
    private final KafkaSettings settings;
    private final long maxBytes;
    private final Consumer<String, byte[]> consumer;
    private final BiConsumer<ConsumerRecord<String, byte[]>, String> deadLetters;
    private final Map<String, String> corrupt = new HashMap<>();
    private final Map<String, LabeledData> cache = new LinkedHashMap<>(8, 0.75f, true);
    private final Map<String, byte[]> modules = new LinkedHashMap<>(8, 0.75f, true);
    private final Map<String, Entry> index = new HashMap<>();
    private Map<TopicPartition, Long> position;
    private long scans;
    private long indexed;

    /** Where the chunks of one dataset are: offset of the newest copy of each chunk, or -1. */
    private static final class Entry {
        final int count;
        final String crc;
        final int partition;
        final long[] offsets;
        long bytes;
        /** The record of its first chunk, once read: what a dead letter of the payload names. */
        ConsumerRecord<String, byte[]> first;

        Entry(ChunkHeader h, int partition) {
            this.count = h.count();
            this.crc = h.crc();
            this.partition = partition;
            this.offsets = new long[h.count()];
            java.util.Arrays.fill(offsets, -1);
        }

        boolean whole() {
            for (long o : offsets) {
                if (o < 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * @param maxBytes the largest dataset it assembles (a bound on memory)
     * @param deadLetters dead-letters a record of the topic with the reason it cannot be used
     */
    public DatasetStore(KafkaSettings settings, long maxBytes, BiConsumer<ConsumerRecord<String, byte[]>, String> deadLetters) {
        this(settings, maxBytes, new KafkaConsumer<>(settings.consumer("eos-datasets", null)), deadLetters);
    }

    /** With a given consumer (tests use MockConsumer). */
    DatasetStore(KafkaSettings settings, long maxBytes, Consumer<String, byte[]> consumer,
            BiConsumer<ConsumerRecord<String, byte[]>, String> deadLetters) {
        this.settings = settings;
        this.maxBytes = maxBytes;
        this.consumer = consumer;
        this.deadLetters = deadLetters;
    }

    /**
     * The TorchScript module with this hash (its bytes, checked against the hash), if the topic holds all of it:
     * the topic is content-addressed, and eoscope's Python client stores a run's module there next to its
     * dataset. At most {@value #MODULE_CACHE} are cached.
     *
     * @throws UnusablePayloadException when the topic holds it but it cannot be used (dead-lettered with the reason)
     */
    public Optional<byte[]> module(String hash) {
        return lookup(hash, "module", modules, PayloadDecoder::module, () -> modules.size() > MODULE_CACHE);
    }

    /**
     * The dataset with this hash, if the topic holds all of it.
     *
     * @throws UnusablePayloadException when the topic holds it but it cannot be used (dead-lettered with the reason)
     */
    public Optional<LabeledData> get(String hash) {
        return lookup(hash, "dataset", cache, PayloadDecoder::dataset,
                () -> cache.size() > CACHE || (cache.size() > 1 && cachedBytes() > maxBytes));
    }

    /** Decodes and checks a payload's bytes against its hash. */
    private interface Decoder<T> {
        T decode(String hash, byte[] bytes) throws MalformedRecordException;
    }

    /** A payload from the cache, or assembled from the topic, decoded and cached (least recently used out while {@code over}). */
    private <T> Optional<T> lookup(String hash, String what, Map<String, T> cached, Decoder<T> decoder,
            java.util.function.BooleanSupplier over) {
        T hit = cached.get(hash);
        if (hit != null) {
            return Optional.of(hit);
        }
        catchUp();
        String label = what + " " + hash + " in " + settings.topics().datasets();
        String known = corrupt.get(hash);
        if (known != null) {
            throw new UnusablePayloadException(label, known);
        }
        Entry e = index.get(hash);
        if (e == null || !e.whole()) {
            return Optional.empty();
        }
        try {
            T value = decoder.decode(hash, fetch(hash, e));
            cached.put(hash, value);
            while (over.getAsBoolean()) {
                cached.remove(cached.keySet().iterator().next());
            }
            return Optional.of(value);
        } catch (MalformedRecordException ex) {
            LOG.warn("{} cannot be used: {}", label, ex.getMessage());
            corrupt.put(hash, ex.getMessage()); // until a new copy of one of its chunks is indexed
            if (e.first != null) {
                deadLetters.accept(e.first, label + " cannot be used: " + ex.getMessage());
            }
            throw new UnusablePayloadException(label, ex.getMessage());
        }
    }

    private long cachedBytes() {
        long n = 0;
        for (LabeledData d : cache.values()) {
            n += 8L * d.x().length + 4L * d.y().length;
        }
        return n;
    }

    /** How many times the topic was read (each reads only what is new). */
    public long scans() {
        return scans;
    }

    /** Records read from the topic so far: unchanged between two lookups when nothing new was written. */
    public long indexed() {
        return indexed;
    }

    /** Reads the records written since the last call into the index. */
    private void catchUp() {
        scans++;
        if (position == null) {
            Map<TopicPartition, Long> end = TopicScan.fromStart(consumer, settings.topics().datasets());
            position = new HashMap<>();
            end.keySet().forEach(tp -> position.put(tp, 0L));
        }
        for (Map.Entry<TopicPartition, Long> p : position.entrySet()) {
            consumer.seek(p.getKey(), p.getValue());
        }
        Map<TopicPartition, Long> end = consumer.endOffsets(position.keySet(), Duration.ofSeconds(30));
        try {
            TopicScan.readTo(consumer, end, TopicScan.STALL, this::indexRecord);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        }
        for (TopicPartition tp : position.keySet()) {
            position.put(tp, consumer.position(tp, FETCH_TIMEOUT));
        }
    }

    private void indexRecord(ConsumerRecord<String, byte[]> r) {
        indexed++;
        ChunkHeader h;
        try {
            h = ChunkHeader.of(r);
        } catch (MalformedRecordException e) {
            LOG.warn("{}/{}@{} is not a dataset chunk: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
            deadLetters.accept(r, "a record of " + r.topic() + " that is not a dataset chunk: " + e.getMessage());
            return;
        }
        String hash = ChunkCodec.payloadKey(r.key());
        corrupt.remove(hash); // a new copy: looked at again
        Entry e = index.get(hash);
        if (e == null || e.count != h.count() || !e.crc.equals(h.crc()) || e.partition != r.partition()) {
            e = new Entry(h, r.partition());
            index.put(hash, e);
        }
        if (e.offsets[h.index()] < 0) {
            e.bytes += r.value().length;
        }
        e.offsets[h.index()] = r.offset();
    }

    /** The payload's bytes, checked against its CRC; {@code e.first} is its first chunk's record once read. */
    private byte[] fetch(String hash, Entry e) throws MalformedRecordException {
        if (e.bytes > maxBytes) {
            throw new MalformedRecordException("dataset " + hash + " has " + e.bytes + " bytes, over the bound of " + maxBytes
                    + " (--max-pending-bytes)");
        }
        TopicPartition tp = new TopicPartition(settings.topics().datasets(), e.partition);
        Map<Long, Integer> wanted = new HashMap<>();
        long first = Long.MAX_VALUE;
        long last = -1;
        for (int i = 0; i < e.count; i++) {
            wanted.put(e.offsets[i], i);
            first = Math.min(first, e.offsets[i]);
            last = Math.max(last, e.offsets[i]);
        }
        byte[][] parts = new byte[e.count][];
        int found = 0;
        consumer.seek(tp, first);
        long deadline = System.nanoTime() + FETCH_TIMEOUT.toNanos();
        while (consumer.position(tp) <= last) {
            if (System.nanoTime() > deadline) {
                throw new org.apache.kafka.common.errors.TimeoutException("reading dataset " + hash + " from "
                        + settings.topics().datasets() + " took over " + FETCH_TIMEOUT.toSeconds() + " s");
            }
            List<ConsumerRecord<String, byte[]>> batch = consumer.poll(Duration.ofMillis(500)).records(tp);
            for (ConsumerRecord<String, byte[]> r : batch) {
                Integer i = wanted.get(r.offset());
                if (i != null && parts[i] == null) {
                    parts[i] = r.value();
                    found++;
                    if (i == 0) {
                        e.first = r;
                    }
                }
            }
        }
        for (Map.Entry<TopicPartition, Long> p : position.entrySet()) {
            consumer.seek(p.getKey(), p.getValue());
        }
        if (found != e.count) {
            throw new MalformedRecordException("dataset " + hash + ": " + (e.count - found) + " of its " + e.count
                    + " chunks were no longer in the topic");
        }
        byte[] bytes = new byte[Math.toIntExact(e.bytes)];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, bytes, at, part.length);
            at += part.length;
        }
        CRC32 crc = new CRC32();
        crc.update(bytes);
        if (!Long.toHexString(crc.getValue()).equals(e.crc)) {
            throw new MalformedRecordException("dataset " + hash + " fails its CRC check (a chunk is corrupt or truncated)");
        }
        return bytes;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
