package io.eoscope.trainer.stream;

import com.google.gson.JsonObject;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.wire.Records;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

/**
 * Reads back how far a run's telemetry got before a crash: the highest step record of the run on the
 * telemetry topic. Reads only the partition the run's key goes to (the producer's default partitioner:
 * murmur2 of the key), from its start to its end now.
 */
final class TelemetryReadBack {
    private TelemetryReadBack() {}

    /**
     * The highest step of {@code run} on the telemetry topic, or −1 when it has none.
     *
     * @throws DeliveryFailedException when the topic cannot be read within {@code timeout}
     */
    static long lastStep(KafkaSettings settings, String run, Duration timeout) {
        String topic = settings.topics().telemetry();
        Instant deadline = Instant.now().plus(timeout);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.consumer("eos-trainer-resume", null))) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, timeout);
            if (partitions == null || partitions.isEmpty()) {
                throw new KafkaException("topic " + topic + " does not exist");
            }
            int partition = Utils.toPositive(Utils.murmur2(run.getBytes(StandardCharsets.UTF_8))) % partitions.size();
            TopicPartition tp = new TopicPartition(topic, partition);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            Map<TopicPartition, Long> end = consumer.endOffsets(List.of(tp), timeout);
            long last = -1;
            while (consumer.position(tp, timeout) < end.get(tp)) {
                if (Instant.now().isAfter(deadline)) {
                    throw new KafkaException("read to offset " + consumer.position(tp) + " of " + end.get(tp) + " only");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (!run.equals(r.key()) || r.value() == null) {
                        continue;
                    }
                    try {
                        JsonObject o = Records.json(r);
                        boolean step = !o.has("type") || "step".equals(o.get("type").getAsString());
                        if (step && o.has("step") && o.get("step").isJsonPrimitive()) {
                            last = Math.max(last, o.get("step").getAsLong());
                        }
                    } catch (MalformedRecordException | RuntimeException e) {
                        // not a telemetry record this trainer wrote: it says nothing about the run's progress
                    }
                }
            }
            return last;
        } catch (KafkaException e) {
            throw new DeliveryFailedException(0, "cannot resume the stream of run " + run + ": its telemetry on " + topic
                    + " could not be read back within " + timeout.toSeconds() + " s (" + e.getMessage() + ")", e);
        }
    }
}
