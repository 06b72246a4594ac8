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
    /** How long a sender interrupted by a stop still waits for a record already sent (then it is redelivered work). */
    static final Duration GRACE = Duration.ofSeconds(5);

    private Delivery() {}

    /**
     * Sends {@code record} and waits for its acknowledgement.
     *
     * @param what the record in words, for the error ("metrics of run@12")
     * @throws InterruptedException when interrupted while waiting and the acknowledgement did not come within a grace of
     *     {@link #GRACE} after it (the record may still be delivered); acknowledged within the grace, the record is
     *     returned as sent, with the thread's interrupt status set again, so a stop does not make a published record
     *     look unpublished
     * @throws IllegalStateException when the broker refused it or did not acknowledge it in time
     */
    public static RecordMetadata send(Producer<String, byte[]> producer, ProducerRecord<String, byte[]> record, Duration timeout,
            String what) throws InterruptedException {
        Future<RecordMetadata> sent = producer.send(record);
        try {
            try {
                return sent.get(timeout.plus(MARGIN).toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException stop) {
                RecordMetadata acknowledged = afterInterrupt(sent);
                Thread.currentThread().interrupt();
                if (acknowledged == null) {
                    throw stop;
                }
                return acknowledged;
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish " + what + " to " + record.topic() + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            sent.cancel(false);
            throw new IllegalStateException("cannot publish " + what + " to " + record.topic() + ": not acknowledged within "
                    + timeout.plus(MARGIN).toSeconds() + " s", e);
        }
    }

    /** The acknowledgement of a record already sent, waited for {@link #GRACE} after an interrupt; null if it did not come. */
    private static RecordMetadata afterInterrupt(Future<RecordMetadata> sent) throws ExecutionException {
        long deadline = System.nanoTime() + GRACE.toNanos();
        while (true) {
            try {
                return sent.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException again) {
                if (System.nanoTime() >= deadline) {
                    return null;
                }
            } catch (TimeoutException e) {
                return null;
            }
        }
    }
}
