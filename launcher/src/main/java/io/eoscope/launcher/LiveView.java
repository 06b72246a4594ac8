package io.eoscope.launcher;

import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.TelemetryRecord;
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
 * metrics back from Kafka and prints step, t, loss, sharpness, the run's own stability threshold (2/η for GD) and, where
 * the trainer computed it, the stability ratio, and the analysed snapshots.
 * Reads the typed records of the wire module; heartbeats, other runs, other analyses and records it cannot
 * read are skipped (the gateway counts and dead-letters bad records).
 */
final class LiveView implements Runnable, AutoCloseable {
    private final KafkaSettings settings;
    private final String run;
    private final long totalSteps;
    private final PrintStream out;
    private final boolean terminal = System.console() != null;
    private final KafkaConsumer<String, byte[]> consumer;
    private volatile boolean running = true;
    private final String analysisId;
    private TelemetryRecord.Step telemetry;
    private TelemetryRecord.Step stepped;
    private MetricsRecord metrics;
    private volatile long analysed;
    private long lastPrint;

    private final String formula;

    /**
     * @param analysisId the analysis whose metrics are shown
     * @param formula the run's stability threshold's formula (docs/science.md#other-optimizers), such as 2/η
     */
    LiveView(KafkaSettings settings, String run, long totalSteps, PrintStream out, String analysisId, String formula) {
        this.analysisId = analysisId;
        this.formula = formula;
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
                    if (r.key() != null && !r.key().equals(run) && !r.key().startsWith(run + "/")) {
                        continue; // telemetry is keyed by run, metrics by run/step/analysis_id
                    }
                    try {
                        if (r.topic().equals(settings.topics().telemetry())) {
                            if (TelemetryRecord.parse(r.value()) instanceof TelemetryRecord.Step s && s.run().equals(run)) {
                                telemetry = s;
                                if (s.stepSize() > 0) {
                                    stepped = s; // the final state took no step: its threshold is the last step's
                                }
                            }
                        } else {
                            MetricsRecord m = MetricsRecord.parse(r.value());
                            if (m.run().equals(run) && m.analysisId().equals(analysisId)) {
                                metrics = m;
                                analysed++;
                            }
                        }
                    } catch (MalformedRecordException e) {
                        // not ours to judge: the gateway counts and dead-letters bad records
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
        TelemetryRecord.Step t = telemetry;
        String sharp = Double.isFinite(t.sharpness()) ? String.format(Locale.ROOT, "%.4g", t.sharpness()) : "-";
        // the run's own threshold as the trainer says it at its latest step (2/η of the step size from one that does not)
        TelemetryRecord.Step last = stepped != null ? stepped : t;
        boolean own = Double.isFinite(last.stabilityThreshold());
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "step %d/%d  t=%.4g  loss=%.5g  sharpness=%s  %s=%.4g", t.step() + 1, totalSteps,
                t.time(), t.loss(), sharp, own ? formula : "2/η", own ? last.stabilityThreshold() : 2 / last.stepSize()));
        if (Double.isFinite(t.stability()) && t.stability() != t.sharpness()) {
            // another quantity than λmax(𝓗) (λmax(P⁻¹𝓗), batch sharpness): the ratio is its, so show it
            line.append(String.format(Locale.ROOT, "  stability=%.4g", t.stability()));
        }
        if (Double.isFinite(t.stabilityRatio())) {
            line.append(String.format(Locale.ROOT, "  ratio=%.3g", t.stabilityRatio()));
        }
        MetricsRecord m = metrics;
        if (m != null) {
            double pDeltaJ = m.layer(1, MetricsRecord.LayerField.P_DELTA_J);
            line.append(String.format(Locale.ROOT, "  | analysed %d snapshots, at step %d: λmax(G)=%.4g  P_ΔJ¹=%s", analysed,
                    m.step(), m.value(MetricsRecord.Quantity.RHO_K),
                    Double.isNaN(pDeltaJ) ? "-" : String.format(Locale.ROOT, "%.3g", pDeltaJ)));
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
