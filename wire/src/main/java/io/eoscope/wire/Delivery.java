package io.eoscope.wire;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Sends a record and waits for the broker's acknowledgement within a finite time: the producer's delivery
 * timeout ({@link KafkaSettings#deliveryTimeout()}) and a margin. A record the broker did not take is an
 * {@link IllegalStateException} naming what was sent and why; the caller decides whether it can survive it
 * (the analyzer cannot: it stops, loudly, and its records are delivered again to whoever takes its place).
 */
public final class Delivery {
    private static final Duration MARGIN = Duration.ofSeconds(2);

    private Delivery() {}

    /**
     * Sends {@code record} and waits for its acknowledgement.
     *
     * @param what the record in words, for the error ("metrics of run@12")
     * @throws InterruptedException when interrupted while waiting (the record may still be delivered)
     * @throws IllegalStateException when the broker refused it or did not acknowledge it in time
     */
    public static RecordMetadata send(Producer<String, byte[]> producer, ProducerRecord<String, byte[]> record, Duration timeout,
            String what) throws InterruptedException {
        Future<RecordMetadata> sent = producer.send(record);
        try {
            return sent.get(timeout.plus(MARGIN).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish " + what + " to " + record.topic() + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            sent.cancel(false);
            throw new IllegalStateException("cannot publish " + what + " to " + record.topic() + ": not acknowledged within "
                    + timeout.plus(MARGIN).toSeconds() + " s", e);
        }
    }
}
