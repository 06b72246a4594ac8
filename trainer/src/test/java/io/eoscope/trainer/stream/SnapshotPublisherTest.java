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

    private static com.google.gson.JsonObject json(ProducerRecord<String, byte[]> r) {
        return com.google.gson.JsonParser.parseString(new String(r.value(), java.nio.charset.StandardCharsets.UTF_8))
                .getAsJsonObject();
    }

    private static java.util.List<ProducerRecord<String, byte[]>> on(MockProducer<String, byte[]> p, String topic) {
        return p.history().stream().filter(r -> r.topic().equals(topic)).toList();
    }

    @Test
    void recordsFollowWireSchemaOneAndNonFiniteNumbersAreNullNeverNaN() {
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        SnapshotPublisher publisher = new SnapshotPublisher(settings, producer, TrainingListener.NONE);
        publisher.started(config, Xor2d.generate(1, 64), "hash");
        publisher.stepped(new io.eoscope.trainer.solve.StepRecord(0, 0, 0.5, 0.75, 0.01, 33.0, 12));
        publisher.stepped(new io.eoscope.trainer.solve.StepRecord(1, 0.01, Double.NaN, 0.5, Double.POSITIVE_INFINITY,
                Double.NaN, 0));
        publisher.close();
        com.google.gson.JsonObject running = json(on(producer, "t.runs").get(0));
        assertThat(running.get("schema").getAsInt()).isEqualTo(1);
        assertThat(running.get("status").getAsString()).isEqualTo("running");
        assertThat(running.get("dataset_hash").getAsString()).isEqualTo("hash");
        assertThat(running.get("updated_at").getAsLong()).isGreaterThan(1_700_000_000_000L);
        assertThat(running.has("resumed_from_step")).isFalse();
        assertThat(running.get("learningRate").getAsDouble()).isEqualTo(0.01); // the configuration's fields as before
        java.util.List<ProducerRecord<String, byte[]>> telemetry = on(producer, "t.telemetry");
        assertThat(telemetry).hasSize(2);
        com.google.gson.JsonObject first = json(telemetry.get(0));
        assertThat(first.get("schema").getAsInt()).isEqualTo(1);
        assertThat(first.get("type").getAsString()).isEqualTo("step");
        assertThat(first.get("run").getAsString()).isEqualTo("r");
        assertThat(first.get("step").getAsLong()).isZero();
        assertThat(first.get("sharpness").getAsDouble()).isEqualTo(33.0);
        assertThat(first.get("products").getAsLong()).isEqualTo(12);
        String raw = new String(telemetry.get(1).value(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(raw).doesNotContain("NaN").doesNotContain("Infinity");
        // strict JSON: Gson's strict reader refuses NaN and Infinity, so this parse proves the record is valid JSON
        com.google.gson.stream.JsonReader strict = new com.google.gson.stream.JsonReader(new java.io.StringReader(raw));
        strict.setStrictness(com.google.gson.Strictness.STRICT);
        com.google.gson.JsonObject second = com.google.gson.JsonParser.parseReader(strict).getAsJsonObject();
        assertThat(second.get("loss").isJsonNull()).isTrue();
        assertThat(second.get("step_size").isJsonNull()).isTrue();
        assertThat(second.has("sharpness")).isFalse(); // not computed at this step: left out
        com.google.gson.JsonObject last = json(producer.history().get(producer.history().size() - 1));
        assertThat(last.get("status").getAsString()).isEqualTo("finished");
        assertThat(last.get("updated_at").getAsLong()).isGreaterThanOrEqualTo(running.get("updated_at").getAsLong());
    }

    @Test
    void aRecordTheBrokerNeverAcknowledgesStopsTheRunAndIsPublishedAsFailedWithTheCount() {
        MockProducer<String, byte[]> producer = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        SnapshotPublisher publisher = new SnapshotPublisher(settings, producer, TrainingListener.NONE);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> publisher.publish(() -> {
            publisher.started(config, Xor2d.generate(1, 64), "hash");
            publisher.stepped(new io.eoscope.trainer.solve.StepRecord(0, 0, 0.5, 0.75, 0.01, 33.0, 12));
            // the telemetry record expires as Kafka expires a batch past delivery.timeout.ms
            assertThat(producer.errorNext(new org.apache.kafka.common.errors.TimeoutException(
                    "Expiring 1 record(s) for t.telemetry-0: 120000 ms has passed since batch creation"))).isTrue();
            publisher.stepped(new io.eoscope.trainer.solve.StepRecord(1, 0.01, 0.4, 0.75, 0.01, 33.0, 12));
            throw new AssertionError("a lost record must stop the run at the next step");
        })).isInstanceOf(DeliveryFailedException.class)
                .hasMessageStartingWith("lost 1 records: delivery to the broker failed after 120 s (Expiring 1 record(s)");
        com.google.gson.JsonObject last = json(producer.history().get(producer.history().size() - 1));
        assertThat(last.get("status").getAsString()).isEqualTo("failed");
        assertThat(last.get("failure").getAsString()).startsWith("lost 1 records: delivery to the broker failed after 120 s");
        assertThat(producer.closed()).isTrue();
    }

    @Test
    void sendGivingUpOnMetadataOrBufferSpaceIsALostRecordToo() {
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        SnapshotPublisher publisher = new SnapshotPublisher(settings, StreamOptions.ofSeconds(3, 10), producer,
                TrainingListener.NONE);
        publisher.started(config, Xor2d.generate(1, 64), "hash");
        producer.sendException = new org.apache.kafka.common.errors.TimeoutException("Topic t.telemetry not present in"
                + " metadata after 3000 ms.");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> publisher.stepped(
                new io.eoscope.trainer.solve.StepRecord(0, 0, 0.5, 0.75, 0.01, 33.0, 12)))
                .isInstanceOf(DeliveryFailedException.class)
                .hasMessage("lost 1 records: delivery to the broker failed after 3 s (Topic t.telemetry not present in"
                        + " metadata after 3000 ms.)");
        producer.sendException = null;
        // even a run that returns normally is failed, and close() says why: never a quiet exit with a hole
        org.assertj.core.api.Assertions.assertThatThrownBy(publisher::close).isInstanceOf(DeliveryFailedException.class);
        com.google.gson.JsonObject last = json(producer.history().get(producer.history().size() - 1));
        assertThat(last.get("status").getAsString()).isEqualTo("failed");
        assertThat(publisher.failed()).isEqualTo(1);
    }

    @Test
    void aRunStoppedBeforeItsStoppingRuleIsNotPublishedAsFinished() throws Exception {
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        SnapshotPublisher publisher = new SnapshotPublisher(settings, producer, TrainingListener.NONE);
        publisher.publish(() -> {
            publisher.started(config, Xor2d.generate(1, 64), "hash");
            return new io.eoscope.trainer.run.TrainingRun.Outcome(4, 0.04, 0.3, 0.5, java.nio.file.Path.of("x"), true);
        });
        com.google.gson.JsonObject last = json(producer.history().get(producer.history().size() - 1));
        assertThat(last.get("status").getAsString()).isEqualTo("failed");
        assertThat(last.get("failure").getAsString()).contains("stopped at step 4 before its stopping rule");
    }

    @Test
    void heartbeatsSayTheLastCompletedStepBetweenStepsAndStopWhenTheRunEnds() throws Exception {
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        SnapshotPublisher publisher = new SnapshotPublisher(settings, StreamOptions.ofSeconds(120, 1), producer,
                TrainingListener.NONE);
        publisher.started(config, Xor2d.generate(1, 64), "hash");
        publisher.stepped(new io.eoscope.trainer.solve.StepRecord(0, 0, 0.5, 0.75, 0.01, 33.0, 12));
        publisher.stepped(new io.eoscope.trainer.solve.StepRecord(1, 0.01, 0.4, 0.75, 0.01, 33.0, 12));
        long deadline = System.nanoTime() + 10_000_000_000L; // a long step: only heartbeats say the trainer is alive
        while (heartbeats(producer).size() < 2) {
            assertThat(System.nanoTime()).as("two heartbeats within 10 s at a 1 s interval").isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
        }
        com.google.gson.JsonObject beat = heartbeats(producer).get(0);
        assertThat(beat.get("schema").getAsInt()).isEqualTo(1);
        assertThat(beat.get("run").getAsString()).isEqualTo("r");
        assertThat(beat.get("step").getAsLong()).isEqualTo(1);
        assertThat(beat.get("at").getAsLong()).isGreaterThan(1_700_000_000_000L);
        publisher.close();
        int after = heartbeats(producer).size();
        java.util.concurrent.locks.LockSupport.parkNanos(1_500_000_000L);
        assertThat(heartbeats(producer)).hasSize(after); // stopped with the run
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("eos-trainer-heartbeat") && t.isAlive()
                && !t.isDaemon());
    }

    private static java.util.List<com.google.gson.JsonObject> heartbeats(MockProducer<String, byte[]> p) {
        return on(p, "t.telemetry").stream().map(SnapshotPublisherTest::json)
                .filter(o -> "heartbeat".equals(o.get("type").getAsString())).toList();
    }

    @Test
    void streamOptionsAreValidatedWithTheOptionName() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StreamOptions.ofSeconds(0, 10))
                .hasMessageContaining("--delivery-timeout-seconds");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StreamOptions.ofSeconds(120, 0))
                .hasMessageContaining("--heartbeat-seconds");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StreamOptions.ofSeconds(120, 61))
                .hasMessageContaining("--heartbeat-seconds");
        java.util.Properties p = settings.producer("x", java.time.Duration.ofSeconds(3));
        assertThat(p.getProperty("delivery.timeout.ms")).isEqualTo("3000");
        assertThat(p.getProperty("max.block.ms")).isEqualTo("3000");
        assertThat(Long.parseLong(p.getProperty("request.timeout.ms")) + Long.parseLong(p.getProperty("linger.ms")))
                .isLessThanOrEqualTo(3000);
        assertThat(settings.producer("x").getProperty("delivery.timeout.ms")).as("finite: a broker gone is an error, not a wait")
                .isEqualTo("120000");
    }

    /** The trajectory's last row (the final state, step N) is streamed too: the gateway's last loss is the final model's. */
    @Test
    void theFinalStateIsStreamedAsStepN(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        SnapshotPublisher publisher = new SnapshotPublisher(settings, producer, TrainingListener.NONE);
        RunConfig threeSteps = new RunConfig("r", "xor", null, 16, 2, 1, "2-4-2", "elu", "mse", 2, null, "gd", 0.05, 0.01, 0,
                0.1, 1e-4, 0, 3, 0, 0, 0, 0, "float32", "cpu", 1000, false);
        io.eoscope.trainer.run.TrainingRun.Outcome outcome = publisher.publish(
                () -> io.eoscope.trainer.run.TrainingRun.start(threeSteps, dir.resolve("run"), publisher));
        java.util.List<com.google.gson.JsonObject> steps = on(producer, "t.telemetry").stream().map(SnapshotPublisherTest::json)
                .filter(o -> o.get("type").getAsString().equals("step")).toList();
        assertThat(steps).extracting(o -> o.get("step").getAsLong()).containsExactly(0L, 1L, 2L, 3L);
        com.google.gson.JsonObject last = steps.get(3);
        assertThat(last.get("loss").getAsDouble()).isEqualTo(outcome.loss());
        assertThat(last.get("accuracy").getAsDouble()).isEqualTo(outcome.accuracy());
        assertThat(last.get("time").getAsDouble()).isEqualTo(outcome.time()).isCloseTo(3 * 0.05, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(last.get("step_size").isJsonNull()).as("no step is taken from the final state").isTrue();
        java.util.List<String> rows = java.nio.file.Files.readAllLines(dir.resolve("run/trajectory.csv"));
        assertThat(rows.get(rows.size() - 1)).startsWith("3,");
    }
    /** The gateway judges the run by its own optimizer: the runs record says it, and each step its stability. */
    @Test
    void theRunsRecordCarriesTheOptimizerAndEachStepItsStabilityAndEpoch() throws Exception {
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        io.eoscope.curvature.optim.OptimizerSettings momentum = new io.eoscope.curvature.optim.OptimizerSettings(
                io.eoscope.curvature.optim.OptimizerKind.MOMENTUM, 0.05, 0.9, 0.9, 0.999, 1e-8, 0);
        RunConfig mini = config.withOptimizer(momentum, 16);
        SnapshotPublisher publisher = new SnapshotPublisher(settings, producer, TrainingListener.NONE);
        publisher.started(mini, Xor2d.generate(1, 64), "hash");
        io.eoscope.wire.RunRecord run = io.eoscope.wire.RunRecord.parse("r", producer.history().get(0).value());
        assertThat(run.optimizerSettings()).contains(momentum);
        assertThat(run.batchSize()).isEqualTo(16);
        assertThat(run.stabilityQuantity()).contains(io.eoscope.curvature.optim.StabilityQuantity.BATCH_SHARPNESS);
        publisher.stepped(new io.eoscope.trainer.solve.StepRecord(7, 0.35, 0.5, 0.75, 0.05, 30.0, 4, 30.0, momentum.threshold(), 1));
        io.eoscope.wire.TelemetryRecord.Step step = (io.eoscope.wire.TelemetryRecord.Step) io.eoscope.wire.TelemetryRecord.parse(
                json(on(producer, "t.telemetry").get(0)));
        assertThat(step.stability()).isEqualTo(30.0);
        assertThat(step.stabilityThreshold()).isEqualTo(momentum.threshold()); // (2+2β)/η = 76
        assertThat(step.stabilityRatio()).isEqualTo(30.0 / 76, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(step.epoch()).isEqualTo(1);
        assertThat(json(on(producer, "t.telemetry").get(0)).get("stability_ratio").getAsDouble())
                .isEqualTo(30.0 / 76, org.assertj.core.data.Offset.offset(1e-12));
        publisher.close();
    }
}
