package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Payloads;
import io.eoscope.wire.Retention;
import io.eoscope.wire.TopicSetup;
import io.eoscope.wire.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The retention options against a real broker in this JVM: new topics get them, an existing topic is changed only by
 * an option given explicitly (with one log line per change), and what one snapshot costs on the broker's disk
 * (docs/contracts.md#retention).
 */
@Tag("integration")
@Timeout(180)
class TopicRetentionTest {
    private static final long DAY = 24L * 3600 * 1000;
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(TopicRetentionTest.class);
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

    private static KafkaSettings settings(String prefix) {
        return new KafkaSettings(kafka.bootstrapServers(), new Topics(prefix), Map.of());
    }

    private static void setUp(KafkaSettings s, Retention r) throws InterruptedException {
        TopicSetup.createTopics(s, "test", 2, Optional.of((short) 1), r, Duration.ofSeconds(20));
    }

    private static Map<String, String> config(KafkaSettings s, String topic) throws Exception {
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try (Admin a = Admin.create(s.admin("test-describe"))) {
            Config c = a.describeConfigs(List.of(res)).all().get(30, TimeUnit.SECONDS).get(res);
            Map<String, String> out = new java.util.HashMap<>();
            for (String key : List.of("retention.ms", "retention.bytes", "segment.ms", "cleanup.policy")) {
                out.put(key, c.get(key).value());
            }
            return out;
        }
    }

    /** What an operator does by hand (kafka-configs.sh --alter): the services must not undo it. */
    private static void operatorSets(KafkaSettings s, String topic, String key, String value) throws Exception {
        try (Admin a = Admin.create(s.admin("test-operator"))) {
            a.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic),
                    (Collection<AlterConfigOp>) List.of(new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET))))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    /** The lines TopicSetup logs while {@code action} runs. */
    private static List<String> logged(ThrowingRunnable action) throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(TopicSetup.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            action.run();
        } finally {
            logger.detachAppender(appender);
        }
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void newTopicsGetTheRetentionAskedForAndTheCompactedTopicsStayCompacted() throws Exception {
        KafkaSettings s = settings("new.");
        setUp(s, Retention.parse("12h", "1GiB", "90m"));
        assertThat(config(s, "new.snapshots")).containsEntry("retention.ms", "43200000").containsEntry("retention.bytes", "1073741824")
                .containsEntry("segment.ms", "43200000").containsEntry("cleanup.policy", "delete");
        assertThat(config(s, "new.telemetry")).containsEntry("retention.ms", "5400000").containsEntry("segment.ms", "5400000");
        for (String compacted : new String[] {"new.runs", "new.datasets", "new.metrics"}) {
            assertThat(config(s, compacted)).as(compacted).containsEntry("cleanup.policy", "compact");
        }
        assertThat(config(s, "new.replays")).containsEntry("retention.ms", Long.toString(7 * DAY));
    }

    @Test
    void anExistingTopicChangesOnlyForAnOptionGivenExplicitly() throws Exception {
        KafkaSettings s = settings("old.");
        setUp(s, Retention.defaults()); // a cluster set up before the options existed: snapshots forever
        operatorSets(s, "old.telemetry", "retention.ms", Long.toString(3 * DAY));

        // a service started without the options leaves both topics as they are (never reverts the operator's 3 days)
        assertThat(logged(() -> setUp(s, Retention.parse(null, null, null)))).isEmpty();
        assertThat(config(s, "old.snapshots")).containsEntry("retention.ms", "-1").containsEntry("retention.bytes", "-1");
        assertThat(config(s, "old.telemetry")).containsEntry("retention.ms", Long.toString(3 * DAY));

        // one given explicitly is applied, and said, and only it
        List<String> lines = logged(() -> setUp(s, Retention.parse("30d", "20GiB", null)));
        assertThat(lines).containsExactly("old.snapshots retention.ms: -1 -> 2592000000 (--snapshot-retention)",
                "old.snapshots retention.bytes: -1 -> 21474836480 (--snapshot-retention-bytes)");
        assertThat(config(s, "old.snapshots")).containsEntry("retention.ms", Long.toString(30 * DAY))
                .containsEntry("retention.bytes", Long.toString(20L << 30));
        assertThat(config(s, "old.telemetry")).containsEntry("retention.ms", Long.toString(3 * DAY));

        // the same again changes nothing and says nothing; a shorter one also rolls segments as often
        assertThat(logged(() -> setUp(s, Retention.parse("30d", "20GiB", null)))).isEmpty();
        assertThat(logged(() -> setUp(s, Retention.parse(null, null, "12h")))).containsExactly(
                "old.telemetry retention.ms: 259200000 -> 43200000 (--telemetry-retention)",
                "old.telemetry segment.ms: 604800000 -> 43200000 (--telemetry-retention)");
        assertThat(config(s, "old.telemetry")).containsEntry("retention.ms", "43200000").containsEntry("segment.ms", "43200000");
        assertThat(config(s, "old.metrics")).containsEntry("cleanup.policy", "compact");
    }

    @Test
    void theCommandLineAppliesAGivenRetentionToTheExistingTopics() throws Exception {
        KafkaSettings s = settings("cli.");
        setUp(s, Retention.defaults());
        // eos train streams to the cluster: it creates (here: finds) the topics first, with the options given
        Path out = dir.resolve("cli-run");
        EosProcess.Result r = EosCli.run("train", "--dataset", "xor", "--classes", "2", "--n", "16", "--arch", "2-4-2",
                "--steps", "2", "--snapshot-every", "1", "--out", out.toString(), "--quiet", "--bootstrap-servers",
                kafka.bootstrapServers(), "--topic-prefix", "cli.", "--snapshot-retention", "90d");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(config(s, "cli.snapshots")).containsEntry("retention.ms", Long.toString(90 * DAY)).containsEntry("retention.bytes", "-1");
        assertThat(config(s, "cli.telemetry")).containsEntry("retention.ms", Long.toString(7 * DAY));
    }

    /**
     * What one snapshot costs on the broker's disk: the size of the snapshots partition's log segments after N
     * snapshots, as the trainer's producer writes them (lz4), in bytes per parameter. A float64 parameter costs 8 bytes
     * and lz4 wins almost nothing on initialised weights; a small model pays mostly for the safetensors header.
     */
    @Test
    void aSnapshotCostsItsParametersBytesOnTheBroker() throws Exception {
        int n = 10;
        long[] big64 = measure("size-a.", new int[] {784, 64, 64, 10}, DType.F64, n);
        long[] big32 = measure("size-b.", new int[] {784, 64, 64, 10}, DType.F32, n);
        long[] small64 = measure("size-c.", new int[] {4, 8, 2}, DType.F64, n);
        long[] small32 = measure("size-d.", new int[] {4, 8, 2}, DType.F32, n);
        for (long[] m : new long[][] {big64, big32, small64, small32}) {
            LOG.info("{} parameters: {} bytes per snapshot file, {} on the broker's disk ({} bytes per parameter)", m[0], m[1], m[2],
                    String.format(java.util.Locale.ROOT, "%.2f", (double) m[2] / m[0]));
        }
        assertThat(big64[0]).isEqualTo(55_050);
        assertThat((double) big64[2] / big64[0]).as("784-64-64-10 float64, bytes per parameter").isBetween(7.0, 8.2);
        assertThat((double) big32[2] / big32[0]).as("784-64-64-10 float32, bytes per parameter").isBetween(3.5, 4.2);
        assertThat(small64[0]).isEqualTo(58);
        assertThat(small64[2]).as("4-8-2 float64: the header and the record's framing weigh more than its 464 bytes of"
                + " parameters").isBetween(500L, 3000L);
        assertThat(small32[2]).isLessThan(small64[2]);
    }

    /** {parameters, bytes of one snapshot file, bytes per snapshot in the partition's log segments}. */
    private static long[] measure(String prefix, int[] widths, DType dtype, int n) throws Exception {
        KafkaSettings s = settings(prefix);
        try (Admin a = Admin.create(s.admin("test"))) {
            s.topics().create(a, 1, (short) 1);
        }
        long file = 0;
        long parameters = 0;
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test-size"))) {
            for (int step = 0; step < n; step++) {
                MlpModel m = MlpModel.initialise(widths, Activation.ELU, Loss.MSE, 100 + step).withMetadata(Map.of("run", "size",
                        "step", Integer.toString(step), "time", Double.toString(0.01 * step), "dataset", "0".repeat(64)));
                byte[] bytes = ModelFile.encode(m, dtype);
                file = bytes.length;
                parameters = m.parameterCount();
                for (ProducerRecord<String, byte[]> r : Payloads.snapshot(s.topics(), "size", step, bytes)) {
                    p.send(r).get();
                }
            }
        }
        Path partition = kafka.logDir().resolve(prefix + "snapshots-0");
        long log;
        try (Stream<Path> files = Files.list(partition)) {
            log = files.filter(f -> f.getFileName().toString().endsWith(".log")).mapToLong(TopicRetentionTest::size).sum();
        }
        return new long[] {parameters, file, log / n};
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
