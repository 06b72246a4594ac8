package io.eoscope.analyzer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.wire.ChunkCodec;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Payloads;
import io.eoscope.wire.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Finding 14: a corrupt record of the datasets topic was never dead-lettered, and the snapshot that needed it was
 * dead-lettered as if its dataset were missing. On a MockConsumer: what cannot be used is dead-lettered once, with its
 * own reason, and a lookup says it is unusable rather than absent.
 */
@Timeout(60)
class DatasetStoreTest {
    final KafkaSettings settings = new KafkaSettings("127.0.0.1:1", new Topics("t."), Map.of());
    final TopicPartition tp = new TopicPartition("t.datasets", 0);
    final MockConsumer<String, byte[]> mock = new MockConsumer<>("earliest");
    final List<ConsumerRecord<String, byte[]>> topic = new ArrayList<>();
    final List<String> deadLetters = new ArrayList<>();
    final List<Long> deadLetterOffsets = new ArrayList<>();

    static LabeledData data(int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        double[] x = new double[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = r.nextGaussian();
            x[2 * i + 1] = r.nextGaussian();
            y[i] = i % 2;
        }
        return new LabeledData(n, 2, x, y);
    }

    void write(List<ProducerRecord<String, byte[]>> records) {
        for (ProducerRecord<String, byte[]> p : records) {
            topic.add(new ConsumerRecord<>(tp.topic(), 0, topic.size(), 0L, TimestampType.CREATE_TIME, -1, p.value() == null ? -1
                    : p.value().length, p.key(), p.value(), p.headers(), Optional.empty()));
        }
    }

    DatasetStore store() {
        return store(8);
    }

    DatasetStore store(int polls) {
        mock.updatePartitions(tp.topic(), List.of(new PartitionInfo(tp.topic(), 0, Node.noNode(), new Node[0], new Node[0])));
        mock.updateBeginningOffsets(Map.of(tp, 0L));
        mock.updateEndOffsets(Map.of(tp, (long) topic.size()));
        for (int i = 0; i < polls; i++) { // every poll sees the topic (the mock forgets what it returned)
            mock.schedulePollTask(() -> topic.forEach(mock::addRecord));
        }
        return new DatasetStore(settings, 64L << 20, mock, (r, reason) -> {
            deadLetters.add(reason);
            deadLetterOffsets.add(r.offset());
        });
    }

    /**
     * A fleet has a dataset per run: each is read from the topic once, then served from the cache (four were cached
     * once, and every snapshot of a thousand runs read its dataset back from the topic).
     */
    @Test
    void manyDatasetsAreEachReadFromTheTopicOnce() {
        List<Payloads.Addressed> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Payloads.Addressed d = Payloads.Addressed.of(DatasetFile.encode(data(10, 100 + i), DType.F64));
            all.add(d);
            write(Payloads.dataset(settings.topics(), d));
        }
        DatasetStore store = store(200);
        for (Payloads.Addressed d : all) {
            assertThat(store.get(d.hash())).isPresent();
        }
        long scans = store.scans();
        assertThat(scans).isEqualTo(50);
        for (int round = 0; round < 3; round++) {
            for (Payloads.Addressed d : all) {
                assertThat(store.get(d.hash()).orElseThrow().y()).isEqualTo(data(10, 100 + all.indexOf(d)).y());
            }
        }
        assertThat(store.scans()).as("served from the cache, not the topic").isEqualTo(scans);
    }

    @Test
    void aCorruptDatasetIsDeadLetteredOnceWithItsReasonAndALookupSaysItIsUnusableNotMissing() {
        Payloads.Addressed good = Payloads.Addressed.of(DatasetFile.encode(data(40, 1), DType.F64));
        Payloads.Addressed other = Payloads.Addressed.of(DatasetFile.encode(data(30, 2), DType.F64));
        String forged = other.hash(); // the bytes of one dataset under the hash of another: chunks whole, CRC right, content wrong
        write(ChunkCodec.encodeCompacted(tp.topic(), forged, forged, good.bytes()));
        write(List.of(new ProducerRecord<>(tp.topic(), "not-a-chunk", new byte[] {1, 2, 3})));
        write(Payloads.dataset(settings.topics(), good));
        DatasetStore store = store();

        assertThatThrownBy(() -> store.get(forged)).isInstanceOf(UnusablePayloadException.class)
                .hasMessage("dataset " + forged + " in t.datasets cannot be used: dataset " + forged + ": content does not match its hash");
        assertThat(deadLetters).containsExactly(
                "a record of t.datasets that is not a dataset chunk: not an eoscope chunk (headers eos-payload, eos-chunk, eos-crc or the value missing)",
                "dataset " + forged + " in t.datasets cannot be used: dataset " + forged + ": content does not match its hash");
        assertThat(deadLetterOffsets).containsExactly(1L, 0L); // the stray record, then the corrupt payload's first chunk

        // asked again: still unusable, not dead-lettered twice
        assertThatThrownBy(() -> store.get(forged)).isInstanceOf(UnusablePayloadException.class);
        assertThat(deadLetters).hasSize(2);
        // a dataset that is fine is read, and one the topic does not hold is missing, not corrupt
        LabeledData read = store.get(good.hash()).orElseThrow();
        assertThat(read.y()).isEqualTo(data(40, 1).y());
        assertThat(read.x()).isEqualTo(data(40, 1).x());
        assertThat(store.get("0".repeat(64))).isEmpty();
        assertThat(deadLetters).hasSize(2);
    }
}
