package io.eoscope.trainer.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.eoscope.curvature.net.LabeledData;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Topics;
import io.eoscope.trainer.data.Xor2d;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.TrainingListener;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Unit test with Kafka's MockProducer: what the publisher sends, and when it waits. */
class SnapshotPublisherTest {
    private final KafkaSettings settings = new KafkaSettings("unused:9092", new Topics("t."), Map.of());
    private final RunConfig config = new RunConfig("r", "xor", null, 64, 2, 1, "2-8-2", "elu", "mse", 2, null, "gd",
            0.01, 0.01, 0, 0.1, 1e-4, 1, 10, 0, 0, 5, 0, "float32", "cpu", 1000, false);

    @Test
    void theDatasetIsAcknowledgedBeforeTrainingGoesOn() {
        // autoComplete false: a send stays pending until completed (or flushed)
        MockProducer<String, byte[]> producer = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        LabeledData data = Xor2d.generate(1, 64);
        SnapshotPublisher publisher = new SnapshotPublisher(settings, producer, TrainingListener.NONE);
        publisher.started(config, data, "hash");
        assertThat(producer.history()).extracting(ProducerRecord::topic).contains("t.runs", "t.datasets");
        // nothing is left pending: a snapshot sent next cannot overtake the dataset
        assertThat(producer.completeNext()).isFalse();
    }

    @Test
    void aRunThatStopsOnAnErrorIsPublishedAsFailedWithTheReasonNeverAsFinished() {
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        SnapshotPublisher publisher = new SnapshotPublisher(settings, producer, TrainingListener.NONE);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> publisher.publish(() -> {
            publisher.started(config, Xor2d.generate(1, 64), "hash");
            throw new io.eoscope.curvature.eigen.EigenSolveException("the Hessian eigen-solve at step 3: zero");
        })).isInstanceOf(io.eoscope.curvature.eigen.EigenSolveException.class);
        ProducerRecord<String, byte[]> last = producer.history().get(producer.history().size() - 1);
        assertThat(last.topic()).isEqualTo("t.runs");
        com.google.gson.JsonObject status = com.google.gson.JsonParser.parseString(
                new String(last.value(), java.nio.charset.StandardCharsets.UTF_8)).getAsJsonObject();
        assertThat(status.get("status").getAsString()).isEqualTo("failed");
        assertThat(status.get("failure").getAsString()).isEqualTo("the Hessian eigen-solve at step 3: zero");
        assertThat(producer.closed()).isTrue();
        publisher.close(); // closing again publishes nothing more
        assertThat(producer.history().get(producer.history().size() - 1)).isSameAs(last);
    }
}
