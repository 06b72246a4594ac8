package io.eoscope.reproduce;

import static org.assertj.core.api.Assertions.assertThat;

import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On a real broker in the JVM: a run's dead-lettered snapshot is seen at once (not after the stall timeout). */
@Tag("integration")
class RunCollectorTest {
    @TempDir
    Path dir;

    @Test
    void aDeadLetteredSnapshotOfTheRunIsReportedAndOthersAreIgnored() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
            KafkaSettings s = new KafkaSettings(kafka.bootstrapServers(), new Topics("rc."), Map.of());
            try (Admin admin = Admin.create(s.admin("rc"))) {
                s.topics().create(admin, 1, (short) 1);
            }
            try (RunCollector collector = new RunCollector(s, "mine", "reproduce", 2);
                    KafkaProducer<String, byte[]> producer = new KafkaProducer<>(s.producer("rc"))) {
                collector.begin();
                producer.send(io.eoscope.wire.Records.deadLetter(s.topics(), new ConsumerRecord<>(s.topics().snapshots(), 0, 3L, "other",
                        new byte[4]), "another run's trouble")).get();
                producer.send(io.eoscope.wire.Records.deadLetter(s.topics(), new ConsumerRecord<>(s.topics().snapshots(), 0, 4L, "mine",
                        new byte[4]), "snapshot mine@0: its dataset abc is not in the datasets topic")).get();
                Instant deadline = Instant.now().plusSeconds(30);
                while (collector.deadLetters().isEmpty() && Instant.now().isBefore(deadline)) {
                    collector.poll(Duration.ofMillis(200));
                }
                assertThat(collector.deadLetters()).containsExactly("snapshot mine@0: its dataset abc is not in the datasets topic");
            }
        }
    }
}
