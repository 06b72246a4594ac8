package io.eoscope.analyzer;

import io.eoscope.curvature.net.LabeledData;
import io.eoscope.wire.ChunkAssembler;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.streaming.Messages;
import io.eoscope.wire.TopicScan;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Datasets by content hash, read from the compacted {@code datasets} topic on demand and cached
 * (a few, least recently used first out), so that analysis needs nothing outside Kafka.
 */
public final class DatasetStore implements AutoCloseable {
    private static final int CACHE = 4;
    private final KafkaSettings settings;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, LabeledData> cache = new LinkedHashMap<>(8, 0.75f, true);

    public DatasetStore(KafkaSettings settings) {
        this.settings = settings;
        this.consumer = new KafkaConsumer<>(settings.consumer("eos-datasets", null));
    }

    /** The dataset with this hash, reading the topic from its start if it is not cached. */
    public Optional<LabeledData> get(String hash) {
        LabeledData hit = cache.get(hash);
        if (hit != null) {
            return Optional.of(hit);
        }
        Map<TopicPartition, Long> end = TopicScan.fromStart(consumer, settings.topics().datasets());
        ChunkAssembler assembler = new ChunkAssembler(4);
        LabeledData found = null;
        while (!TopicScan.reached(consumer, end)) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                if (!hash.equals(r.key())) {
                    continue;
                }
                try {
                    Optional<ChunkAssembler.Payload> payload = assembler.accept(r);
                    if (payload.isPresent()) {
                        found = Messages.dataset(payload.get());
                    }
                } catch (MalformedRecordException e) {
                    // a damaged copy: a later complete one may still follow
                }
            }
        }
        if (found != null) {
            cache.put(hash, found);
            if (cache.size() > CACHE) {
                cache.remove(cache.keySet().iterator().next());
            }
        }
        return Optional.ofNullable(found);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
