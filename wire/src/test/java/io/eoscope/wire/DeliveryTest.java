package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Waiting for an acknowledgement is finite: a broker that never answers is an error naming the record. */
class DeliveryTest {
    private final ProducerRecord<String, byte[]> record = new ProducerRecord<>("metrics", "r@1", new byte[] {1});

    @Test
    void anAcknowledgementThatNeverComesIsAnErrorWithinTheTimeout() {
        MockProducer<String, byte[]> never = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Delivery.send(never, record, Duration.ofMillis(100), "the metrics of r@1"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the metrics of r@1").hasMessageContaining("not acknowledged within");
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10);
    }

    @Test
    void aRefusedRecordIsAnErrorWithTheBrokersReason() {
        MockProducer<String, byte[]> refusing = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        Thread t = new Thread(() -> {
            while (!refusing.errorNext(new org.apache.kafka.common.errors.TimeoutException("expired after 120000 ms"))) {
                Thread.onSpinWait();
            }
        });
        t.start();
        assertThatThrownBy(() -> Delivery.send(refusing, record, Duration.ofSeconds(30), "the metrics of r@1"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("expired after 120000 ms");
    }

    @Test
    void anAcknowledgedRecordReturnsItsMetadata() throws Exception {
        MockProducer<String, byte[]> ok = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        assertThat(Delivery.send(ok, record, Duration.ofSeconds(1), "x").topic()).isEqualTo("metrics");
    }

    /**
     * A sender that waits for each acknowledgement sends at once: lingering 20 ms to batch was a fixed 20 ms of every
     * analysed snapshot (the fleet harness measured it). A user's linger.ms still wins; the trainer's producer still batches.
     */
    @Test
    void anAcknowledgedSenderDoesNotLinger() {
        KafkaSettings plain = new KafkaSettings("localhost:9092", new Topics(""), Map.of());
        assertThat(plain.acknowledgedProducer("a").getProperty(ProducerConfig.LINGER_MS_CONFIG)).isEqualTo("0");
        assertThat(plain.acknowledgedProducer("a").getProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)).isEqualTo("120000");
        assertThat(plain.producer("p").getProperty(ProducerConfig.LINGER_MS_CONFIG)).isEqualTo("20");
        KafkaSettings given = new KafkaSettings("localhost:9092", new Topics(""), Map.of("linger.ms", "5"));
        assertThat(given.acknowledgedProducer("a").getProperty(ProducerConfig.LINGER_MS_CONFIG)).isEqualTo("5");
    }

    /** Producers give up on a record after a bounded time by default (Kafka's 120 s), or the one the user gives. */
    @Test
    void everyProducerHasAFiniteDeliveryTimeout() {
        KafkaSettings plain = new KafkaSettings("localhost:9092", new Topics(""), Map.of());
        assertThat(plain.producer("p").getProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)).isEqualTo("120000");
        assertThat(plain.deliveryTimeout()).isEqualTo(Duration.ofSeconds(120));
        KafkaSettings given = new KafkaSettings("localhost:9092", new Topics(""), Map.of("delivery.timeout.ms", "45000"));
        assertThat(given.producer("p").getProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)).isEqualTo("45000");
        assertThat(given.deliveryTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThatThrownBy(() -> new KafkaSettings("localhost:9092", new Topics(""), Map.of("delivery.timeout.ms", "soon")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delivery.timeout.ms");
    }

    /**
     * A stop that interrupts a sender waiting for a record already sent: an acknowledgement within the grace counts
     * (the record is published, so the work is done), with the interrupt kept for the caller to see.
     */
    @Test
    void aRecordAcknowledgedJustAfterAnInterruptIsSent() throws Exception {
        MockProducer<String, byte[]> slow = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        java.util.concurrent.atomic.AtomicReference<Object> outcome = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean interruptKept = new java.util.concurrent.atomic.AtomicBoolean();
        Thread sender = new Thread(() -> {
            try {
                outcome.set(Delivery.send(slow, record, Duration.ofSeconds(30), "the metrics of r@1"));
            } catch (Exception e) {
                outcome.set(e);
            }
            interruptKept.set(Thread.currentThread().isInterrupted());
        });
        sender.start();
        while (slow.history().isEmpty()) {
            Thread.sleep(5);
        }
        sender.interrupt();
        Thread.sleep(200);
        assertThat(slow.completeNext()).isTrue();
        sender.join(10_000);
        assertThat(outcome.get()).isInstanceOf(org.apache.kafka.clients.producer.RecordMetadata.class);
        assertThat(interruptKept.get()).isTrue();
    }

    /** Not acknowledged within the grace either: the interrupt wins, within the grace. */
    @Test
    void anInterruptedSenderGivesUpAfterTheGrace() throws Exception {
        MockProducer<String, byte[]> never = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        java.util.concurrent.atomic.AtomicReference<Object> outcome = new java.util.concurrent.atomic.AtomicReference<>();
        Thread sender = new Thread(() -> {
            try {
                outcome.set(Delivery.send(never, record, Duration.ofSeconds(60), "x"));
            } catch (Exception e) {
                outcome.set(e);
            }
        });
        sender.start();
        while (never.history().isEmpty()) {
            Thread.sleep(5);
        }
        long t0 = System.nanoTime();
        sender.interrupt();
        sender.join(30_000);
        assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
        assertThat((System.nanoTime() - t0) / 1e9).isBetween(Delivery.GRACE.toSeconds() - 0.5, Delivery.GRACE.toSeconds() + 5.0);
    }
}
