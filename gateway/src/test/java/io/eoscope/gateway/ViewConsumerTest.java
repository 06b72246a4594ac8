package io.eoscope.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.eoscope.wire.DeadLetter;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The view consumer on a MockConsumer: bad records never enter the view, missing topics are waited for, a fatal error ends it. */
@Timeout(60)
class ViewConsumerTest {
    final KafkaSettings settings = new KafkaSettings("127.0.0.1:1", new Topics("t."), Map.of());
    final MockConsumer<String, byte[]> mock = new MockConsumer<>("earliest");
    final MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final RunsView view = new RunsView();
    final MetricsRecord.Limits limits = MetricsRecord.Limits.DEFAULTS;
    ViewConsumer consumer;
    Thread thread;
    long offset;

    @BeforeEach
    void start() {
        for (String t : List.of("t.runs", "t.telemetry", "t.metrics")) {
            mock.updateBeginningOffsets(Map.of(new TopicPartition(t, 0), 0L));
            mock.updateEndOffsets(Map.of(new TopicPartition(t, 0), 0L));
        }
        consumer = new ViewConsumer(settings, view, registry, producer, mock, System::currentTimeMillis, limits);
        thread = new Thread(consumer, "view-consumer-test");
        thread.start();
    }

    @AfterEach
    void stop() throws Exception {
        consumer.close();
        thread.join(10_000);
    }

    void topic(String t) {
        mock.updatePartitions(t, List.of(new PartitionInfo(t, 0, Node.noNode(), new Node[0], new Node[0])));
    }

    void send(String topic, String key, String value) {
        mock.addRecord(new ConsumerRecord<>(topic, 0, offset++, key, value == null ? null : value.getBytes(StandardCharsets.UTF_8)));
    }

