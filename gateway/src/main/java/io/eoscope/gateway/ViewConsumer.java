package io.eoscope.gateway;

import com.google.gson.JsonObject;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.streaming.Messages;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Feeds the {@link RunsView} from the {@code runs}, {@code telemetry} and {@code metrics} topics, read
 * from their beginning without a consumer group: every gateway replica rebuilds the same view.
 * Records it cannot read are skipped and counted (the analyzer dead-letters bad inputs upstream). Its Kafka client
 * meters ({@code kafka.consumer.*}, tag {@code component=gateway}) go to the gateway's registry until it closes.
 */
public final class ViewConsumer implements Runnable, AutoCloseable {
    private final KafkaSettings settings;
    private final RunsView view;
    private final KafkaConsumer<String, byte[]> consumer;
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private final KafkaClientMetrics metrics;
    private volatile boolean running = true;
    private volatile long skipped;

    /** A view consumer whose Kafka client meters are not recorded. */
    public ViewConsumer(KafkaSettings settings, RunsView view) {
        this(settings, view, null);
    }

    /** A view consumer whose Kafka client meters (fetch rate, records consumed, lag) go to {@code registry}. */
    public ViewConsumer(KafkaSettings settings, RunsView view, MeterRegistry registry) {
        this.settings = settings;
        this.view = view;
        // a client id of its own: the Kafka client meters are told apart by it when gateways share a process
        this.consumer = new KafkaConsumer<>(settings.consumer("eos-gateway-" + INSTANCES.incrementAndGet(), null));
        this.metrics = registry == null ? null : new KafkaClientMetrics(consumer, List.of(Tag.of("component", "gateway")));
        if (metrics != null) {
            metrics.bindTo(registry);
        }
    }

    @Override
    public void run() {
        List<TopicPartition> parts = new ArrayList<>();
        for (String topic : List.of(settings.topics().runs(), settings.topics().telemetry(), settings.topics().metrics())) {
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                parts.add(new TopicPartition(topic, p.partition()));
            }
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        JsonObject o = io.eoscope.wire.Records.json(r);
                        if (r.topic().equals(settings.topics().runs())) {
                            view.run(r.key(), o);
                        } else if (r.topic().equals(settings.topics().telemetry())) {
                            view.telemetry(o);
                        } else {
                            view.metrics(o);
                        }
                    } catch (MalformedRecordException | RuntimeException e) {
                        skipped++;
                    }
                }
            }
        } catch (WakeupException e) {
            // close() woke us
        } finally {
            if (metrics != null) {
                metrics.close(); // removes its meters before the client goes
            }
            consumer.close();
        }
    }

    /** Records that could not be read. */
    public long skipped() {
        return skipped;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
    }
}
