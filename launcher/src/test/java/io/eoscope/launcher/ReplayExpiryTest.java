package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.analyzer.AnalyzerConfig;
import io.eoscope.analyzer.AnalyzerLimits;
import io.eoscope.analyzer.Replay;
import io.eoscope.analyzer.ReplayService;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Payloads;
import io.eoscope.wire.ReplayRequest;
import io.eoscope.wire.TopicScan;
import io.eoscope.wire.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replay of a run whose snapshots retention has partly or wholly removed, against a real broker in this JVM: the
 * snapshots are written, the oldest deleted as retention deletes them ({@code Admin.deleteRecords} moves the
 * partition's log start offset, as a segment deleted for its age or size does), and the replay, the command line and
 * the replay service say which steps expired and the topic's retention, never a bare "no snapshot" nor a silent
 * partial result. One partition per topic, so the offsets are the snapshots' order.
 */
@Tag("integration")
@Timeout(300)
class ReplayExpiryTest {
    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;
    static final LabeledData XOR = io.eoscope.trainer.data.Xor2d.generate(3, 32);
    static final Payloads.Addressed DATASET = Payloads.Addressed.of(DatasetFile.encode(XOR, DType.F32));

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    private static KafkaSettings settings(String prefix) throws Exception {
        KafkaSettings s = new KafkaSettings(kafka.bootstrapServers(), new Topics(prefix), Map.of());
        try (Admin a = Admin.create(s.admin("test"))) {
            s.topics().create(a, 1, (short) 1);
        }
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test-dataset"))) {
            for (ProducerRecord<String, byte[]> r : Payloads.dataset(s.topics(), DATASET)) {
                p.send(r).get();
            }
        }
        return s;
    }

    private static List<ProducerRecord<String, byte[]>> snapshot(KafkaSettings s, String run, long step) {
        MlpModel m = MlpModel.initialise(new int[] {2, 8, 2}, Activation.ELU, Loss.MSE, 7 + step).withMetadata(
                Map.of("run", run, "step", Long.toString(step), "time", Double.toString(0.1 * step), "dataset", DATASET.hash()));
        return Payloads.snapshot(s.topics(), run, step, ModelFile.encode(m, DType.F32));
    }

    /** Publishes the records; returns the offset of each one's first record, in order. */
    private static List<Long> publish(KafkaSettings s, List<List<ProducerRecord<String, byte[]>>> payloads) throws Exception {
        List<Long> first = new ArrayList<>();
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test-snapshots"))) {
            for (List<ProducerRecord<String, byte[]>> payload : payloads) {
                first.add(p.send(payload.get(0)).get().offset());
                for (ProducerRecord<String, byte[]> r : payload.subList(1, payload.size())) {
                    p.send(r).get();
                }
            }
        }
        return first;
    }

    private static List<Long> publish(KafkaSettings s, String run, long... steps) throws Exception {
        List<List<ProducerRecord<String, byte[]>>> payloads = new ArrayList<>();
        for (long step : steps) {
            payloads.add(snapshot(s, run, step));
        }
        return publish(s, payloads);
    }

    /** Deletes every snapshot record before {@code offset}: what retention does to the oldest segments. */
    private static void expireBefore(KafkaSettings s, long offset) throws Exception {
        try (Admin a = Admin.create(s.admin("test-retention"))) {
            a.deleteRecords(Map.of(new TopicPartition(s.topics().snapshots(), 0), RecordsToDelete.beforeOffset(offset))).all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    private static AnalyzerConfig config(String analysisId) {
        AnalysisOptions d = AnalysisOptions.defaults();
        AnalysisOptions o = new AnalysisOptions(1, 1e-6, d.solver(), java.util.EnumSet.of(Curvature.HESSIAN), false, d.chunkSize(), 0,
                d.layerSpectra(),
                d.dualGramLimit(), d.maxProducts(), 0);
        return new AnalyzerConfig(analysisId, o, "float64", "cpu", "expiry-" + analysisId, "all");
    }

    private static Replay.Result replay(KafkaSettings s, String analysisId, String run) throws InterruptedException {
        return Replay.run(s, config(analysisId), AnalyzerLimits.defaults(), run, 0, Long.MAX_VALUE, (d, t) -> { });
    }

    /** The dead letters' reasons, in order. */
    private static List<String> deadLetters(KafkaSettings s) throws Exception {
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(s.consumer("test-deadletters", null))) {
            Map<TopicPartition, Long> end = TopicScan.fromStart(c, s.topics().deadletter());
            TopicScan.readTo(c, end, Duration.ofSeconds(30), r -> {
                try {
                    out.add(io.eoscope.wire.DeadLetter.parse(r.value()).reason());
                } catch (io.eoscope.wire.MalformedRecordException e) {
                    throw new AssertionError("a dead letter the wire module refuses: " + e.getMessage(), e);
                }
            });
        }
        return out;
    }

    private static int deadLettered(KafkaSettings s) {
        try {
            return deadLetters(s).size();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String[] cli(KafkaSettings s, String run, String analysisId) {
        return new String[] {"replay", "--bootstrap-servers", kafka.bootstrapServers(), "--topic-prefix", s.topics().prefix(),
            "--run", run, "--analysis-id", analysisId, "--broker-timeout-seconds", "10"};
    }

    @Test
    void aPartlyExpiredRunIsReplayedWithAWarningNamingTheExpiredSteps() throws Exception {
        KafkaSettings s = settings("part.");
        List<Long> offsets = publish(s, "r", 0, 10, 20, 30);
        Replay.Result live = replay(s, "live", "r"); // the analysis the run had: its metrics name every step
        assertThat(live.analysed()).isEqualTo(4);
        assertThat(live.warning()).isEmpty();

        expireBefore(s, offsets.get(2)); // steps 0 and 10 expire
        Replay.Result r = replay(s, "later", "r");
        assertThat(r.analysed()).isEqualTo(2);
        assertThat(r.failed()).isZero();
        assertThat(r.expired()).hasValueSatisfying(e -> {
            assertThat(e.steps()).containsExactly(0L, 10L);
            assertThat(e.logStartOffset()).isEqualTo(offsets.get(2));
        });
        assertThat(r.warning()).contains("replay of run r: 2 of 4 snapshots analysed; 2 have expired from part.snapshots: steps 0..10"
                + " (retention.ms=-1, retention.bytes=-1; partition 0 starts at offset " + offsets.get(2) + ")");

        // the command line: the replay succeeds, with the warning as its last line
        EosProcess.Result c = EosCli.run(cli(s, "r", "cli"));
        assertThat(c.status()).as(c.err()).isZero();
        assertThat(c.err()).contains("eos replay: 2 snapshots of r analysed as 'cli' into part.metrics")
                .contains("eos replay: warning: replay of run r: 2 of 4 snapshots analysed; 2 have expired from part.snapshots:"
                        + " steps 0..10 (retention.ms=-1, retention.bytes=-1; partition 0 starts at offset " + offsets.get(2) + ")");
        assertThat(deadLetters(s)).isEmpty();
    }

    @Test
    void aSnapshotWhoseFirstChunksExpiredIsCountedAsExpiredNotDeadLettered() throws Exception {
        KafkaSettings s = settings("head.");
        byte[] big = new byte[900_000]; // two chunks; never decoded, as its first chunk expires
        new Random(5).nextBytes(big);
        List<Long> offsets = publish(s, List.of(Payloads.snapshot(s.topics(), "h", 0, big), snapshot(s, "h", 10)));
        assertThat(offsets).containsExactly(0L, 2L);
        expireBefore(s, 1); // the first chunk of step 0 is gone, its second is still there

        Replay.Result r = replay(s, "later", "h");
        assertThat(r.analysed()).isEqualTo(1);
        assertThat(r.failed()).as("%s", r.failures()).isZero();
        assertThat(r.warning()).contains("replay of run h: 1 of 2 snapshots analysed; 1 has expired from head.snapshots: step 0"
                + " (retention.ms=-1, retention.bytes=-1; partition 0 starts at offset 1)");
        assertThat(deadLetters(s)).as("the orphaned chunk is not a malformed record").isEmpty();
    }

    @Test
    void aRunWhoseSnapshotsHaveAllExpiredFailsSayingSoEverywhere() throws Exception {
        KafkaSettings s = settings("gone.");
        publish(s, "g", 0, 10, 20);
        assertThat(replay(s, "live", "g").analysed()).isEqualTo(3);
        long other = publish(s, "o", 0).get(0); // a later run in the same partition stays
        expireBefore(s, other);
        String expected = "replay of run g: none of its 3 snapshots with step in [0, " + Long.MAX_VALUE + "] is left; 3 have"
                + " expired from gone.snapshots: steps 0..20 (retention.ms=-1, retention.bytes=-1; partition 0 starts at offset "
                + other + ")";

        assertThatThrownBy(() -> replay(s, "later", "g")).isInstanceOf(Replay.SnapshotsExpired.class).hasMessage(expected);
        EosProcess.Result c = EosCli.run(cli(s, "g", "cli"));
        assertThat(c.status()).as(c.err()).isEqualTo(1);
        assertThat(c.err().strip()).endsWith("eos replay: " + expected);

        // a run that never was is still the user's mistake, with a hint that old runs may have expired
        assertThatThrownBy(() -> replay(s, "later", "nope")).isNotInstanceOf(Replay.SnapshotsExpired.class)
                .isInstanceOf(Replay.NothingToReplay.class)
                .hasMessage("--run nope: no snapshot with step in [0, " + Long.MAX_VALUE + "] in gone.snapshots (partition 0, where"
                        + " its snapshots would be, starts at offset " + other + ": if the run is older than that, its snapshots have"
                        + " expired)");
        EosProcess.Result typo = EosCli.run(cli(s, "nope", "cli"));
        assertThat(typo.status()).as(typo.err()).isEqualTo(2);

        // the replay service (what the gateway's replay requests reach): dead-letters the request with the same reason
        ReplayService service = new ReplayService(s, config("service"), AnalyzerLimits.defaults(), "test");
        Thread thread = new Thread(service, "test-replays");
        thread.start();
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test-requests"))) {
            p.send(new ReplayRequest("g", "asked", 0, 100, 1, 1e-6, System.currentTimeMillis()).toRecord(s.topics())).get();
        }
        Poll.until(Duration.ofSeconds(60), "the request dead-lettered", () -> service.served() + deadLettered(s) > 0);
        service.requestStop();
        thread.join(30_000);
        service.close();
        assertThat(deadLetters(s)).containsExactly("replay request asked: replay of run g: none of its 3 snapshots with step in"
                + " [0, 100] is left; 3 have expired from gone.snapshots: steps 0..20 (retention.ms=-1, retention.bytes=-1;"
                + " partition 0 starts at offset " + other + ")");
    }

    @Test
    void theReplayServiceDeadLettersARequestServedInPart() throws Exception {
        KafkaSettings s = settings("served.");
        List<Long> offsets = publish(s, "q", 0, 10, 20);
        assertThat(replay(s, "live", "q").analysed()).isEqualTo(3);
        expireBefore(s, offsets.get(1));
        ReplayService service = new ReplayService(s, config("service"), AnalyzerLimits.defaults(), "test");
        Thread thread = new Thread(service, "test-replays");
        thread.start();
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test-requests"))) {
            p.send(new ReplayRequest("q", "asked", 0, 20, 1, 1e-6, System.currentTimeMillis()).toRecord(s.topics())).get();
        }
        Poll.until(Duration.ofSeconds(60), "the request served", () -> service.served() == 1);
        service.requestStop();
        thread.join(30_000);
        service.close();
        assertThat(service.partlyExpired()).isEqualTo(1);
        assertThat(deadLetters(s)).containsExactly("replay request asked: served in part: replay of run q: 2 of 3 snapshots analysed;"
                + " 1 has expired from served.snapshots: step 0 (retention.ms=-1, retention.bytes=-1; partition 0 starts at offset "
                + offsets.get(1) + ")");
    }
}
