package io.eoscope.wire;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
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
        return consumer.endOffsets(parts, Duration.ofSeconds(30));
    }

    /** What a scan does with each record; may block (an analysis), and stops when interrupted. */
    public interface RecordAction {
        void accept(ConsumerRecord<String, byte[]> record) throws InterruptedException;
    }

    /** How long a scan waits for a record while it has not reached the end: 60 s. */
    public static final Duration STALL = Duration.ofSeconds(60);

    /**
     * Reads every partition up to {@code end}, giving each record to {@code action}.
     *
     * @throws org.apache.kafka.common.errors.TimeoutException when no record came for {@code stall} before the end
     *     was reached (the broker is gone, or the records were deleted under the scan): never an endless wait
     */
    public static void readTo(Consumer<String, byte[]> consumer, Map<TopicPartition, Long> end, Duration stall, RecordAction action)
            throws InterruptedException {
        long lastRecord = System.nanoTime();
        while (!reached(consumer, end)) {
            ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
            if (!records.isEmpty()) {
                lastRecord = System.nanoTime();
            } else if (System.nanoTime() - lastRecord > stall.toNanos()) {
                long left = 0;
                for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                    left += Math.max(0, e.getValue() - consumer.position(e.getKey(), stall));
                }
                throw new org.apache.kafka.common.errors.TimeoutException("reading " + end.keySet().iterator().next().topic()
                        + ": no record came for " + stall.toSeconds() + " s with " + left + " still to read (is the broker reachable?)");
            }
            for (ConsumerRecord<String, byte[]> r : records) {
                action.accept(r);
            }
            if (!records.isEmpty()) {
                lastRecord = System.nanoTime(); // the stall is counted from the end of the work the records asked for
            }
        }
    }

    /** Whether the consumer has read every partition up to {@code end}. */
    public static boolean reached(Consumer<String, byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey(), STALL) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
