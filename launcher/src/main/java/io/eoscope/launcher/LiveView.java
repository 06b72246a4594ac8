package io.eoscope.launcher;

import com.google.gson.JsonObject;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.streaming.Messages;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * The demo's live progress line (until the gateway's web page exists): reads one run's telemetry and
 * metrics back from Kafka and prints step, t, loss, sharpness against 2/η, and the analysed snapshots.
 */
final class LiveView implements Runnable, AutoCloseable {
    private final KafkaSettings settings;
    private final String run;
    private final long totalSteps;
    private final PrintStream out;
    private final boolean terminal = System.console() != null;
    private final KafkaConsumer<String, byte[]> consumer;
    private volatile boolean running = true;
    private JsonObject telemetry;
    private JsonObject metrics;
    private volatile long analysed;
    private long lastPrint;

    LiveView(KafkaSettings settings, String run, long totalSteps, PrintStream out) {
        this.settings = settings;
        this.run = run;
        this.totalSteps = totalSteps;
        this.out = out;
        this.consumer = new KafkaConsumer<>(settings.consumer("eos-demo-view", null));
    }

    @Override
    public void run() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(settings.topics().telemetry(), settings.topics().metrics())) {
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
        }
        consumer.assign(partitions); // two topics at once: TopicScan takes one
        consumer.seekToBeginning(partitions);
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                    try {
                        JsonObject o = io.eoscope.wire.Records.json(r);
                        if (!o.has("run") || !run.equals(o.get("run").getAsString())) {
                            continue;
                        }
                        if (r.topic().equals(settings.topics().telemetry())) {
                            telemetry = o;
                        } else {
                            metrics = o;
                            analysed++;
                        }
                    } catch (MalformedRecordException e) {
                        // not ours to judge: the analyzer dead-letters bad records
                    }
                }
                print(false);
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            // closing
        }
    }

    /** Metrics records seen for the run. */
    long analysed() {
        return analysed;
    }

    void print(boolean force) {
        long now = System.nanoTime();
        if (telemetry == null || !force && now - lastPrint < (terminal ? 250_000_000L : 5_000_000_000L)) {
            return;
        }
        lastPrint = now;
        double eta = telemetry.get("step_size").getAsDouble();
        String sharp = telemetry.has("sharpness") ? String.format(Locale.ROOT, "%.4g", telemetry.get("sharpness").getAsDouble()) : "-";
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "step %d/%d  t=%.4g  loss=%.5g  sharpness=%s  2/η=%.4g", telemetry.get("step").getAsLong() + 1, totalSteps,
                telemetry.get("time").getAsDouble(), telemetry.get("loss").getAsDouble(), sharp, 2 / eta));
        if (metrics != null) {
            line.append(String.format(Locale.ROOT, "  | analysed %d snapshots, at step %d: λmax(G)=%.4g  P_ΔJ¹=%s", analysed,
                    metrics.get("step").getAsLong(), metrics.has("rho_K") ? metrics.get("rho_K").getAsDouble() : Double.NaN,
                    metrics.has("layers") ? String.format(Locale.ROOT, "%.3g", metrics.getAsJsonArray("layers").get(0)
                            .getAsJsonObject().get("p_delta_J").getAsDouble()) : "-"));
        }
        if (terminal) {
            out.print("\r" + line + "   ");
        } else {
            out.println(line);
        }
        out.flush();
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
    }

    /** Closes the consumer (from the view's own thread's owner, after it ended). */
    void release() {
        consumer.close();
    }
}
