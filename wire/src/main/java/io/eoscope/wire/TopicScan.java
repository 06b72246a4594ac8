package io.eoscope.wire;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/** Reading whole topics without a consumer group: every partition from its start, up to today's end. */
public final class TopicScan {
    private TopicScan() {}

    /** Assigns every partition of {@code topic} to {@code consumer} from the beginning; returns their end offsets now. */
    public static Map<TopicPartition, Long> fromStart(Consumer<String, byte[]> consumer, String topic) {
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            parts.add(new TopicPartition(p.topic(), p.partition()));
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        return consumer.endOffsets(parts);
    }

    /** Whether the consumer has read every partition up to {@code end}. */
    public static boolean reached(Consumer<String, byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
