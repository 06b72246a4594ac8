package io.eoscope.gateway;

import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.wire.MetricsRecord;
import io.eoscope.wire.Records;
import io.eoscope.wire.RunRecord;
import io.eoscope.wire.TelemetryRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the {@link RunsView} from the {@code runs}, {@code telemetry} and {@code metrics} topics, read from
 * their beginning without a consumer group: every gateway replica rebuilds the same view.
 *
 * <ul>
 *   <li>Only valid records enter the view: one that does not parse as its topic's typed record (the wire's field
 *       rules; for metrics, also the {@link MetricsRecord.Limits} on layers, groups and lists) is rejected
 *       with the reason: counted ({@code eos.gateway.records.rejected}, tag {@code topic}), logged (one WARN
 *       line with topic, partition, offset and reason) and dead-lettered.</li>
 *   <li>Topics that do not exist yet are looked for again every second (then every 30 s for new partitions):
 *       runs appear as soon as their topics do.</li>
 *   <li>Alive while its loop runs; a fatal error (authorization, an unexpected exception) ends the loop with
 *       a logged reason ({@link #deathReason()}), which the gateway reports on {@code /health} and its process
 *       turns into a non-zero exit. Ready ({@link #readiness()}) when assigned to all three topics and the
 *       broker answered within {@link #READY_WINDOW}.</li>
 * </ul>
 * Its Kafka client meters ({@code kafka.consumer.*}, tag {@code component=gateway}) go to the gateway's
 * registry until it closes.
 */
public final class ViewConsumer implements Runnable, AutoCloseable {
    /** How long after the broker last answered the consumer still counts as ready. */
    public static final Duration READY_WINDOW = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long MISSING_RECHECK_MS = 1_000;
    private static final long COMPLETE_RECHECK_MS = 30_000;
    private static final long BROKER_CHECK_MS = 5_000;
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(ViewConsumer.class);
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final KafkaSettings settings;
    private final RunsView view;
    private final Consumer<String, byte[]> consumer;
    private final Producer<String, byte[]> deadLetters;
    private final KafkaClientMetrics metrics;
    private final LongSupplier clock;
    private final MetricsRecord.Limits limits;
    private final List<String> topics;
    private final Map<String, Counter> rejected = new LinkedHashMap<>();
    private final Set<TopicPartition> assigned = new HashSet<>();
    private final Set<String> assignedTopics = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Object wait = new Object();
    private volatile boolean running = true;
    private volatile String deathReason;
    private volatile long lastContact = Long.MIN_VALUE;
    private volatile long rejectedCount;
    private long nextTopicCheck;
    private long nextBrokerCheck;
    private volatile String lastMissing = "";
    private boolean brokerSilent;

    /** A view consumer without meters or dead letters (tests). */
    public ViewConsumer(KafkaSettings settings, RunsView view) {
        this(settings, view, null, null);
    }

    /**
     * A view consumer whose Kafka client meters and rejection counts go to {@code registry} and whose
     * rejected records go to the dead-letter topic through {@code deadLetters} (null: not dead-lettered).
     */
    public ViewConsumer(KafkaSettings settings, RunsView view, MeterRegistry registry, Producer<String, byte[]> deadLetters) {
        this(settings, view, registry, deadLetters, MetricsRecord.Limits.DEFAULTS);
    }

    /** As above, holding metrics records only within {@code limits} (a record over them is rejected saying which). */
    public ViewConsumer(KafkaSettings settings, RunsView view, MeterRegistry registry, Producer<String, byte[]> deadLetters,
            MetricsRecord.Limits limits) {
        // a client id of its own: the Kafka client meters are told apart by it when gateways share a process
        this(settings, view, registry, deadLetters,
                new KafkaConsumer<>(settings.consumer("eos-gateway-" + INSTANCES.incrementAndGet(), null)), System::currentTimeMillis, limits);
    }

    /** With a given consumer and clock (tests use MockConsumer). */
    ViewConsumer(KafkaSettings settings, RunsView view, MeterRegistry registry, Producer<String, byte[]> deadLetters,
            Consumer<String, byte[]> consumer, LongSupplier clock, MetricsRecord.Limits limits) {
        this.settings = settings;
        this.limits = java.util.Objects.requireNonNull(limits, "limits");
        this.view = view;
        this.deadLetters = deadLetters;
        this.consumer = consumer;
        this.clock = clock;
        this.topics = List.of(settings.topics().runs(), settings.topics().telemetry(), settings.topics().metrics());
        MeterRegistry meters = registry == null ? new SimpleMeterRegistry() : registry;
        for (String t : topics) {
            rejected.put(t, Counter.builder("eos.gateway.records.rejected")
                    .description("Records the gateway refused (invalid or of an unknown schema) and dead-lettered, by topic")
                    .tag("topic", t).register(meters));
        }
        this.metrics = registry == null || !(consumer instanceof KafkaConsumer<String, byte[]> kc) ? null
                : new KafkaClientMetrics(kc, List.of(Tag.of("component", "gateway")));
        if (metrics != null) {
            metrics.bindTo(registry);
        }
    }

    @Override
    public void run() {
        LOG.info("view consumer started: reading {} from their beginning", topics);
        try {
            while (running) {
                long now = clock.getAsLong();
                if (now >= nextTopicCheck) {
                    checkTopics(now);
                }
                if (assigned.isEmpty()) {
                    synchronized (wait) {
                        if (running) {
                            wait.wait(Math.max(1, nextTopicCheck - clock.getAsLong()));
                        }
                    }
                    continue;
                }
                try {
                    var records = consumer.poll(POLL);
                    if (!records.isEmpty()) {
                        lastContact = clock.getAsLong();
                    }
                    for (ConsumerRecord<String, byte[]> r : records) {
                        apply(r);
                    }
                } catch (RetriableException e) {
                    LOG.warn("polling the view's topics failed, retrying: {}", e.toString());
                }
                view.reportEvictions();
                view.reportDensityDrops();
                if (clock.getAsLong() >= nextBrokerCheck) {
                    checkBroker();
                }
            }
        } catch (WakeupException | InterruptedException e) {
            if (running) {
                die(e);
            }
        } catch (Throwable e) {
            die(e);
        } finally {
            running = false;
            if (metrics != null) {
                metrics.close(); // removes its meters before the client goes
            }
            try {
                consumer.close();
            } catch (RuntimeException e) {
                LOG.warn("closing the view consumer: {}", e.toString());
            }
            LOG.info("view consumer stopped");
        }
    }

    private void die(Throwable e) {
        deathReason = "the view consumer stopped: " + e;
        LOG.error("view consumer gave up: {}", e.toString(), e);
    }

    /** Looks up the partitions of the three topics; assigns new ones from their beginning. */
    private void checkTopics(long now) {
        List<String> missing = new ArrayList<>();
        List<TopicPartition> fresh = new ArrayList<>();
        boolean answered = false;
        for (String topic : topics) {
            List<PartitionInfo> parts;
            try {
                parts = consumer.partitionsFor(topic, CALL_TIMEOUT);
                answered = true;
            } catch (RetriableException e) {
                parts = List.of();
            }
            if (parts == null || parts.isEmpty()) {
                if (!assignedTopics.contains(topic)) {
                    missing.add(topic);
                }
                continue;
            }
            for (PartitionInfo p : parts) {
                TopicPartition tp = new TopicPartition(topic, p.partition());
                if (!assigned.contains(tp)) {
                    fresh.add(tp);
                }
            }
        }
        if (answered) {
            lastContact = clock.getAsLong();
        }
        if (!fresh.isEmpty()) {
            assigned.addAll(fresh);
            consumer.assign(new ArrayList<>(assigned));
            consumer.seekToBeginning(fresh);
            Set<String> newTopics = new HashSet<>();
            fresh.forEach(tp -> newTopics.add(tp.topic()));
            for (String t : newTopics) {
                LOG.info("view consumer assigned {} ({} new partition(s)), reading from the beginning", t,
                        fresh.stream().filter(tp -> tp.topic().equals(t)).count());
            }
            assignedTopics.addAll(newTopics);
        }
        String m = String.join(", ", missing);
        if (!m.equals(lastMissing)) {
            if (missing.isEmpty()) {
                LOG.info("view consumer: every topic exists and is assigned");
            } else {
                LOG.warn("view consumer: waiting for topic(s) {} to exist{} (looking again every second)", m,
                        answered ? "" : " (the broker does not answer)");
            }
            lastMissing = m;
        }
        nextTopicCheck = now + (missing.isEmpty() ? COMPLETE_RECHECK_MS : MISSING_RECHECK_MS);
    }

    /** Asks the broker for the end offsets: proof it answers (ready), even when no record arrives. */
    private void checkBroker() {
        nextBrokerCheck = clock.getAsLong() + BROKER_CHECK_MS;
        try {
            consumer.endOffsets(new ArrayList<>(assigned), CALL_TIMEOUT);
            lastContact = clock.getAsLong();
            if (brokerSilent) {
                LOG.info("view consumer: the broker answers again");
                brokerSilent = false;
            }
        } catch (RetriableException e) {
            if (!brokerSilent) {
                LOG.warn("view consumer: the broker does not answer ({}); not ready until it does", e.toString());
                brokerSilent = true;
            }
        }
    }

    /** Parses a record as its topic's typed record and applies it, or rejects it with the reason. */
    void apply(ConsumerRecord<String, byte[]> r) {
        long timestamp = r.timestamp() >= 0 ? r.timestamp() : clock.getAsLong();
        try {
            if (r.topic().equals(settings.topics().runs())) {
                if (r.value() == null) {
                    if (r.key() != null) {
                        view.remove(r.key()); // a tombstone: the run was deleted
                    }
                    return;
                }
                view.run(RunRecord.parse(r.key(), r.value()), timestamp);
            } else if (r.topic().equals(settings.topics().telemetry())) {
                TelemetryRecord t = TelemetryRecord.parse(r.value());
                if (r.key() != null && !r.key().equals(t.run())) {
                    throw new MalformedRecordException("key '" + printable(r.key()) + "' is not the record's run '" + t.run() + "'");
                }
                view.telemetry(t, timestamp);
            } else {
                MetricsRecord m = MetricsRecord.parse(r.value(), limits);
                if (r.key() != null && !r.key().equals(m.key())) {
                    throw new MalformedRecordException("key '" + printable(r.key()) + "' is not run/step/analysis_id '" + m.key() + "'");
                }
                view.metrics(m, timestamp);
            }
        } catch (MalformedRecordException e) {
            reject(r, e.getMessage());
        } catch (RuntimeException e) {
            reject(r, "could not be applied to the view: " + e);
        }
    }

    private void reject(ConsumerRecord<String, byte[]> r, String reason) {
        rejectedCount++;
        Counter c = rejected.get(r.topic());
        if (c != null) {
            c.increment();
        }
        LOG.warn("rejected record topic={} partition={} offset={} key={}: {}", r.topic(), r.partition(), r.offset(),
                printable(io.eoscope.wire.DeadLetter.brief(r.key())), io.eoscope.wire.DeadLetter.brief(reason));
        if (deadLetters != null) {
            try {
                deadLetters.send(Records.deadLetter(settings.topics(), r, reason), (meta, e) -> {
                    if (e != null) {
                        LOG.warn("could not dead-letter record topic={} partition={} offset={}: {}", r.topic(), r.partition(),
                                r.offset(), e.toString());
                    }
                });
            } catch (RuntimeException e) {
                LOG.warn("could not dead-letter record topic={} partition={} offset={}: {}", r.topic(), r.partition(), r.offset(),
                        e.toString());
            }
        }
    }

    /** A key as a log line may show it: no line breaks, bounded. */
    private static String printable(String key) {
        if (key == null) {
            return "null";
        }
        String s = key.replaceAll("\\p{Cntrl}", "?");
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    /** Why the loop stopped for good, or null while it runs (alive). */
    public String deathReason() {
        return deathReason;
    }

    /** Records refused since start. */
    public long rejected() {
        return rejectedCount;
    }

    /** Whether the view is complete and current, and if not, why. */
    public record Readiness(boolean ready, String reason) {}

    /** Ready: alive, assigned to all three topics, and the broker answered within {@link #READY_WINDOW}. */
    public Readiness readiness() {
        String dead = deathReason;
        if (dead != null) {
            return new Readiness(false, dead);
        }
        List<String> missing = topics.stream().filter(t -> !assignedTopics.contains(t)).toList();
        if (!missing.isEmpty()) {
            return new Readiness(false, "waiting for topic(s) " + String.join(", ", missing) + " to exist");
        }
        long silent = clock.getAsLong() - lastContact;
        if (silent > READY_WINDOW.toMillis()) {
            return new Readiness(false, "the broker has not answered for " + silent / 1000 + " s");
        }
        return new Readiness(true, "assigned to " + topics + "; the broker answered " + Math.max(0, silent) / 1000 + " s ago");
    }

    @Override
    public void close() {
        running = false;
        synchronized (wait) {
            wait.notifyAll();
        }
        consumer.wakeup();
    }
}
