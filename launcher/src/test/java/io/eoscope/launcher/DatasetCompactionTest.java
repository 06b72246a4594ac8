package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.eoscope.analyzer.DatasetStore;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Payloads;
import io.eoscope.wire.TopicScan;
import io.eoscope.wire.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compacted {@code datasets} topic through a real broker whose cleaner is forced to run: multi-chunk
 * datasets survive compaction (each chunk has a key of its own), and a lookup of an unknown dataset reads
 * only what is new instead of the whole topic.
 */
@Tag("integration")
@Timeout(180)
class DatasetCompactionTest {
    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    private static LabeledData wide(int n, long seed) {
        Random r = new Random(seed);
        int d = 3072;
        double[] x = new double[n * d];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(10);
        }
        return new LabeledData(n, d, x, y);
    }

    /** The dataset records in the topic now. */
    private static long records(KafkaSettings s) {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(s.consumer("count", null))) {
            Map<TopicPartition, Long> end = TopicScan.fromStart(c, s.topics().datasets());
            long n = 0;
            while (!TopicScan.reached(c, end)) {
                for (var r : c.poll(Duration.ofMillis(200))) {
                    n += "filler".equals(r.key()) ? 0 : 1; // the records that roll segments are not counted
                }
            }
            return n;
        }
    }

    /** The reproduction of the bug: segment.ms=1000, min.cleanable.dirty.ratio=0.001, min.compaction.lag.ms=0. */
    @Test
    void multiChunkDatasetsSurviveCompaction() throws Exception {
        KafkaSettings s = new KafkaSettings(kafka.bootstrapServers(), new Topics("compact."), Map.of());
        try (Admin admin = Admin.create(s.admin("test"))) {
            s.topics().create(admin, 1, (short) 1);
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, s.topics().datasets());
            Collection<AlterConfigOp> ops = List.of(
                    new AlterConfigOp(new ConfigEntry("segment.ms", "1000"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("min.cleanable.dirty.ratio", "0.001"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("min.compaction.lag.ms", "0"), AlterConfigOp.OpType.SET));
            admin.incrementalAlterConfigs(Map.of(topic, ops)).all().get();
        }
        LabeledData first = wide(120, 1);
        LabeledData second = wide(60, 2);
        Payloads.Addressed a = Payloads.Addressed.of(DatasetFile.encode(first, DType.F32));
        Payloads.Addressed b = Payloads.Addressed.of(DatasetFile.encode(second, DType.F32));
        int chunksA = Payloads.dataset(s.topics(), a).size();
        int chunksB = Payloads.dataset(s.topics(), b).size();
        assertThat(chunksA).as("a multi-chunk dataset").isGreaterThanOrEqualTo(3);
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test"))) {
            for (int copy = 0; copy < 2; copy++) { // a resumed trainer publishes its dataset again
                for (ProducerRecord<String, byte[]> r : Payloads.dataset(s.topics(), a)) {
                    p.send(r).get();
                }
                for (ProducerRecord<String, byte[]> r : Payloads.dataset(s.topics(), b)) {
                    p.send(r).get();
                }
                Thread.sleep(1500); // segments roll on the next record after segment.ms
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            long n = records(s);
            while (n > chunksA + chunksB && System.nanoTime() < deadline) {
                p.send(new ProducerRecord<>(s.topics().datasets(), 0, "filler", new byte[0])).get(); // rolls the active segment
                Thread.sleep(1000);
                n = records(s);
            }
            assertThat(n).as("dataset records left once the cleaner has run: each chunk once").isEqualTo(chunksA + chunksB);
        }
        try (DatasetStore store = new DatasetStore(s, 64L << 20, (r, reason) -> { }) /* the fillers are not chunks: their dead letters are not looked at here */) {
            Optional<LabeledData> gotA = store.get(a.hash());
            Optional<LabeledData> gotB = store.get(b.hash());
            assertThat(gotA).as("dataset a after compaction").isPresent();
            assertThat(gotB).as("dataset b after compaction").isPresent();
            assertThat(gotA.get().y()).isEqualTo(first.y());
            assertThat(gotA.get().x()).hasSize(first.x().length);
            for (int i = 0; i < first.x().length; i += 997) {
                assertThat(gotA.get().x()[i]).isEqualTo((float) first.x()[i]);
            }
        }
    }

    /** An unknown dataset costs a read of what is new, not of the whole topic: the index is kept between lookups. */
    @Test
    void lookupsReadOnlyWhatIsNew() throws Exception {
        KafkaSettings s = new KafkaSettings(kafka.bootstrapServers(), new Topics("incremental."), Map.of());
        try (Admin admin = Admin.create(s.admin("test"))) {
            s.topics().create(admin, 1, (short) 1);
        }
        Payloads.Addressed a = Payloads.Addressed.of(DatasetFile.encode(wide(80, 3), DType.F32));
        Payloads.Addressed late = Payloads.Addressed.of(DatasetFile.encode(wide(10, 4), DType.F32));
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test"));
                DatasetStore store = new DatasetStore(s, 64L << 20, (r, reason) -> { }) /* the fillers are not chunks: their dead letters are not looked at here */) {
            for (ProducerRecord<String, byte[]> r : Payloads.dataset(s.topics(), a)) {
                p.send(r).get();
            }
            assertThat(store.get(late.hash())).isEmpty();
            long indexed = store.indexed();
            assertThat(indexed).isEqualTo(Payloads.dataset(s.topics(), a).size());
            for (int i = 0; i < 5; i++) {
                assertThat(store.get(late.hash())).isEmpty();
            }
            assertThat(store.indexed()).as("records read by five more lookups of a missing dataset").isEqualTo(indexed);
            for (ProducerRecord<String, byte[]> r : Payloads.dataset(s.topics(), late)) {
                p.send(r).get();
            }
            assertThat(store.get(late.hash())).isPresent();
            assertThat(store.indexed()).isEqualTo(indexed + Payloads.dataset(s.topics(), late).size());
            assertThat(store.get(a.hash())).isPresent();
        }
    }
}
