package io.eoscope.trainer.stream;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.streaming.Messages;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.solve.StepRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;

/**
 * Streams a training run to Kafka: its configuration ({@code runs}), its dataset ({@code datasets},
 * keyed by content hash), one telemetry record per step and every snapshot ({@code snapshots}, gzip
 * chunks). The producer is idempotent with acks=all and retries until delivered (a broker restart
 * loses nothing); its buffer is bounded, so a slow broker slows the trainer instead of filling memory.
 * A fatal error (authorization, authentication) stops the run.
 */
public final class SnapshotPublisher implements TrainingListener, AutoCloseable {
    private final KafkaSettings settings;
    private final Producer<String, byte[]> producer;
    private final TrainingListener next;
    private final AtomicReference<Exception> fatal = new AtomicReference<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile boolean stop;
    private String run;
    private JsonObject runRecord;
    private boolean closed;

    /** @param next another listener told everything too (progress bar), or {@link TrainingListener#NONE} */
    public SnapshotPublisher(KafkaSettings settings, TrainingListener next) {
        this(settings, new KafkaProducer<>(settings.producer("eos-trainer")), next);
    }

    /** With a given producer (tests). */
    public SnapshotPublisher(KafkaSettings settings, Producer<String, byte[]> producer, TrainingListener next) {
        this.settings = settings;
        this.producer = producer;
        this.next = next;
    }

    @Override
    public void started(RunConfig config, LabeledData data, String datasetHash) {
        run = config.run();
        JsonObject o = JsonParser.parseString(config.toJson()).getAsJsonObject();
        o.addProperty("dataset_hash", datasetHash);
        o.addProperty("status", "running");
        runRecord = o;
        send(io.eoscope.wire.Records.json(settings.topics().runs(), run, o));
        Messages.EncodedDataset encoded = Messages.dataset(data, config.dtype().equals("float64")
                ? io.eoscope.curvature.io.DType.F64 : io.eoscope.curvature.io.DType.F32);
        Messages.dataset(settings.topics(), encoded).forEach(this::send);
        // Every snapshot names this dataset, and an analyzer that cannot find it dead-letters the snapshot.
        // The snapshot topic is another partition, so a small snapshot can overtake a large dataset still in
        // the producer's buffer: wait until the dataset is acknowledged (acks=all) before the first snapshot.
        producer.flush();
        next.started(config, data, datasetHash);
    }

    @Override
    public void stepped(StepRecord r) {
        JsonObject o = new JsonObject();
        o.addProperty("run", run);
        o.addProperty("step", r.step());
        o.addProperty("time", r.time());
        o.addProperty("loss", r.loss());
        o.addProperty("accuracy", r.accuracy());
        o.addProperty("step_size", r.stepSize());
        if (!Double.isNaN(r.sharpness())) {
            o.addProperty("sharpness", r.sharpness());
        }
        o.addProperty("products", r.products());
        send(io.eoscope.wire.Records.json(settings.topics().telemetry(), run, o));
        next.stepped(r);
    }

    @Override
    public void snapshot(long step, double time, Path file) {
        try {
            List<ProducerRecord<String, byte[]>> records = Messages.snapshot(settings.topics(), run, step, Files.readAllBytes(file));
            records.forEach(this::send);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        next.snapshot(step, time, file);
    }

    @Override
    public void warning(String message) {
        next.warning(message);
    }

    @Override
    public boolean stopRequested() {
        if (fatal.get() != null) {
            throw new IllegalStateException("Kafka refused the trainer: " + fatal.get().getMessage(), fatal.get());
        }
        return stop || next.stopRequested();
    }

    /** Ends the run after the current step (its final snapshot is still sent). */
    public void requestStop() {
        stop = true;
    }

    /** Records acknowledged by the broker. */
    public long sent() {
        return sent.get();
    }

    /** Records that failed for good. */
    public long failed() {
        return failed.get();
    }

    private void send(ProducerRecord<String, byte[]> record) {
        producer.send(record, (meta, e) -> {
            if (e == null) {
                sent.incrementAndGet();
            } else {
                failed.incrementAndGet();
                if (e instanceof AuthorizationException || e instanceof AuthenticationException) {
                    fatal.compareAndSet(null, e);
                }
            }
        });
    }

    /** A training run that may stop with bad input. */
    public interface Training<T> {
        T run() throws InputException;
    }

    /**
     * Runs {@code training}, which publishes through this publisher, and closes it: the run is marked
     * {@code finished} when training returns and {@code failed}, with the reason, when it throws (the
     * exception is rethrown), so that a run that stopped on an error is never shown as finished.
     */
    public <T> T publish(Training<T> training) throws InputException {
        try {
            T result = training.run();
            close();
            return result;
        } catch (InputException | RuntimeException | Error e) {
            finish("failed", e.getMessage() != null ? e.getMessage() : e.toString());
            throw e;
        }
    }

    /** Marks the run finished in the runs topic, flushes every record still buffered, closes the producer. */
    @Override
    public void close() {
        finish("finished", null);
    }

    private synchronized void finish(String status, String failure) {
        if (closed) {
            return;
        }
        closed = true;
        if (runRecord != null) {
            JsonObject done = runRecord.deepCopy();
            done.addProperty("status", status);
            if (failure != null) {
                done.addProperty("failure", failure);
            }
            send(io.eoscope.wire.Records.json(settings.topics().runs(), run, done));
        }
        producer.flush();
        producer.close();
    }
}
