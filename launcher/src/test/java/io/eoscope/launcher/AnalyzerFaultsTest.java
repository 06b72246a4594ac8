package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.wire.ChunkCodec;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.wire.Payloads;
import io.eoscope.wire.Records;
import io.eoscope.wire.TopicScan;
import io.eoscope.wire.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * The analyzer's faults through real processes: a standalone broker ({@code eos broker}) and analyzers
 * ({@code eos analyzer}), each its own JVM, killed with SIGKILL. Each scenario asserts that nothing was lost
 * (every published snapshot has its metrics or a dead letter with the reason) and nothing was hidden
 * ({@code /health}, {@code /ready}, exit status).
 */
@Tag("integration")
@Timeout(420)
class AnalyzerFaultsTest {
    @TempDir
    Path dir;

    private static final String GROUP = "eos-analyzers";

    private static KafkaSettings settings(int port) {
        return new KafkaSettings("127.0.0.1:" + port, new Topics("eos."), Map.of());
    }

    private static List<ProducerRecord<String, byte[]>> snapshot(KafkaSettings s, String run, long step, String dataset) {
        MlpModel m = MlpModel.initialise(new int[] {2, 8, 2}, Activation.ELU, Loss.MSE, 7 + step)
                .withMetadata(Map.of("run", run, "step", Long.toString(step), "time", Double.toString(0.1 * step), "dataset", dataset));
        return Payloads.snapshot(s.topics(), run, step, ModelFile.encode(m, DType.F32));
    }

    private static void send(KafkaProducer<String, byte[]> p, List<ProducerRecord<String, byte[]>> records) throws Exception {
        for (ProducerRecord<String, byte[]> r : records) {
            p.send(r).get();
        }
    }

