package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.trainer.data.SyntheticImages;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Payloads;
import io.eoscope.wire.TopicScan;
import io.eoscope.wire.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Analyses that take longer than {@code max.poll.interval.ms}, through real processes (a standalone broker and an
 * analyzer, each its own JVM): the analyzer keeps its place in the group while it works, so a backlog of slow
 * snapshots is analysed once each, committed to the end, and nothing is redone. Then the broker is SIGKILLed in the
 * middle of an analysis: the analyzer either carries on when the broker is back, or, when its delivery timeout runs
 * out first, exits non-zero saying why. It never hangs.
 */
@Tag("integration")
@Timeout(600)
class SlowAnalysisTest {
    private static final String GROUP = "eos-analyzers";
    /** Far shorter than one analysis below: the member would be evicted after each one if it did not poll while it works. */
    private static final int POLL_INTERVAL_MS = 1_000;
    /**
     * How long the analyzer's producer waits for the broker: for an acknowledgement (delivery.timeout.ms) and for a
     * topic's metadata (max.block.ms). The broker killed below is either back well within it or gone for good.
     */
    private static final int BROKER_WAIT_MS = 30_000;

    @TempDir
    Path dir;

    private static List<ProducerRecord<String, byte[]>> snapshot(KafkaSettings s, long step, String dataset) {
        MlpModel m = MlpModel.initialise(new int[] {SyntheticImages.WIDTH, 64, 64, 10}, Activation.ELU, Loss.MSE, 11 + step)
                .withMetadata(Map.of("run", "slow", "step", Long.toString(step), "time", Double.toString(0.1 * step), "dataset", dataset));
        return Payloads.snapshot(s.topics(), "slow", step, ModelFile.encode(m, DType.F32));
    }

