package io.eoscope.reproduce;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads one run's telemetry (loss, sharpness, t per step) and metrics (the analyzers' reports of its
 * snapshots) back from Kafka, from the topics' ends at {@link #begin()} on, into rows keyed by step (a
 * re-delivered record replaces its twin: the pipeline is at-least-once). Memory: one row per step; the
 * spectral densities and traces of the snapshots that carry them in {@link SpectrumTables}, bounded.
 */
final class RunCollector implements AutoCloseable {
    /** The telemetry columns. */
    static final String[] TELEMETRY = {"step", "time", "loss", "accuracy", "step_size", "sharpness", "stability",
        "stability_threshold"};
    /** The per-layer metrics fields (docs/contracts.md#eos-analyze-json). */
    static final String[] LAYER_FIELDS = {"gauss_newton_top", "K_max_sq_mean", "pi_chi", "p_chi_delta", "pi_J",
        "p_delta_J", "delta_L_max_sq_mean"};
    private final KafkaSettings settings;
    private final String run;
    private final String analysisId;
    private final int layers;
    private final KafkaConsumer<String, byte[]> consumer;
    private final TreeMap<Long, double[]> telemetry = new TreeMap<>();
    private final TreeMap<Long, double[]> metrics = new TreeMap<>();
    private final List<String> deadLetters = new ArrayList<>();
    private final SpectrumTables spectrum;

    RunCollector(KafkaSettings settings, String run, String analysisId, int layers) {
        this(settings, run, analysisId, layers, SpectrumTables.DEFAULT_LIMIT);
    }

    /** @param densityLimit the most density rows kept for the run (see {@link SpectrumTables}) */
    RunCollector(KafkaSettings settings, String run, String analysisId, int layers, int densityLimit) {
        this.spectrum = new SpectrumTables(densityLimit);
        this.settings = settings;
        this.run = run;
        this.analysisId = analysisId;
        this.layers = layers;
        this.consumer = new KafkaConsumer<>(settings.consumer("eos-reproduce-" + run, null));
    }

    /** The metrics columns for L layers. */
    static String[] metricsColumns(int layers) {
        List<String> c = new ArrayList<>(List.of("step", "time", "loss", "hessian", "gauss_newton", "residual", "rho_K",
                "K_max_sq_mean"));
        for (int l = 1; l <= layers; l++) {
            for (String f : LAYER_FIELDS) {
                c.add("layer" + l + "." + f);
            }
        }
        return c.toArray(String[]::new);
    }

    /** Positions at the current ends of the telemetry, metrics and dead-letter topics: call before the run starts. */
    void begin() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(settings.topics().telemetry(), settings.topics().metrics(), settings.topics().deadletter())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(60));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("the topic " + topic + " does not exist");
            }
            for (PartitionInfo p : infos) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the lazy seek now, before the run's first record
    }

    /** The reasons the analyzers gave for dead-lettering this run's snapshots (empty when none was). */
    List<String> deadLetters() {
        return List.copyOf(deadLetters);
    }

    /** Polls once; true when something of this run arrived. */
    boolean poll(Duration wait) {
        boolean any = false;
        for (ConsumerRecord<String, byte[]> r : consumer.poll(wait)) {
            JsonObject o;
            try {
                o = io.eoscope.wire.Records.json(r);
            } catch (MalformedRecordException e) {
                continue; // not ours to judge: the analyzers dead-letter bad records
            }
            if (r.topic().equals(settings.topics().deadletter())) {
                // an analyzer refused one of this run's snapshots (keyed by the run): its metrics will never come
                if (o.has("key") && run.equals(o.get("key").getAsString()) && o.has("topic")
                        && settings.topics().snapshots().equals(o.get("topic").getAsString())) {
                    deadLetters.add(o.has("reason") ? o.get("reason").getAsString() : "no reason given");
                    any = true;
                }
                continue;
            }
            if (!o.has("run") || !run.equals(o.get("run").getAsString())) {
                continue;
            }
            if (r.topic().equals(settings.topics().telemetry())) {
                if (o.has("type") && !"step".equals(o.get("type").getAsString())) {
                    continue; // a heartbeat (wire schema 1): says the trainer is alive, holds no step's numbers
                }
                telemetry.put(o.get("step").getAsLong(), new double[] {o.get("step").getAsDouble(), num(o, "time"),
                    num(o, "loss"), num(o, "accuracy"), num(o, "step_size"), num(o, "sharpness"), num(o, "stability"),
                    num(o, "stability_threshold")});
                any = true;
            } else if (o.has("analysis_id") && analysisId.equals(o.get("analysis_id").getAsString())) {
                metrics.put(o.get("step").getAsLong(), metricsRow(o));
                spectrum.add(o);
                any = true;
            }
        }
        return any;
    }

    private double[] metricsRow(JsonObject o) {
        double[] row = new double[8 + layers * LAYER_FIELDS.length];
        row[0] = o.get("step").getAsDouble();
        row[1] = num(o, "time");
        row[2] = num(o, "loss");
        row[3] = top(o, "hessian");
        row[4] = top(o, "gauss_newton");
        row[5] = top(o, "residual");
        row[6] = num(o, "rho_K");
        row[7] = num(o, "K_max_sq_mean");
        JsonArray ls = o.has("layers") ? o.getAsJsonArray("layers") : new JsonArray();
        for (int l = 0; l < layers; l++) {
            for (int f = 0; f < LAYER_FIELDS.length; f++) {
                row[8 + l * LAYER_FIELDS.length + f] = l < ls.size() ? num(ls.get(l).getAsJsonObject(), LAYER_FIELDS[f])
                        : Double.NaN;
            }
        }
        return row;
    }

    private static double top(JsonObject o, String spectrum) {
        if (!o.has(spectrum) || !o.get(spectrum).isJsonObject()) {
            return Double.NaN;
        }
        JsonArray e = o.getAsJsonObject(spectrum).getAsJsonArray("eigenvalues");
        return e == null || e.isEmpty() || e.get(0).isJsonNull() ? Double.NaN : e.get(0).getAsDouble();
    }

    private static double num(JsonObject o, String name) {
        JsonElement e = o.get(name);
        return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
    }

    /** The newest telemetry step received (−1: none). */
    long lastStep() {
        return telemetry.isEmpty() ? -1 : telemetry.lastKey();
    }

    /** The continuous time of the newest telemetry (0: none). */
    double lastTime() {
        return telemetry.isEmpty() ? 0 : telemetry.lastEntry().getValue()[1];
    }

    /** Snapshots analysed so far. */
    int analysed() {
        return metrics.size();
    }

    Csv telemetry() {
        return table(TELEMETRY, telemetry);
    }

    Csv metrics() {
        return table(metricsColumns(layers), metrics);
    }

    /** The spectral densities and traces of the snapshots that carried them. */
    SpectrumTables spectrum() {
        return spectrum;
    }

    private static Csv table(String[] columns, Map<Long, double[]> rows) {
        Csv csv = new Csv(columns);
        for (double[] r : rows.values()) {
            Object[] values = new Object[r.length];
            for (int i = 0; i < r.length; i++) {
                values[i] = i == 0 ? (Object) (long) r[0] : (Object) r[i];
            }
            csv.row(values);
        }
        return csv;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