    static void until(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.onSpinWait();
            Thread.sleep(20); // bounded polling of another thread's progress
        }
    }

    void allTopics() throws InterruptedException {
        topic("t.runs");
        topic("t.telemetry");
        topic("t.metrics");
        until("ready", () -> consumer.readiness().ready());
    }

    @Test
    void topicsThatDoNotExistYetAreWaitedForAndReadOnceTheyAppear() throws Exception {
        Thread.sleep(300);
        assertThat(consumer.readiness().ready()).isFalse();
        assertThat(consumer.readiness().reason()).contains("t.runs").contains("t.telemetry").contains("t.metrics");
        assertThat(consumer.deathReason()).isNull();
        topic("t.runs");
        until("runs assigned", () -> !consumer.readiness().reason().contains("t.runs"));
        assertThat(mock.assignment()).containsExactly(new TopicPartition("t.runs", 0));
        assertThat(consumer.readiness().ready()).isFalse();
        assertThat(consumer.readiness().reason()).doesNotContain("t.runs").contains("t.metrics");
        send("t.runs", "early", Fixtures.runJson("early", "running"));
        until("the first run is in the view", () -> view.get("early").isPresent());
        topic("t.telemetry");
        topic("t.metrics");
        until("ready", () -> consumer.readiness().ready());
        assertThat(mock.assignment()).hasSize(3);
    }

    @Test
    void badRecordsAreRejectedCountedLoggedAndDeadLetteredWhileGoodOnesAreApplied() throws Exception {
        ListAppender<ILoggingEvent> log = RunsViewTest.capture(ViewConsumer.class);
        allTopics();
        send("t.runs", "good", Fixtures.runJson("good", "running"));
        send("t.runs", "bad1", "{\"run\":\"bad1\",\"status\":{\"x\":1}}");
        send("t.runs", "bad2", Fixtures.runJson("bad2", "running").replace("0.04", "\"abc\""));
        send("t.runs", "bad3", "not json at all");
        send("t.telemetry", "good", Fixtures.stepJson("good", 1, "0.5"));
        send("t.telemetry", "good", Fixtures.stepJson("good", 2, "0.5").replace("{", "{\"schema\":2,"));
        send("t.telemetry", "other", Fixtures.stepJson("good", 3, "0.5"));
        send("t.metrics", "good/1/default", Fixtures.metricsJson("good", 1, "default", 40));
        send("t.metrics", "good/9/default", Fixtures.metricsJson("good", 1, "default", 40));
        send("t.metrics", "good/2/default", Fixtures.metricsJson("good", 2, "default", 40).replace("[40.0]", "[\"x\"]"));
        // the poll thread counts a rejection, then sends its dead letter: wait for both (the seventh letter once lagged the
        // count under load)
        until("all records consumed", () -> consumer.rejected() == 7 && producer.history().size() == 7
                && view.get("good").flatMap(RunsView.Run::metrics).isPresent());
        assertThat(view.all()).extracting(RunsView.Run::name).containsExactly("good");
        assertThat(view.get("good").orElseThrow().telemetry().orElseThrow().step()).isEqualTo(1);
        assertThat(registry.get("eos.gateway.records.rejected").tag("topic", "t.runs").counter().count()).isEqualTo(3);
        assertThat(registry.get("eos.gateway.records.rejected").tag("topic", "t.telemetry").counter().count()).isEqualTo(2);
        assertThat(registry.get("eos.gateway.records.rejected").tag("topic", "t.metrics").counter().count()).isEqualTo(2);
        List<DeadLetter> letters = producer.history().stream().map(r -> {
            try {
                return DeadLetter.parse(r.value());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).sorted(java.util.Comparator.comparingLong(DeadLetter::offset)).toList(); // offsets are unique across topics here
        assertThat(producer.history()).allMatch(r -> r.topic().equals("t.deadletter"));
        assertThat(letters).hasSize(7);
        assertThat(letters.get(0).reason()).contains("'status'");
        assertThat(letters.get(1).reason()).contains("'learningRate'");
        assertThat(letters.get(3).reason()).contains("unknown schema 2");
        assertThat(letters.get(4).reason()).contains("key 'other'");
        assertThat(letters.get(5).reason()).contains("run/step/analysis_id");
        assertThat(letters.get(6).reason()).contains("hessian.eigenvalues[0]");
        List<ILoggingEvent> warns = log.list.stream().filter(e -> e.getLevel() == Level.WARN
                && e.getFormattedMessage().startsWith("rejected record")).toList();
        assertThat(warns).hasSize(7);
        assertThat(warns).filteredOn(e -> e.getFormattedMessage().contains("topic=t.runs partition=0 offset=1 "))
                .hasSize(1).first().extracting(ILoggingEvent::getFormattedMessage).asString().contains("'status'");
    }

    @Test
    void aTombstoneOnRunsForgetsTheRun() throws Exception {
        allTopics();
        send("t.runs", "gone", Fixtures.runJson("gone", "finished"));
        until("in", () -> view.get("gone").isPresent());
        send("t.runs", "gone", null);
        until("out", () -> view.get("gone").isEmpty());
        assertThat(consumer.rejected()).isZero();
    }

    @Test
    void aFatalErrorEndsTheLoopWithAReason() throws Exception {
        allTopics();
        mock.setPollException(new TopicAuthorizationException("not allowed to read t.runs"));
        until("dead", () -> consumer.deathReason() != null);
        thread.join(10_000);
        assertThat(thread.isAlive()).isFalse();
        assertThat(consumer.deathReason()).contains("not allowed to read t.runs");
        assertThat(consumer.readiness().ready()).isFalse();
        assertThat(consumer.readiness().reason()).contains("not allowed");
    }

    static String layers(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            b.append(i == 1 ? "" : ",").append("{\"layer\":").append(i).append(",\"gauss_newton_top\":1,\"pi_chi\":1}");
        }
        return b.toString();
    }

    List<String> reasons() {
        return producer.history().stream().map(r -> {
            try {
                return DeadLetter.parse(r.value());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).sorted(java.util.Comparator.comparingLong(DeadLetter::offset)).map(DeadLetter::reason).toList();
    }

    /**
     * Findings 14 and 12: telemetry with accuracy 2.5, time -1e308, step size -1 or step 2^63-1, a metrics record of step
     * -7, and one with 20,000 layers (140,012 series) were served; each is now rejected and dead-lettered saying why.
     */
    @Test
    void recordsThatBreakAFieldRuleOrABoundAreRejectedWithTheReason() throws Exception {
        allTopics();
        send("t.runs", "good", Fixtures.runJson("good", "running"));
        send("t.telemetry", "good", Fixtures.stepJson("good", 1, "0.5").replace("\"accuracy\":0.75", "\"accuracy\":2.5"));
        send("t.telemetry", "good", Fixtures.stepJson("good", 2, "0.5").replace("\"time\":0.08", "\"time\":-1e308"));
        send("t.telemetry", "good", Fixtures.stepJson("good", 3, "0.5").replace("\"step_size\":0.04", "\"step_size\":-1"));
        send("t.telemetry", "good", Fixtures.stepJson("good", Long.MAX_VALUE, "0.5"));
        send("t.metrics", "good/-7/default", Fixtures.metricsJson("good", -7, "default", 40));
        String huge = Fixtures.metricsJson("good", 5, "default", 40);
        huge = huge.substring(0, huge.indexOf("\"layers\":[") + 10) + layers(20_000) + "]}";
        send("t.metrics", "good/5/default", huge);
        send("t.telemetry", "good", Fixtures.stepJson("good", 4, "0.5"));
        send("t.metrics", "good/4/default", Fixtures.metricsJson("good", 4, "default", 40));
        until("all records consumed", () -> consumer.rejected() == 6 && view.get("good").flatMap(RunsView.Run::metrics).isPresent()
                && view.get("good").flatMap(RunsView.Run::telemetry).isPresent());
        RunsView.Run good = view.get("good").orElseThrow();
        assertThat(good.telemetry().orElseThrow().step()).isEqualTo(4);
        assertThat(good.telemetry().orElseThrow().accuracy()).isEqualTo(0.75);
        assertThat(good.metrics().orElseThrow().step()).isEqualTo(4);
        assertThat(good.metrics().orElseThrow().layers()).hasSize(1);
        assertThat(reasons()).containsExactly(
                "field 'accuracy' must be an accuracy in [0, 1] (or null: unknown), got 2.5",
                "field 'time' must be a time: a finite number ≥ 0 (or null: unknown), got -1.0E308",
                "field 'step_size' must be a step size: a finite number > 0 (or null: unknown), got -1.0",
                "field 'step' must be a step in 0..9007199254740991, got 9223372036854775807",
                "field 'step' must be a step in 0..9007199254740991, got -7",
                "field 'layers' has 20000 entries, over the bound of 256 (--max-layers)");
        assertThat(registry.get("eos.gateway.records.rejected").tag("topic", "t.metrics").counter().count()).isEqualTo(2);
    }

    /** The bounds are the gateway's options ({@code --max-layers} and the others), applied as configured. */
    @Test
    void theLimitsOnMetricsRecordsAreTheConfiguredOnes() throws Exception {
        RunsView tight = new RunsView();
        MockProducer<String, byte[]> letters = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        ViewConsumer c = new ViewConsumer(settings, tight, new SimpleMeterRegistry(), letters, new MockConsumer<>("earliest"),
                System::currentTimeMillis, new MetricsRecord.Limits(1, 1024, 1000, 1024));
        String two = Fixtures.metricsJson("r", 1, "default", 40).replace("\"layers\":[", "\"layers\":[" + layers(1) + ",")
                .replace("{\"layer\":1,\"gauss_newton_top\":30", "{\"layer\":2,\"gauss_newton_top\":30");
        c.apply(new ConsumerRecord<>("t.metrics", 0, 0, "r/1/default", two.getBytes(StandardCharsets.UTF_8)));
        c.apply(new ConsumerRecord<>("t.metrics", 0, 1, "r/2/default", Fixtures.metricsJson("r", 2, "default", 40)
                .getBytes(StandardCharsets.UTF_8)));
        assertThat(c.rejected()).isEqualTo(1);
        assertThat(DeadLetter.parse(letters.history().get(0).value()).reason())
                .isEqualTo("field 'layers' has 2 entries, over the bound of 1 (--max-layers)");
        assertThat(tight.get("r").orElseThrow().metrics().orElseThrow().step()).isEqualTo(2);
        // a density's nodes over --max-density-nodes, and a density that breaks a rule, are dead-lettered naming the field
        ViewConsumer dense = new ViewConsumer(settings, tight, new SimpleMeterRegistry(), letters, new MockConsumer<>("earliest"),
                System::currentTimeMillis, new MetricsRecord.Limits(256, 1024, 1000, 1024, 3));
        double[] four = {-0.5, 0.001, 2.0, 40.0};
        dense.apply(new ConsumerRecord<>("t.metrics", 0, 2, "r/3/heavy", Fixtures.densityJson("r", 3, "heavy", 40, four,
                new double[] {0.1, 0.3, 0.4, 0.2}).getBytes(StandardCharsets.UTF_8)));
        dense.apply(new ConsumerRecord<>("t.metrics", 0, 3, "r/4/heavy", Fixtures.densityJson("r", 4, "heavy", 40, new double[] {1, 2},
                new double[] {0.5, 0.6}).getBytes(StandardCharsets.UTF_8)));
        assertThat(DeadLetter.parse(letters.history().get(1).value()).reason())
                .isEqualTo("field 'density.hessian.nodes' has 4 entries, over the bound of 3 (--max-density-nodes)");
        assertThat(DeadLetter.parse(letters.history().get(2).value()).reason())
                .startsWith("field 'density.hessian.weights' must sum to 1 (within 1.0E-6), got 1.1");
        assertThat(tight.get("r").orElseThrow().densities(MetricsRecord.Operator.HESSIAN)).isEmpty();
        // and the defaults hold 2 layers
        RunsView roomy = new RunsView();
        new ViewConsumer(settings, roomy, null, null, new MockConsumer<>("earliest"), System::currentTimeMillis, limits)
                .apply(new ConsumerRecord<>("t.metrics", 0, 0, "r/1/default", two.getBytes(StandardCharsets.UTF_8)));
        assertThat(roomy.get("r").orElseThrow().metrics().orElseThrow().layers()).hasSize(2);
    }
}
