package io.eoscope.bench;

import com.google.gson.JsonObject;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Payloads;
import io.eoscope.wire.Records;
import io.eoscope.wire.RunRecord;
import io.eoscope.wire.TelemetryRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The simulated runs of the fleet harness, published with eoscope's own wire classes through one shared producer, as a
 * lab's training jobs would through the Python client: each run's runs record and dataset, then snapshots (a small MLP
 * whose parameters drift from step to step) and telemetry steps, spread evenly over the duration at the given rate, and
 * at the end each run's record again with status finished. It remembers when each snapshot was sent, for the staleness.
 */
final class FleetLoad implements AutoCloseable {
    /** What to publish. */
    record Plan(int runs, int datasets, int[] widths, int n, double snapshotsPerSecond, double seconds, int telemetryPerSnapshot,
            int stepsPerSnapshot, double lr, long seed) {
        long snapshots() {
            return Math.round(snapshotsPerSecond * seconds);
        }
    }

    private final KafkaSettings settings;
    private final Plan plan;
    private final Producer<String, byte[]> producer;
    private final Map<String, Long> sentAt = new ConcurrentHashMap<>();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong telemetrySent = new AtomicLong();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final List<String> datasetHashes = new ArrayList<>();
    private final List<MlpModel> models = new ArrayList<>();
    private final String prefix;

    FleetLoad(KafkaSettings settings, Plan plan, String runPrefix) {
        this.settings = settings;
        this.plan = plan;
        this.prefix = runPrefix;
        this.producer = new KafkaProducer<>(settings.producer("eos-fleet-load"));
    }

    static String key(String run, long step) {
        return run + "@" + step;
    }

    String run(int i) {
        return String.format("%s%04d", prefix, i);
    }

    /** Publishes the datasets and every run's record (status running), and waits for them to be acknowledged. */
    void prepare() throws Exception {
        Random rng = new Random(plan.seed());
        int classes = plan.widths()[plan.widths().length - 1];
        int width = plan.widths()[0];
        for (int d = 0; d < plan.datasets(); d++) {
            double[] x = new double[plan.n() * width];
            int[] y = new int[plan.n()];
            for (int i = 0; i < x.length; i++) {
                x[i] = rng.nextGaussian();
            }
            for (int i = 0; i < y.length; i++) {
                y[i] = rng.nextInt(classes);
            }
            Payloads.Addressed data = Payloads.Addressed.of(DatasetFile.encode(new LabeledData(plan.n(), width, x, y), DType.F64));
            datasetHashes.add(data.hash());
            Payloads.dataset(settings.topics(), data).forEach(this::send);
        }
        for (int r = 0; r < plan.runs(); r++) {
            models.add(MlpModel.initialise(plan.widths(), Activation.ELU, Loss.MSE, plan.seed() * 100_003 + r));
            send(runRecord(r, RunRecord.Status.RUNNING));
        }
        producer.flush();
        check();
    }

    private ProducerRecord<String, byte[]> runRecord(int r, RunRecord.Status status) {
        JsonObject c = new JsonObject();
        c.addProperty("run", run(r));
        c.addProperty("dataset", "fleet");
        c.addProperty("n", plan.n());
        c.addProperty("classes", plan.widths()[plan.widths().length - 1]);
        c.addProperty("architecture", new MlpModel(plan.widths(), Activation.ELU, Loss.MSE, models.get(r).weights(),
                models.get(r).biases(), Map.of()).architecture());
        c.addProperty("activation", "elu");
        c.addProperty("loss", "mse");
        c.addProperty("optimizer", "gd");
        c.addProperty("learningRate", plan.lr());
        c.addProperty("dtype", "float64");
        c.addProperty("dataset_hash", dataset(r));
        JsonObject o = new RunRecord(run(r), c, status, null).toJson();
        o.addProperty("updated_at", System.currentTimeMillis());
        return Records.json(settings.topics().runs(), run(r), o);
    }

    private String dataset(int r) {
        return datasetHashes.get(r % datasetHashes.size());
    }

    /**
     * Publishes the snapshots and telemetry at the plan's rate (snapshot i of the whole fleet at i / rate seconds, run i mod R),
     * then every run's record with status finished; returns when all are acknowledged.
     *
     * @param progress called after each snapshot with how many were sent
     */
    void publish(java.util.function.LongConsumer progress) throws Exception {
        long total = plan.snapshots();
        long t0 = System.nanoTime();
        Random rng = new Random(plan.seed() + 7);
        for (long i = 0; i < total; i++) {
            long due = t0 + (long) (i * 1e9 / plan.snapshotsPerSecond());
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            int r = (int) (i % plan.runs());
            long round = i / plan.runs();
            long step = round * plan.stepsPerSnapshot();
            int steps = round == 0 ? 1 : plan.telemetryPerSnapshot(); // step 0, then the steps since the run's previous snapshot
            for (int k = 0; k < steps; k++) {
                long s = round == 0 ? 0 : step - plan.stepsPerSnapshot() + 1 + (long) k * plan.stepsPerSnapshot() / steps;
                double loss = 1.0 / (1 + 0.01 * s);
                send(Records.json(settings.topics().telemetry(), run(r), new TelemetryRecord.Step(run(r), s, s * plan.lr(), loss,
                        Double.NaN, plan.lr(), Double.NaN, 0).toJson()));
                telemetrySent.incrementAndGet();
            }
            MlpModel next = drift(models.get(r), rng);
            models.set(r, next);
            MlpModel snapshot = next.withMetadata(Map.of("run", run(r), "step", Long.toString(step), "time",
                    Double.toString(step * plan.lr()), "dataset", dataset(r), "lr", Double.toString(plan.lr())));
            byte[] bytes = ModelFile.encode(snapshot, DType.F64);
            sentAt.put(key(run(r), step), System.currentTimeMillis());
            Payloads.snapshot(settings.topics(), run(r), step, bytes).forEach(this::send);
            check();
            progress.accept(i + 1);
        }
        for (int r = 0; r < plan.runs(); r++) {
            send(runRecord(r, RunRecord.Status.FINISHED));
        }
        producer.flush();
        check();
    }

    /** The model one small step on: every parameter moved by 1e-3 of a standard normal (consecutive snapshots stay close). */
    private static MlpModel drift(MlpModel m, Random rng) {
        List<double[]> w = new ArrayList<>();
        List<double[]> b = new ArrayList<>();
        for (double[] a : m.weights()) {
            w.add(moved(a, rng));
        }
        for (double[] a : m.biases()) {
            b.add(moved(a, rng));
        }
        return new MlpModel(m.widths(), m.activation(), m.loss(), w, b, Map.of());
    }

    private static double[] moved(double[] a, Random rng) {
        double[] out = a.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += 1e-3 * rng.nextGaussian();
        }
        return out;
    }

    private void send(ProducerRecord<String, byte[]> record) {
        bytesSent.addAndGet(record.value().length);
        producer.send(record, (meta, e) -> {
            if (e != null) {
                failure.compareAndSet(null, e);
            } else {
                acknowledged.incrementAndGet();
            }
        });
    }

    /** A record the broker refused ends the harness: a load that lost records measures nothing. */
    private void check() throws Exception {
        if (failure.get() != null) {
            throw new IllegalStateException("the broker did not take a record of the load: " + failure.get(), failure.get());
        }
    }

    /** When each snapshot (key {@code run@step}) was sent, epoch ms. */
    Map<String, Long> sentAt() {
        return sentAt;
    }

    long telemetrySent() {
        return telemetrySent.get();
    }

    long bytesSent() {
        return bytesSent.get();
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(30));
    }
}
