package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.analyzer.AnalyzerConfig;
import io.eoscope.analyzer.AnalyzerLoop;
import io.eoscope.analyzer.AnalyzerVerticle;
import io.eoscope.analyzer.PayloadDecoder;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.curvature.alignment.LayerSpectraRoute;
import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.stream.TrainerVerticle;
import io.eoscope.wire.ChunkAssembler;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Payloads;
import io.eoscope.wire.Topics;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming pipeline against a real KRaft broker in this JVM: trainer → snapshots → analyzers →
 * metrics, dead letters, and a 20 MB model through default record limits.
 */
@Tag("integration")
@Timeout(300)
class StreamingPipelineTest {
    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;
    static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        vertx.close().await();
        kafka.close();
    }

    static KafkaSettings settings(String prefix) throws Exception {
        KafkaSettings s = new KafkaSettings(kafka.bootstrapServers(), new Topics(prefix), Map.of());
        try (Admin a = Admin.create(s.admin("test"))) {
            s.topics().create(a, 2, (short) 1);
        }
        return s;
    }

    static AnalyzerConfig analyzerConfig(String group) {
        AnalysisOptions d = AnalysisOptions.defaults();
        AnalysisOptions o = new AnalysisOptions(1, 1e-9, "lanczos", EnumSet.allOf(Curvature.class), true, 1000, 0,
                LayerSpectraRoute.AUTO, d.dualGramLimit(), 20_000, 0);
        return new AnalyzerConfig("test", o, "float64", "cpu", group, "all");
    }

    static RunConfig run(String name, long steps, long every) {
        return new RunConfig(name, "xor", null, 32, 2, 3, "2-8-8-2", "elu", "mse", 4, null, "gd", 0.05, 0.01, 0, 0.1, 1e-4,
                1, steps, 0, 0, every, 0, "float32", "cpu", 1000, false);
    }

    /** Every snapshot of a short run analysed exactly once, with the numbers of eos analyze on its file. */
    @Test
    void everySnapshotIsAnalysedOnceAndMatchesEosAnalyze() throws Exception {
        KafkaSettings s = settings("e2e.");
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        AnalyzerVerticle analyzer = new AnalyzerVerticle(s, analyzerConfig("e2e"), registry);
        vertx.deployVerticle(analyzer).await();
        Path runDir = dir.resolve("runs/e2e");
        TrainerVerticle trainer = new TrainerVerticle(run("e2e", 40, 10), runDir, s, TrainingListener.NONE);
        vertx.deployVerticle(trainer).await();
        trainer.finished().await();
        Map<String, JsonObject> metrics = readUntil(s, s.topics().metrics(), 5);
        assertThat(metrics.keySet()).containsExactlyInAnyOrder("e2e/0/test", "e2e/10/test", "e2e/20/test", "e2e/30/test", "e2e/40/test");
        assertThat(analyzer.loop().deadLetters()).isZero();
        assertThat(registry.get("eos.analyzer.snapshots").counter().count()).isEqualTo(5);
        assertThat(registry.get("eos.analyzer.analysis").timer().count()).isEqualTo(5);
        assertThat(registry.get("eos.analyzer.products").counter().count()).isGreaterThan(15);
        // every snapshot record committed by the group, and the lag the analyzer exports is the group's lag as the broker has it
        Poll.until(Duration.ofSeconds(30), "the group's offsets committed to the end of the snapshots topic",
                () -> groupLag(s, "e2e") == 0);
        Poll.until(Duration.ofSeconds(30), "the exported lag back to the group's lag, 0",
                () -> registry.get("eos.analyzer.lag").gauge().value() == 0 && analyzer.loop().lag() == 0);
        // the Kafka clients' own meters: the consumer read the five snapshots' records, the producer sent the five metrics
        assertThat(registry.get("kafka.consumer.fetch.manager.records.consumed.total").tag("component", "analyzer")
                .functionCounter().count()).isGreaterThanOrEqualTo(5);
        assertThat(registry.get("kafka.producer.record.send.total").tag("component", "analyzer").functionCounter().count())
                .isEqualTo(5);

        // the same snapshot file through the real command line gives the same numbers (in this JVM: EosProcessSmokeTest
        // runs eos analyze as a process of its own)
        Path data = dir.resolve("e2e-data.safetensors");
        DatasetFile.write(data, run("e2e", 40, 10).datasetSource().load(), DType.F32);
        Path snapshot = runDir.resolve("snapshots/step-00000020.safetensors");
        EosProcess.Result r = EosCli.run("analyze", "--model", snapshot.toString(), "--data", data.toString(), "--tol", "1e-9",
                "--quiet");
        assertThat(r.status()).as(r.err()).isZero();
        JsonObject cli = JsonParser.parseString(r.out()).getAsJsonObject();
        JsonObject streamed = metrics.get("e2e/20/test");
        assertThat(streamed.get("run").getAsString()).isEqualTo("e2e");
        assertThat(streamed.get("step").getAsLong()).isEqualTo(20);
        for (String key : new String[] {"hessian", "gauss_newton", "residual"}) {
            close(streamed.getAsJsonObject(key).getAsJsonArray("eigenvalues").get(0).getAsDouble(),
                    cli.getAsJsonObject(key).getAsJsonArray("eigenvalues").get(0).getAsDouble(), 1e-7);
        }
        close(streamed.get("loss").getAsDouble(), cli.get("loss").getAsDouble(), 1e-12);
        close(streamed.get("K_max_sq_mean").getAsDouble(), cli.get("K_max_sq_mean").getAsDouble(), 1e-7);
        for (int l = 0; l < 3; l++) {
            JsonObject a = streamed.getAsJsonArray("layers").get(l).getAsJsonObject();
            JsonObject b = cli.getAsJsonArray("layers").get(l).getAsJsonObject();
            for (String key : new String[] {"gauss_newton_top", "pi_J", "p_delta_J", "p_chi_delta"}) {
                close(a.get(key).getAsDouble(), b.get(key).getAsDouble(), 1e-7);
            }
        }
        vertx.undeploy(analyzer.deploymentID()).await();
        // closed with their clients: no Kafka meter is left behind reading a closed client
        assertThat(registry.find("kafka.consumer.fetch.manager.records.consumed.total").meters()).isEmpty();
        assertThat(registry.getMeters().stream().filter(m -> m.getId().getName().startsWith("kafka.")).toList()).isEmpty();
    }

    /** Random bytes, a truncated chunk sequence and wrong shapes go to deadletter; good records still pass. */
    @Test
    void malformedRecordsAreDeadLetteredAndTheGoodOnesAnalysed() throws Exception {
        KafkaSettings s = settings("bad.");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(s.producer("test-bad"))) {
            byte[] noise = new byte[3000];
            new Random(1).nextBytes(noise);
            producer.send(new ProducerRecord<>(s.topics().snapshots(), "junk", noise)).get();
            // a two-chunk payload whose first chunk never arrives
            List<ProducerRecord<String, byte[]>> big = Payloads.snapshot(s.topics(), "cut", 0, randomBytes(900_000));
            assertThat(big).hasSizeGreaterThan(1);
            producer.send(big.get(1)).get();
            // a complete payload whose model has inconsistent shapes
            MlpModel good = MlpModel.initialise(new int[] {2, 4, 2}, Activation.ELU, Loss.MSE, 1);
            Map<String, io.eoscope.curvature.io.Tensor> tensors = new LinkedHashMap<>(ModelFile.toSafetensors(good, DType.F32).tensors());
            tensors.put("layer2.weight", io.eoscope.curvature.io.Tensor.ofDoubles(DType.F32, new long[] {2, 3}, new double[6]));
            byte[] shapes = io.eoscope.curvature.io.Safetensors.encode(new io.eoscope.curvature.io.SafetensorsFile(tensors,
                    Map.of("activation", "elu", "loss", "mse", "run", "shapes", "step", "0", "time", "0", "dataset", "x")));
            for (ProducerRecord<String, byte[]> rec : Payloads.snapshot(s.topics(), "shapes", 0, shapes)) {
                producer.send(rec).get();
            }
        }
        AnalyzerVerticle analyzer = new AnalyzerVerticle(s, analyzerConfig("bad"));
        vertx.deployVerticle(analyzer).await();
        TrainerVerticle trainer = new TrainerVerticle(run("good", 10, 5), dir.resolve("runs/good"), s, TrainingListener.NONE);
        vertx.deployVerticle(trainer).await();
        trainer.finished().await();
        Map<String, JsonObject> metrics = readUntil(s, s.topics().metrics(), 3);
        assertThat(metrics.keySet()).containsExactlyInAnyOrder("good/0/test", "good/5/test", "good/10/test");
        Map<String, JsonObject> dead = readUntil(s, s.topics().deadletter(), 3);
        List<String> reasons = dead.values().stream().map(o -> o.get("reason").getAsString()).toList();
        assertThat(reasons).anySatisfy(x -> assertThat(x).contains("not an eoscope chunk"));
        assertThat(reasons).anySatisfy(x -> assertThat(x).contains("out of sequence"));
        assertThat(reasons).anySatisfy(x -> assertThat(x).contains("layer1 outputs 4"));
        assertThat(analyzer.loop().deadLetters()).isEqualTo(3);
        vertx.undeploy(analyzer.deploymentID()).await();
    }

    /**
     * A snapshot that overtakes its dataset (another topic, so no ordering between them) is analysed once
     * the dataset arrives, not dead-lettered: the analyzer looks for a missing dataset again for a few
     * seconds. (The trainer itself waits for its dataset's acknowledgement before any snapshot.)
     */
    @Test
    void aSnapshotThatOvertakesItsDatasetIsAnalysedWhenTheDatasetArrives() throws Exception {
        KafkaSettings s = settings("late.");
        AnalyzerVerticle analyzer = new AnalyzerVerticle(s, analyzerConfig("late"));
        vertx.deployVerticle(analyzer).await();
        io.eoscope.curvature.net.LabeledData data = io.eoscope.trainer.data.Xor2d.generate(3, 32);
        Payloads.Addressed encoded = Payloads.Addressed.of(DatasetFile.encode(data, DType.F32));
        MlpModel model = MlpModel.initialise(new int[] {2, 8, 2}, Activation.ELU, Loss.MSE, 4)
                .withMetadata(Map.of("run", "late", "step", "0", "time", "0", "dataset", encoded.hash()));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(s.producer("test-late"))) {
            for (ProducerRecord<String, byte[]> r : Payloads.snapshot(s.topics(), "late", 0, ModelFile.encode(model, DType.F32))) {
                producer.send(r).get();
            }
            // the analyzer has the snapshot and found no dataset: now it arrives
            Poll.until(Duration.ofSeconds(30), "the analyzer waiting for the dataset", () -> analyzer.loop().datasetWaits() >= 1);
            for (ProducerRecord<String, byte[]> r : Payloads.dataset(s.topics(), encoded)) {
                producer.send(r).get();
            }
        }
        Map<String, JsonObject> metrics = readUntil(s, s.topics().metrics(), 1);
        assertThat(metrics.keySet()).containsExactly("late/0/test");
        assertThat(analyzer.loop().deadLetters()).isZero();
        long most = io.eoscope.analyzer.AnalyzerLimits.defaults().datasetWait().toMillis() / AnalyzerLoop.DATASET_RETRY.toMillis() + 1;
        assertThat(analyzer.loop().datasetWaits()).isBetween(1L, most);
        vertx.undeploy(analyzer.deploymentID()).await();
    }

    /**
     * A snapshot whose spectrum cannot be computed (a single affine layer: H is exactly 0) is
     * dead-lettered with the solver's reason, never published as a number, and the analyzer goes on to
     * analyse the next snapshot.
     */
    @Test
    void aSnapshotWithoutATrustworthySpectrumIsDeadLetteredWithTheReason() throws Exception {
        KafkaSettings s = settings("nospec.");
        io.eoscope.curvature.net.LabeledData data = io.eoscope.trainer.data.Xor2d.generate(5, 32);
        Payloads.Addressed encoded = Payloads.Addressed.of(DatasetFile.encode(data, DType.F32));
        Map<String, String> meta = Map.of("run", "affine", "step", "0", "time", "0", "dataset", encoded.hash());
        MlpModel affine = MlpModel.initialise(new int[] {2, 2}, Activation.ELU, Loss.MSE, 4).withMetadata(meta);
        MlpModel deep = MlpModel.initialise(new int[] {2, 8, 2}, Activation.ELU, Loss.MSE, 4)
                .withMetadata(Map.of("run", "deep", "step", "0", "time", "0", "dataset", encoded.hash()));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(s.producer("test-nospec"))) {
            for (ProducerRecord<String, byte[]> r : Payloads.dataset(s.topics(), encoded)) {
                producer.send(r).get();
            }
            for (MlpModel m : List.of(affine, deep)) {
                String run = m.metadata().get("run");
                for (ProducerRecord<String, byte[]> r : Payloads.snapshot(s.topics(), run, 0, ModelFile.encode(m, DType.F32))) {
                    producer.send(r).get();
                }
            }
        }
        AnalyzerVerticle analyzer = new AnalyzerVerticle(s, analyzerConfig("nospec"));
        vertx.deployVerticle(analyzer).await();
        Map<String, JsonObject> metrics = readUntil(s, s.topics().metrics(), 1);
        assertThat(metrics.keySet()).containsExactly("deep/0/test");
        Map<String, JsonObject> dead = readUntil(s, s.topics().deadletter(), 1);
        assertThat(dead.values()).singleElement().satisfies(o -> assertThat(o.get("reason").getAsString())
                .startsWith("snapshot affine@0: eigen-solve failed: residual spectrum: the operator is exactly zero"));
        assertThat(analyzer.loop().deadLetters()).isEqualTo(1);
        vertx.undeploy(analyzer.deploymentID()).await();
    }

    /** A 20 MB snapshot crosses a broker with the default 1 MB record limit, bit for bit. */
    @Test
    void twentyMegabyteModelPassesDefaultRecordLimits() throws Exception {
        KafkaSettings s = settings("big.");
        MlpModel model = MlpModel.initialise(new int[] {2048, 2400, 10}, Activation.ELU, Loss.MSE, 5)
                .withMetadata(Map.of("run", "big", "step", "0", "time", "0", "dataset", "none"));
        byte[] bytes = ModelFile.encode(model, DType.F32);
        assertThat(bytes.length).isGreaterThan(19_000_000);
        List<ProducerRecord<String, byte[]>> records = Payloads.snapshot(s.topics(), "big", 0, bytes);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(s.producer("test-big"))) {
            for (ProducerRecord<String, byte[]> r : records) {
                producer.send(r).get();
            }
        }
        ChunkAssembler assembler = new ChunkAssembler(4);
        Optional<ChunkAssembler.Payload> payload = Optional.empty();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(s.consumer("test-big", null))) {
            List<TopicPartition> parts = partitions(consumer, s.topics().snapshots());
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Instant deadline = Instant.now().plusSeconds(60);
            while (payload.isEmpty() && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    assertThat(r.serializedValueSize()).isLessThan(1_000_000);
                    Optional<ChunkAssembler.Payload> p = assembler.accept(r);
                    if (p.isPresent()) {
                        payload = p;
                    }
                }
            }
        }
        assertThat(payload).isPresent();
        assertThat(payload.get().bytes()).isEqualTo(bytes);
        MlpModel back = (MlpModel) PayloadDecoder.snapshot(payload.get());
        double[] want = model.weights().get(0);
        double[] got = back.weights().get(0);
        assertThat(got.length).isEqualTo(want.length);
        int mismatch = java.util.Arrays.mismatch(got, java.util.Arrays.stream(want).map(v -> (float) v).toArray());
        assertThat(mismatch).as("first differing weight").isEqualTo(-1);
    }

    /** Replaying a stored run twice with the same options gives bit-identical metrics. */
    @Test
    void replayIsBitIdentical() throws Exception {
        KafkaSettings s = settings("replay.");
        TrainerVerticle trainer = new TrainerVerticle(run("rp", 20, 10), dir.resolve("runs/rp"), s, TrainingListener.NONE);
        vertx.deployVerticle(trainer).await();
        trainer.finished().await();
        vertx.undeploy(trainer.deploymentID()).await();
        for (String id : new String[] {"first", "second"}) {
            AnalyzerConfig c = analyzerConfig("unused");
            AnalyzerConfig config = new AnalyzerConfig(id, c.options(), c.dtype(), c.device(), c.group(), c.lagPolicy());
            io.eoscope.analyzer.Replay.Result r = io.eoscope.analyzer.Replay.run(s, config, io.eoscope.analyzer.AnalyzerLimits.defaults(),
                    "rp", 0, 20, (d, t) -> { });
            assertThat(r.analysed()).isEqualTo(3);
            assertThat(r.failed()).isZero();
        }
        Map<String, JsonObject> metrics = readUntil(s, s.topics().metrics(), 6);
        for (long step : new long[] {0, 10, 20}) {
            JsonObject a = metrics.get("rp/" + step + "/first").deepCopy();
            JsonObject b = metrics.get("rp/" + step + "/second").deepCopy();
            for (JsonObject o : new JsonObject[] {a, b}) {
                o.remove("analysis_id");
                o.remove("analysis_seconds");
                o.remove("seconds");
                o.remove("stage_seconds");
            }
            assertThat(a.toString()).isEqualTo(b.toString());
        }
        // one unreadable record among the run's snapshots: dead-lettered with the reason, the others still analysed
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(s.producer("test-replay-bad"))) {
            producer.send(new ProducerRecord<>(s.topics().snapshots(), "rp", new byte[] {1, 2, 3})).get();
        }
        AnalyzerConfig c = analyzerConfig("unused");
        io.eoscope.analyzer.Replay.Result third = io.eoscope.analyzer.Replay.run(s,
                new AnalyzerConfig("third", c.options(), c.dtype(), c.device(), c.group(), c.lagPolicy()),
                io.eoscope.analyzer.AnalyzerLimits.defaults(), "rp", 0, 20, (d, t) -> { });
        assertThat(third.analysed()).isEqualTo(3);
        assertThat(third.failed()).isEqualTo(1);
        assertThat(third.failures()).singleElement().asString().contains("not an eoscope chunk");
        assertThat(readUntil(s, s.topics().deadletter(), 1).values()).anySatisfy(o ->
                assertThat(o.get("reason").getAsString()).startsWith("replay third: not an eoscope chunk"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.eoscope.analyzer.Replay.run(s, analyzerConfig("x"),
                io.eoscope.analyzer.AnalyzerLimits.defaults(), "nope", 0, 10, (d, t) -> { })).hasMessageContaining("no snapshot");
    }

    /** A replay request on the replays topic (what the gateway publishes) is served by an analyzer; a malformed one is dead-lettered. */
    @Test
    void replayRequestsAreServedByAnAnalyzer() throws Exception {
        KafkaSettings s = settings("replayreq.");
        TrainerVerticle trainer = new TrainerVerticle(run("rq", 20, 10), dir.resolve("runs/rq"), s, TrainingListener.NONE);
        vertx.deployVerticle(trainer).await();
        trainer.finished().await();
        vertx.undeploy(trainer.deploymentID()).await();
        AnalyzerVerticle analyzer = new AnalyzerVerticle(s, analyzerConfig("replayreq"));
        vertx.deployVerticle(analyzer).await();
        readUntil(s, s.topics().metrics(), 3); // the live analysis
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(s.producer("test-replay-request"))) {
            producer.send(new io.eoscope.wire.ReplayRequest("rq", "served", 10, 20, 2, 1e-6, System.currentTimeMillis())
                    .toRecord(s.topics())).get();
            producer.send(new ProducerRecord<>(s.topics().replays(), "rq", "{\"run\":\"rq\"}".getBytes(StandardCharsets.UTF_8))).get();
        }
        Map<String, JsonObject> metrics = readUntil(s, s.topics().metrics(), 5);
        assertThat(metrics.keySet()).contains("rq/10/served", "rq/20/served").doesNotContain("rq/0/served");
        assertThat(metrics.get("rq/20/served").getAsJsonObject("hessian").getAsJsonArray("eigenvalues")).hasSize(2);
        Poll.until(Duration.ofSeconds(60), "the malformed request dead-lettered", () -> analyzer.replays().served() == 1);
        assertThat(readUntil(s, s.topics().deadletter(), 1).values()).anySatisfy(o ->
                assertThat(o.get("reason").getAsString()).startsWith("replay request:"));
        vertx.undeploy(analyzer.deploymentID()).await();
    }

    /** An analyzer stopped in the middle of a run and a new one started: every snapshot gets its metrics. */
    @Test
    void analyzerStoppedAndRestartedMidRunLosesNothing() throws Exception {
        KafkaSettings s = settings("restart.");
        AnalyzerVerticle first = new AnalyzerVerticle(s, analyzerConfig("restart"));
        vertx.deployVerticle(first).await();
        TrainerVerticle trainer = new TrainerVerticle(run("kr", 100, 4), dir.resolve("runs/kr"), s, TrainingListener.NONE);
        vertx.deployVerticle(trainer).await();
        Poll.until(Duration.ofSeconds(120), "three snapshots analysed", () -> first.loop().analysed() >= 3);
        vertx.undeploy(first.deploymentID()).await();
        assertThat(first.loop().analysed()).isGreaterThanOrEqualTo(3);
        long done = committed(s, "restart"); // how far the first got is up to the timing: what it left is asserted below
        AnalyzerVerticle second = new AnalyzerVerticle(s, analyzerConfig("restart"));
        vertx.deployVerticle(second).await();
        trainer.finished().await();
        Map<String, JsonObject> metrics = readUntil(s, s.topics().metrics(), 26);
        for (long step = 0; step <= 100; step += 4) {
            assertThat(metrics).containsKey("kr/" + step + "/test");
        }
        assertThat(metrics).hasSize(26);
        Poll.until(Duration.ofSeconds(60), "every snapshot record committed", () -> groupLag(s, "restart") == 0);
        assertThat(snapshotRecords(s)).as("one record per snapshot").isEqualTo(26);
        assertThat(second.loop().analysed()).as("the restarted analyzer took over exactly what the first had not committed")
                .isEqualTo(26 - done);
        vertx.undeploy(second.deploymentID()).await();
    }

    /**
     * Two analyzers share the partitions; a third joining and one leaving lose nothing. Asserted is what the group
     * promises, not where the runs' keys happen to fall: every member is assigned partitions, every snapshot is
     * analysed, and one is analysed twice only when the member that left had not committed it (at least once).
     */
    @Test
    void analyzersShareTheWorkAndRebalanceWithoutLoss() throws Exception {
        KafkaSettings s = settings("group.");
        AnalyzerVerticle a = new AnalyzerVerticle(s, analyzerConfig("shared"));
        AnalyzerVerticle b = new AnalyzerVerticle(s, analyzerConfig("shared"));
        vertx.deployVerticle(a).await();
        vertx.deployVerticle(b).await();
        awaitAssigned(s, "shared", a, b);
        List<String> runs = List.of("g1", "g2", "g3", "g4");
        List<TrainerVerticle> trainers = new ArrayList<>();
        for (String name : runs) {
            TrainerVerticle t = new TrainerVerticle(run(name, 30, 10), dir.resolve("runs/" + name), s, TrainingListener.NONE);
            vertx.deployVerticle(t).await();
            trainers.add(t);
        }
        Poll.until(Duration.ofSeconds(120), "six snapshots analysed", () -> a.loop().analysed() + b.loop().analysed() >= 6);
        AnalyzerVerticle c = new AnalyzerVerticle(s, analyzerConfig("shared"));
        vertx.deployVerticle(c).await();
        vertx.undeploy(a.deploymentID()).await();
        awaitAssigned(s, "shared", b, c);
        for (TrainerVerticle t : trainers) {
            t.finished().await();
        }
        Poll.until(Duration.ofSeconds(120), "every snapshot record committed by the group", () -> groupLag(s, "shared") == 0);
        Map<String, Integer> published = countAll(s, s.topics().metrics());
        List<String> expected = new ArrayList<>();
        for (String name : runs) {
            for (long step = 0; step <= 30; step += 10) {
                expected.add(name + "/" + step + "/test");
            }
        }
        assertThat(published.keySet()).containsExactlyInAnyOrderElementsOf(expected);
        long analysed = a.loop().analysed() + b.loop().analysed() + c.loop().analysed();
        long total = published.values().stream().mapToLong(Integer::longValue).sum();
        assertThat(total).as("metrics records published, one per analysis").isEqualTo(analysed);
        assertThat(total - expected.size()).as("snapshots analysed again: only what the leaving member had not committed")
                .isLessThanOrEqualTo(a.loop().analysed());
        assertThat(published.values()).as("analyses per snapshot").allSatisfy(n -> assertThat(n).isBetween(1, 2));
        vertx.undeploy(b.deploymentID()).await();
        vertx.undeploy(c.deploymentID()).await();
    }

    /** Waits until the group is stable with exactly these analyzers as members, each assigned partitions of the snapshots topic. */
    static void awaitAssigned(KafkaSettings s, String group, AnalyzerVerticle... members) throws Exception {
        Map<String, Integer> want = new HashMap<>();
        for (AnalyzerVerticle m : members) {
            want.put(m.loop().clientId(), 0);
        }
        Map<String, Integer> seen = new HashMap<>();
        try (Admin admin = Admin.create(s.admin("test-group-reader"))) {
            Poll.until(Duration.ofSeconds(90), "group " + group + " stable with members " + want.keySet()
                    + ", each assigned partitions of " + s.topics().snapshots() + " (last seen: " + seen + ")", () -> {
                        ConsumerGroupDescription d = describe(admin, group);
                        seen.clear();
                        d.members().forEach(m -> seen.put(m.clientId(), (int) m.assignment().topicPartitions().stream()
                                .filter(tp -> tp.topic().equals(s.topics().snapshots())).count()));
                        return d.groupState() == GroupState.STABLE && seen.keySet().equals(want.keySet())
                                && seen.values().stream().allMatch(n -> n > 0);
                    });
        }
    }

    private static ConsumerGroupDescription describe(Admin admin, String group) {
        try {
            return admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("cannot describe group " + group + ": " + e, e);
        }
    }

    /** Records of the snapshots topic the group has not committed (no transactions: every offset is a record). */
    static long groupLag(KafkaSettings s, String group) {
        return snapshotRecords(s) - committed(s, group);
    }

    /** Records in the snapshots topic: the sum of its end offsets. */
    static long snapshotRecords(KafkaSettings s) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(s.consumer("test-end-reader", null))) {
            return consumer.endOffsets(partitions(consumer, s.topics().snapshots()), Duration.ofSeconds(10)).values().stream()
                    .mapToLong(Long::longValue).sum();
        }
    }

    /** The group's committed offsets on the snapshots topic, summed: the records it is done with. */
    static long committed(KafkaSettings s, String group) {
        try (Admin admin = Admin.create(s.admin("test-offset-reader"))) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).entrySet()
                    .stream().filter(e -> e.getKey().topic().equals(s.topics().snapshots()) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset()).sum();
        } catch (Exception e) {
            throw new AssertionError("cannot read the offsets of group " + group + ": " + e, e);
        }
    }

    /** How many records each key has in {@code topic}, read to its end. */
    static Map<String, Integer> countAll(KafkaSettings s, String topic) {
        Map<String, Integer> counts = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(s.consumer("test-counter", null))) {
            Map<TopicPartition, Long> end = io.eoscope.wire.TopicScan.fromStart(consumer, topic);
            Instant deadline = Instant.now().plusSeconds(60);
            while (!io.eoscope.wire.TopicScan.reached(consumer, end)) {
                assertThat(Instant.now()).as("read " + topic + " to its end").isBefore(deadline);
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    counts.merge(r.key(), 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(9).nextBytes(b);
        return b;
    }

    static void close(double a, double b, double tol) {
        assertThat(Math.abs(a - b)).as("%s vs %s", a, b).isLessThanOrEqualTo(tol * Math.max(Math.abs(b), 1e-12));
    }

    static List<TopicPartition> partitions(KafkaConsumer<String, byte[]> consumer, String topic) {
        List<TopicPartition> out = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            out.add(new TopicPartition(topic, p.partition()));
        }
        return out;
    }

    /** The de-duplicated view (last value per key) of a topic, once it holds at least {@code count} keys. */
    static Map<String, JsonObject> readUntil(KafkaSettings s, String topic, int count) throws Exception {
        Map<String, JsonObject> view = new HashMap<>();
        Map<String, Integer> seen = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(s.consumer("test-reader", null))) {
            List<TopicPartition> parts = partitions(consumer, topic);
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Instant deadline = Instant.now().plusSeconds(180);
            while (view.size() < count && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                    view.put(r.key(), JsonParser.parseString(new String(r.value(), StandardCharsets.UTF_8)).getAsJsonObject());
                    seen.merge(r.key(), 1, Integer::sum);
                }
            }
        }
        assertThat(view).as("records in " + topic).hasSizeGreaterThanOrEqualTo(count);
        return view;
    }
}
