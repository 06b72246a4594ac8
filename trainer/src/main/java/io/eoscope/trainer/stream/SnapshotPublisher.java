package io.eoscope.trainer.stream;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.run.TrainingRun;
import io.eoscope.trainer.solve.StepRecord;
import io.eoscope.wire.FieldRules;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Payloads;
import io.eoscope.wire.Records;
import io.eoscope.wire.RunRecord;
import io.eoscope.wire.TelemetryRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a training run to Kafka (wire schema 1): its configuration and status ({@code runs}), its
 * dataset ({@code datasets}, keyed by content hash), one telemetry record per step plus a heartbeat
 * every few seconds ({@code telemetry}), and every snapshot ({@code snapshots}, in chunks that the producer compresses with lz4).
 *
 * <p>The producer is idempotent with acks=all and retries a record until the delivery timeout
 * ({@link StreamOptions#deliveryTimeout()}), so a broker restart loses nothing; its buffer is bounded,
 * so a slow broker slows the trainer instead of filling memory. A record that fails for good (its
 * callback reports an error, or {@code send()} itself gives up) stops the run with a
 * {@link DeliveryFailedException} that says how many records were lost and why: a run is never
 * reported as done with a hole in its stream. Its last runs record says {@code finished} only when
 * training reached its stopping rule and every record was acknowledged; otherwise {@code failed} with
 * the reason.
 *
 * <p>A resumed run ({@code eos train --resume}) continues the stream: the runs record again (status
 * running, {@code resumed_from_step}), the dataset (same key, so idempotent), the telemetry the stream
 * is missing of the steps before the resumed one (read back from the topic, filled from the run's
 * trajectory file), then only steps the stream has not seen. See {@link #started}.
 */
public final class SnapshotPublisher implements TrainingListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotPublisher.class);
    private final KafkaSettings settings;
    private final StreamOptions options;
    private final Producer<String, byte[]> producer;
    private final TrainingListener next;
    private final AtomicReference<Exception> fatal = new AtomicReference<>();
    private final AtomicReference<Exception> firstLoss = new AtomicReference<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final ScheduledExecutorService heartbeat;
    private volatile boolean stop;
    private volatile boolean closing;
    /** The last step whose record was taken (published or already in the stream); −1 before any. */
    private volatile long lastStep = -1;
    private volatile String run;
    private RunRecord runRecord;
    /** Steps up to this one are in the stream already (a resumed run): not published again. */
    private long publishedUpTo = -1;
    private boolean closed;

    /** With the default stream options. */
    public SnapshotPublisher(KafkaSettings settings, TrainingListener next) {
        this(settings, StreamOptions.DEFAULTS, next);
    }

    /** @param next another listener told everything too (progress bar), or {@link TrainingListener#NONE} */
    public SnapshotPublisher(KafkaSettings settings, StreamOptions options, TrainingListener next) {
        this(settings, options, new KafkaProducer<>(settings.producer("eos-trainer", options.deliveryTimeout())), next);
    }

    /** With a given producer (tests) and the default stream options. */
    public SnapshotPublisher(KafkaSettings settings, Producer<String, byte[]> producer, TrainingListener next) {
        this(settings, StreamOptions.DEFAULTS, producer, next);
    }

    /** With a given producer (tests). */
    public SnapshotPublisher(KafkaSettings settings, StreamOptions options, Producer<String, byte[]> producer,
            TrainingListener next) {
        this.settings = settings;
        this.options = options;
        this.producer = producer;
        this.next = next;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "eos-trainer-heartbeat");
            t.setDaemon(true); // never keeps a process alive
            return t;
        });
    }

    @Override
    public void started(RunConfig config, LabeledData data, String datasetHash) {
        started(config, data, datasetHash, -1, List.of());
    }

    /**
     * Publishes the runs record (status running) and the dataset, and starts the heartbeat. For a resumed
     * run ({@code resumedFrom} ≥ 0) it first reads back the highest step of this run already on the
     * telemetry topic, P; it publishes the rows of {@code earlier} after P (a crash can lose the records
     * still in the producer's buffer), and later skips every step up to P: the resumed trainer recomputes
     * those steps bit for bit, and the stream has them already. The resumed step's snapshot is published
     * again (it is where the resumed run starts; a second analysis of it replaces the first, metrics being
     * keyed by run, step and analysis).
     */
    @Override
    public void started(RunConfig config, LabeledData data, String datasetHash, long resumedFrom, List<StepRecord> earlier) {
        run = config.run();
        JsonObject o = JsonParser.parseString(config.toJson()).getAsJsonObject();
        o.addProperty("dataset_hash", datasetHash);
        if (resumedFrom >= 0) {
            o.addProperty("resumed_from_step", resumedFrom);
        }
        runRecord = new RunRecord(run, o, RunRecord.Status.RUNNING, null);
        long inStream = -1;
        if (resumedFrom >= 0) {
            inStream = TelemetryReadBack.lastStep(settings, run, options.deliveryTimeout());
        }
        send(runsRecord(runRecord));
        Payloads.Addressed encoded = Payloads.Addressed.of(DatasetFile.encode(data, config.dtype().equals("float64") ? DType.F64 : DType.F32));
        Payloads.dataset(settings.topics(), encoded).forEach(this::send);
        if (resumedFrom >= 0) {
            int filled = 0;
            for (StepRecord r : earlier) {
                if (r.step() > inStream) {
                    send(Records.json(settings.topics().telemetry(), run, stepRecord(run, r)));
                    filled++;
                }
            }
            publishedUpTo = inStream;
            lastStep = Math.max(resumedFrom - 1, inStream);
            LOG.info("run {} resumed from step {}: the stream had steps up to {}; {} earlier steps filled in from the"
                    + " trajectory file, steps up to {} not published again", run, resumedFrom, inStream, filled, inStream);
        } else {
            LOG.info("run {} started: streaming to {} (dataset {})", run, settings.bootstrapServers(), datasetHash);
        }
        // Every snapshot names this dataset, and an analyzer that cannot find it dead-letters the snapshot.
        // The snapshot topic is another partition, so a small snapshot can overtake a large dataset still in
        // the producer's buffer: wait until the dataset is acknowledged (acks=all) before the first snapshot.
        producer.flush();
        checkDelivery();
        long every = options.heartbeat().toMillis();
        heartbeat.scheduleAtFixedRate(this::beat, every, every, TimeUnit.MILLISECONDS);
        next.started(config, data, datasetHash, resumedFrom, earlier);
    }

    @Override
    public void stepped(StepRecord r) {
        if (r.step() > publishedUpTo) {
            send(Records.json(settings.topics().telemetry(), run, stepRecord(run, r)));
        }
        lastStep = Math.max(lastStep, r.step());
        checkDelivery();
        next.stepped(r);
    }

    /** The final state is streamed as the step record of step N: the gateway's last loss is the final model's. */
    @Override
    public void finalState(StepRecord r) {
        if (r.step() > publishedUpTo) {
            send(Records.json(settings.topics().telemetry(), run, stepRecord(run, r)));
        }
        lastStep = Math.max(lastStep, r.step());
        checkDelivery();
        next.finalState(r);
    }

    /**
     * The schema-1 step record (the wire module's): a non-finite number is written as null (JSON has no NaN); the run's
     * stability value, threshold and ratio, and the epoch, where the trainer knows them.
     */
    static JsonObject stepRecord(String run, StepRecord r) {
        return new TelemetryRecord.Step(run, r.step(), r.time(), r.loss(), r.accuracy(), r.stepSize(), r.sharpness(), r.products(),
                r.stability(), r.stabilityThreshold(), r.epoch()).toJson();
    }

    @Override
    public void snapshot(long step, double time, Path file) {
        FieldRules.step("step", step); // the rules the analyzer reads its metadata with (SnapshotMetadata)
        FieldRules.known("time", FieldRules.time("time", time));
        try {
            List<ProducerRecord<String, byte[]>> records = Payloads.snapshot(settings.topics(), run, step, Files.readAllBytes(file));
            records.forEach(this::send);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        checkDelivery();
        next.snapshot(step, time, file);
    }

    @Override
    public void warning(String message) {
        next.warning(message);
    }

    @Override
    public boolean stopRequested() {
        checkDelivery();
        return stop || next.stopRequested();
    }

    /** Ends the run after the current step (its final snapshot is still sent; it is published as failed: stopped early). */
    public void requestStop() {
        stop = true;
    }

    /** Records acknowledged by the broker. */
    public long sent() {
        return sent.get();
    }

    /** Records that failed for good. */
    public long failed() {
        return lost.get();
    }

    private void beat() {
        String r = run;
        if (closing || r == null) {
            return;
        }
        send(Records.json(settings.topics().telemetry(), r, new TelemetryRecord.Heartbeat(r, lastStep, System.currentTimeMillis()).toJson()));
    }

    private void send(ProducerRecord<String, byte[]> record) {
        try {
            producer.send(record, (meta, e) -> {
                if (e == null) {
                    sent.incrementAndGet();
                } else {
                    lose(e);
                }
            });
        } catch (InterruptException e) {
            if (!closing) { // a heartbeat interrupted by the end of the run was never accepted: nothing is lost
                lose(e);
            }
        } catch (RuntimeException e) { // max.block.ms passed without metadata or buffer space, or the producer failed
            lose(e);
        }
    }

    private void lose(Exception e) {
        lost.incrementAndGet();
        firstLoss.compareAndSet(null, e);
        if (e instanceof AuthorizationException || e instanceof AuthenticationException) {
            fatal.compareAndSet(null, e);
        }
    }

    /** Throws as soon as a record has failed for good. */
    private void checkDelivery() {
        if (lost.get() > 0) {
            throw deliveryFailure();
        }
    }

    private DeliveryFailedException deliveryFailure() {
        Exception cause = firstLoss.get();
        String why = cause == null ? "unknown" : cause.getMessage() != null ? cause.getMessage() : cause.toString();
        String message = fatal.get() != null
                ? "lost " + lost.get() + " records: Kafka refused the trainer (" + why + ")"
                : "lost " + lost.get() + " records: delivery to the broker failed after "
                        + options.deliveryTimeout().toSeconds() + " s (" + why + ")";
        return new DeliveryFailedException(lost.get(), message, cause);
    }

    /** A training run that may stop with bad input. */
    public interface Training<T> {
        T run() throws InputException;
    }

    /**
     * Runs {@code training}, which publishes through this publisher, and closes it. The run is marked
     * {@code finished} only when training returns by its stopping rule and every record was delivered;
     * otherwise {@code failed} with the reason (the exception thrown, a stop before the stopping rule, or
     * the records lost), so that a run that did not end normally is never shown as finished. Throws what
     * training threw, or a {@link DeliveryFailedException} when records were lost.
     */
    public <T> T publish(Training<T> training) throws InputException {
        T result;
        try {
            result = training.run();
        } catch (InputException | RuntimeException | Error e) {
            String reason = e.getMessage() != null ? e.getMessage() : e.toString();
            DeliveryFailedException lostToo = finish("failed", reason);
            if (lostToo != null && e instanceof DeliveryFailedException) {
                throw lostToo; // the same failure, with the final count
            }
            if (lostToo != null) {
                e.addSuppressed(lostToo);
            }
            throw e;
        }
        String early = null;
        if (result instanceof TrainingRun.Outcome outcome && outcome.stoppedEarly()) {
            early = "stopped at step " + outcome.steps() + " before its stopping rule (the trainer was asked to stop)";
        }
        DeliveryFailedException failure = finish(early == null ? "finished" : "failed", early);
        if (failure != null) {
            throw failure;
        }
        return result;
    }

    /** Marks the run finished (if nothing failed), flushes every record still buffered, closes the producer. */
    @Override
    public void close() {
        DeliveryFailedException failure = finish("finished", null);
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Stops the heartbeat, waits for every record sent so far, publishes the final runs record (failed
     * instead of finished when records were lost) and closes the producer, within the delivery timeout
     * each. Returns the delivery failure, if any record was lost; null otherwise or if already closed.
     */
    private synchronized DeliveryFailedException finish(String status, String failure) {
        if (closed) {
            return null;
        }
        closed = true;
        closing = true;
        heartbeat.shutdownNow();
        try {
            heartbeat.awaitTermination(options.deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (runRecord != null) {
            flushQuietly(); // every callback so far has run: lost() is final for what was sent before
            if (lost.get() > 0 && "finished".equals(status)) {
                status = "failed";
                failure = deliveryFailure().getMessage();
            }
            send(runsRecord(runRecord.withStatus("failed".equals(status) ? RunRecord.Status.FAILED : RunRecord.Status.FINISHED,
                    failure)));
        }
        flushQuietly();
        try {
            producer.close(options.deliveryTimeout());
        } catch (RuntimeException e) {
            lose(e);
        }
        DeliveryFailedException lostRecords = lost.get() > 0 ? deliveryFailure() : null; // the final count
        if (lostRecords == null && runRecord != null && "finished".equals(status)) {
            LOG.info("run {} finished: {} records delivered", run, sent.get());
        } else if (lostRecords != null && (failure == null || failure.startsWith("lost "))) {
            LOG.error("run {} failed: {}", run, lostRecords.getMessage()); // one line: the loss is the failure
        } else if (lostRecords != null) {
            LOG.error("run {} failed: {}; and it {}", run, failure, lostRecords.getMessage());
        } else if (runRecord != null) {
            LOG.error("run {} failed: {}", run, failure);
        }
        return lostRecords;
    }

    /** The runs record of the wire contract, stamped with the time it is sent. */
    private ProducerRecord<String, byte[]> runsRecord(RunRecord r) {
        JsonObject o = r.toJson();
        o.addProperty("updated_at", System.currentTimeMillis());
        return Records.json(settings.topics().runs(), run, o);
    }

    private void flushQuietly() {
        try {
            producer.flush();
        } catch (RuntimeException e) {
            lose(e);
        }
    }
}