    private static String tail(EosService service) {
        try {
            String log = service.log();
            return log.substring(Math.max(0, log.length() - 3000));
        } catch (java.io.IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static List<String> metricKeys(KafkaSettings s) {
        List<String> keys = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(s.consumer("test-read", null))) {
            Map<TopicPartition, Long> end = TopicScan.fromStart(c, s.topics().metrics());
            TopicScan.readTo(c, end, Duration.ofSeconds(30), (ConsumerRecord<String, byte[]> r) -> keys.add(r.key()));
        } catch (Exception e) {
            return List.of();
        }
        return keys;
    }

    private static boolean committedToTheEnd(KafkaSettings s) {
        try (Admin admin = Admin.create(s.admin("test-offsets"));
                KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(s.consumer("test-end", null))) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get();
            for (Map.Entry<TopicPartition, Long> e : TopicScan.fromStart(c, s.topics().snapshots()).entrySet()) {
                OffsetAndMetadata o = committed.get(e.getKey());
                if (e.getValue() > 0 && (o == null || o.offset() < e.getValue())) {
                    return false;
                }
            }
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** The longest analysis the analyzer has timed, in seconds, from its /metrics. */
    private static double longestAnalysis(int metricsPort) {
        Matcher m = Pattern.compile("eos_analyzer_analysis_seconds_max\\{[^}]*\\} ([0-9.eE+-]+)")
                .matcher(EosService.get("http://127.0.0.1:" + metricsPort + "/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    private static double counter(int metricsPort, String name) {
        Matcher m = Pattern.compile(name + "\\{[^}]*\\} ([0-9.eE+-]+)").matcher(EosService.get("http://127.0.0.1:" + metricsPort + "/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    private static void publish(KafkaSettings s, String dataset, long... steps) throws Exception {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test"))) {
            for (long step : steps) {
                for (ProducerRecord<String, byte[]> r : snapshot(s, step, dataset)) {
                    p.send(r).get();
                }
            }
        }
    }

    private EosService broker(Path data, int port, String controller) throws Exception {
        EosService b = EosService.start(dir, "broker", List.of("-Xmx512m"), "broker", "--data-dir", data.toString(), "--port",
                Integer.toString(port), "--controller-port", controller);
        b.awaitLog("eos broker: ready", Duration.ofSeconds(90));
        return b;
    }

    @Test
    void aBacklogOfAnalysesLongerThanThePollIntervalIsAnalysedOnceEach() throws Exception {
        int port = EmbeddedKafka.freePort();
        int metrics = EmbeddedKafka.freePort();
        String controller = Integer.toString(EmbeddedKafka.freePort());
        Path data = dir.resolve("broker");
        EosService broker = broker(data, port, controller);
        KafkaSettings s = new KafkaSettings("127.0.0.1:" + port, new Topics("eos."), Map.of());
        LabeledData images = SyntheticImages.generate(5, 2000, 10);
        Payloads.Addressed dataset = Payloads.Addressed.of(DatasetFile.encode(images, DType.F32));
        EosService analyzer = null;
        try {
            try (Admin admin = Admin.create(s.admin("test"))) {
                s.topics().create(admin, 4, (short) 1);
            }
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test"))) {
                for (ProducerRecord<String, byte[]> r : Payloads.dataset(s.topics(), dataset)) {
                    p.send(r).get();
                }
                for (long step = 0; step < 3; step++) { // the backlog, already waiting when the analyzer starts
                    for (ProducerRecord<String, byte[]> r : snapshot(s, step, dataset.hash())) {
                        p.send(r).get();
                    }
                }
            }
            analyzer = EosService.start(dir, "analyzer", List.of("-Xmx1g"), "analyzer", "--bootstrap-servers", "127.0.0.1:" + port,
                    "--metrics-port", Integer.toString(metrics), "--ready-seconds", "5", "--top-k", "2",
                    "--kafka-property", "max.poll.interval.ms=" + POLL_INTERVAL_MS,
                    "--kafka-property", "delivery.timeout.ms=" + BROKER_WAIT_MS, "--kafka-property", "max.block.ms=" + BROKER_WAIT_MS,
                    "--kafka-property", "request.timeout.ms=20000");
            EosService a = analyzer;
            Poll.until(Duration.ofSeconds(300), () -> "metrics of the 3 slow snapshots; the analyzer's log ends " + tail(a),
                    () -> metricKeys(s).size() >= 3 || !a.alive());
            Poll.until(Duration.ofSeconds(60), "offsets committed to the end", () -> committedToTheEnd(s));
            assertThat(analyzer.alive()).as(analyzer.log()).isTrue();
            double longest = longestAnalysis(metrics);
            assertThat(longest).as("the slowest analysis (s) must outlast max.poll.interval.ms for this test to mean anything")
                    .isGreaterThan(POLL_INTERVAL_MS / 1000.0);
            assertThat(metricKeys(s)).as("each snapshot analysed once").containsExactly("slow/0/default", "slow/1/default",
                    "slow/2/default");
            assertThat(counter(metrics, "eos_analyzer_redelivered_total")).isEqualTo(0);
            assertThat(analyzer.log()).doesNotContain("CommitFailedException").doesNotContain("poll timeout has expired");

            // a second analyzer joins while the first works through a backlog: the group rebalances at once (the first
            // answers from its poll thread), not after the backlog; nothing is lost across the rebalance
            publish(s, dataset.hash(), 10, 11, 12, 13, 14, 15);
            Poll.until(Duration.ofSeconds(120), "the first analysis of the new backlog", () -> counter(metrics, "eos_analyzer_snapshots_total") >= 4);
            int second = EmbeddedKafka.freePort();
            EosService b = EosService.start(dir, "analyzer-b", List.of("-Xmx1g"), "analyzer", "--bootstrap-servers", "127.0.0.1:" + port,
                    "--metrics-port", Integer.toString(second), "--ready-seconds", "5", "--top-k", "2");
            try {
                b.awaitLog("was assigned partitions [eos.snapshots", Duration.ofSeconds(120));
                assertThat(counter(metrics, "eos_analyzer_snapshots_total")).as("the first analyzer's analyses when the second joined")
                        .isLessThan(9);
                Poll.until(Duration.ofSeconds(300), "metrics of the new backlog", () -> metricKeys(s).containsAll(List.of("slow/10/default",
                        "slow/11/default", "slow/12/default", "slow/13/default", "slow/14/default", "slow/15/default")));
                Poll.until(Duration.ofSeconds(60), "offsets committed to the end after the rebalance", () -> committedToTheEnd(s));
            } finally {
                b.close();
            }

            // the broker dies in the middle of an analysis and comes back within the delivery timeout: the analysis resumes
            publish(s, dataset.hash(), 4, 5);
            Poll.until(Duration.ofSeconds(60), "the analysis of step 4 to start", () -> counter(metrics, "eos_analyzer_queued_snapshots") >= 1);
            broker.kill9();
            Thread.sleep(3_000);
            broker = broker(data, port, controller);
            Poll.until(Duration.ofSeconds(180), "metrics of steps 4 and 5 after the broker's return",
                    () -> metricKeys(s).containsAll(List.of("slow/4/default", "slow/5/default")) || !a.alive());
            assertThat(analyzer.alive()).as(analyzer.log()).isTrue();

            // the broker dies and stays away longer than the delivery timeout: the analyzer exits non-zero, saying why (here
            // its send waits for the topic's metadata, for max.block.ms: at the producer's 60 s this wait was twice as long)
            publish(s, dataset.hash(), 6, 7);
            Poll.until(Duration.ofSeconds(60), "the analysis of step 6 to start", () -> counter(metrics, "eos_analyzer_queued_snapshots") >= 1);
            broker.kill9();
            Integer exit = analyzer.exitWithin(Duration.ofSeconds(120));
            assertThat(exit).as(analyzer.log()).isNotNull().isNotZero();
            assertThat(analyzer.log()).contains("cannot publish");
        } finally {
            if (analyzer != null) {
                analyzer.close();
            }
            broker.close();
        }
    }
}