    /** All JSON records of a topic, in order. */
    private static List<ConsumerRecord<String, byte[]>> read(KafkaSettings s, String topic) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(s.consumer("test-read", null))) {
            Map<TopicPartition, Long> end = TopicScan.fromStart(c, topic);
            while (!TopicScan.reached(c, end)) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    private static Set<String> metricKeys(KafkaSettings s) {
        Set<String> keys = new HashSet<>();
        read(s, s.topics().metrics()).forEach(r -> keys.add(r.key()));
        return keys;
    }

    private static List<String> deadLetterReasons(KafkaSettings s) throws MalformedRecordException {
        List<String> reasons = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : read(s, s.topics().deadletter())) {
            JsonObject o = Records.json(r);
            reasons.add(o.get("reason").getAsString());
        }
        return reasons;
    }

    /** Whether the group's committed offsets reached the end of every snapshot partition. */
    private static boolean committedToTheEnd(KafkaSettings s) {
        try (Admin admin = Admin.create(s.admin("test-offsets"));
                KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(s.consumer("test-end", null))) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, Long> end = TopicScan.fromStart(c, s.topics().snapshots());
            for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
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

    /**
     * An analyzer process, started and assigned its partitions. Its group session is 10 s instead of Kafka's 45: a
     * successor of a SIGKILLed analyzer is assigned the partitions once the dead member's session has run out, and a
     * test need not wait 45 s for that (heartbeats every second keep a live member well inside the session).
     */
    private EosService analyzer(int port, int metricsPort, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("analyzer", "--bootstrap-servers", "127.0.0.1:" + port, "--metrics-port",
                Integer.toString(metricsPort), "--ready-seconds", "5", "--max-pending-bytes", Long.toString(64L << 20),
                "--dataset-wait-seconds", "1", "--top-k", "1", "--kafka-property", "session.timeout.ms=10000",
                "--kafka-property", "heartbeat.interval.ms=1000"));
        args.addAll(List.of(extra));
        EosService a = EosService.start(dir, "analyzer", List.of("-Xmx256m"), args.toArray(new String[0]));
        a.awaitLog("was assigned partitions", Duration.ofSeconds(90));
        return a;
    }

    /**
     * A chunk bomb (150 chunks, 75 MB, over a 64 MiB bound in a 256 MiB heap) and an orphan first chunk (its
     * producer died) among good snapshots: both dead-lettered with the reason, every good snapshot analysed,
     * the committed offsets at the end, so a SIGKILLed and restarted analyzer analyses only what is new. Then
     * the broker is SIGKILLed: {@code /ready} turns 503 while {@code /health} stays 200, and both recover with
     * the broker.
     */
    @Test
    void chunkBombAndOrphanAreDeadLetteredAndNothingIsHeldBackOrLost() throws Exception {
        int port = EmbeddedKafka.freePort();
        int metrics = EmbeddedKafka.freePort();
        String controller = Integer.toString(EmbeddedKafka.freePort());
        Path data = dir.resolve("broker");
        EosService broker = EosService.start(dir, "broker", List.of("-Xmx512m"), "broker", "--data-dir", data.toString(),
                "--port", Integer.toString(port), "--controller-port", controller);
        try {
            broker.awaitLog("eos broker: ready", Duration.ofSeconds(90));
            KafkaSettings s = settings(port);
            EosService first = analyzer(port, metrics);
            LabeledData xor = io.eoscope.trainer.data.Xor2d.generate(3, 32);
            Payloads.Addressed dataset = Payloads.Addressed.of(DatasetFile.encode(xor, DType.F32));
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test"))) {
                send(p, Payloads.dataset(s.topics(), dataset));
                for (long step = 0; step < 3; step++) {
                    send(p, snapshot(s, "good", step, dataset.hash()));
                }
                // 150 chunks of zeros that declare one payload of 75 MB: over the 64 MiB bound
                send(p, ChunkCodec.encode(s.topics().snapshots(), "good", "bomb@0", new byte[150 * ChunkCodec.CHUNK_BYTES]));
                // the first chunk of three, written ten minutes ago by a trainer that then died
                ProducerRecord<String, byte[]> orphan = snapshot(s, "good", 99, dataset.hash()).get(0);
                List<ProducerRecord<String, byte[]>> three = ChunkCodec.encode(s.topics().snapshots(), "good", "good@99",
                        new byte[3 * ChunkCodec.CHUNK_BYTES - 5]);
                p.send(new ProducerRecord<>(orphan.topic(), null, System.currentTimeMillis() - 600_000, "good",
                        three.get(0).value(), three.get(0).headers())).get();
                for (long step = 3; step < 6; step++) {
                    send(p, snapshot(s, "good", step, dataset.hash()));
                }
            }
            Poll.until(Duration.ofSeconds(120), "metrics of the 6 good snapshots", () -> metricKeys(s).size() >= 6);
            Poll.until(Duration.ofSeconds(60), "offsets committed to the end", () -> committedToTheEnd(s));
            assertThat(metricKeys(s)).containsExactlyInAnyOrder("good/0/default", "good/1/default", "good/2/default",
                    "good/3/default", "good/4/default", "good/5/default");
            List<String> reasons = deadLetterReasons(s);
            assertThat(reasons).anySatisfy(r -> assertThat(r).contains("bomb@0").contains("exceeds the bound of 67108864 bytes"));
            assertThat(reasons).anySatisfy(r -> assertThat(r).contains("good@99").contains("1 of 3 chunks").contains("did not come within"));
            assertThat(reasons).allSatisfy(r -> assertThat(r).containsAnyOf("bomb@0", "good@99"));
            assertThat(first.alive()).as("the analyzer survived the bomb").isTrue();
            assertThat(EosService.get("http://127.0.0.1:" + metrics + "/health").status()).isEqualTo(200);
            assertThat(EosService.get("http://127.0.0.1:" + metrics + "/ready").status()).isEqualTo(200);
            assertThat(EosService.get("http://127.0.0.1:" + metrics + "/metrics").body())
                    .contains("eos_analyzer_abandoned_total{group=\"eos-analyzers\"}");

            // SIGKILL and restart: nothing before the committed offsets is analysed again
            int published = read(s, s.topics().metrics()).size();
            first.kill9();
            EosService second = analyzer(port, metrics);
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test"))) {
                send(p, snapshot(s, "good", 6, dataset.hash()));
            }
            Poll.until(Duration.ofSeconds(90), "metrics of step 6", () -> metricKeys(s).contains("good/6/default"));
            assertThat(read(s, s.topics().metrics())).as("metrics records after the restart: only step 6 is new").hasSize(published + 1);

            // the broker dies: /ready says so, /health does not (the analyzer is alive and waiting)
            broker.kill9();
            Poll.until(Duration.ofSeconds(60), "/ready to fail without a broker",
                    () -> EosService.get("http://127.0.0.1:" + metrics + "/ready").status() == 503);
            assertThat(EosService.get("http://127.0.0.1:" + metrics + "/ready").body()).contains("has not heard from the broker");
            assertThat(EosService.get("http://127.0.0.1:" + metrics + "/health").status()).isEqualTo(200);
            broker = EosService.start(dir, "broker", List.of("-Xmx512m"), "broker", "--data-dir", data.toString(),
                    "--port", Integer.toString(port), "--controller-port", controller);
            broker.awaitLog("eos broker: ready", Duration.ofSeconds(90));
            Poll.until(Duration.ofSeconds(90), "/ready to recover with the broker",
                    () -> EosService.get("http://127.0.0.1:" + metrics + "/ready").status() == 200);
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test"))) {
                send(p, snapshot(s, "good", 7, dataset.hash()));
            }
            Poll.until(Duration.ofSeconds(90), "metrics of step 7 after the broker's restart", () -> metricKeys(s).contains("good/7/default"));
            second.close();
        } finally {
            broker.close();
        }
    }

    /** A bound on chunks in assembly that the heap could not hold is refused at start, naming the option (no broker needed). */
    @Test
    void aPendingBytesBoundOverHalfTheHeapIsRefusedAtStart() throws Exception {
        EosService a = EosService.start(dir, "analyzer", List.of("-Xmx128m"), "analyzer", "--bootstrap-servers", "127.0.0.1:1",
                "--metrics-port", "-1");
        assertThat(a.exitWithin(Duration.ofSeconds(60))).isEqualTo(2);
        assertThat(a.log()).contains("--max-pending-bytes 268435456").contains("half the heap");
    }

    /**
     * An error the analyzer cannot survive (its dead-letter topic deleted, so a bad record can be neither
     * analysed nor dead-lettered): the process says why and exits 1, instead of living on as a zombie.
     */
    @Test
    void anAnalyzerThatCannotGoOnExitsOneWithTheReason() throws Exception {
        int port = EmbeddedKafka.freePort();
        try (EosService broker = EosService.start(dir, "broker", List.of("-Xmx512m"), "broker", "--data-dir",
                dir.resolve("broker2").toString(), "--port", Integer.toString(port), "--controller-port",
                Integer.toString(EmbeddedKafka.freePort()))) {
            broker.awaitLog("eos broker: ready", Duration.ofSeconds(90));
            KafkaSettings s = settings(port);
            EosService a = analyzer(port, EmbeddedKafka.freePort(), "--kafka-property", "max.block.ms=3000");
            try (Admin admin = Admin.create(s.admin("test"))) {
                admin.deleteTopics(List.of(s.topics().deadletter())).all().get();
            }
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test"))) {
                p.send(new ProducerRecord<>(s.topics().snapshots(), "junk", new byte[] {1, 2, 3})).get();
            }
            assertThat(a.exitWithin(Duration.ofSeconds(60))).as(a.log()).isEqualTo(1);
            assertThat(a.log()).contains("cannot publish a dead letter").contains("eos analyzer: analyzer ");
        }
    }
}
