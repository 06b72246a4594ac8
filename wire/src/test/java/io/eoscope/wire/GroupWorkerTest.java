package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The worker's promises, on Kafka's MockConsumer: the poll thread keeps polling (so the member keeps its place in
 * the group) however long work takes, commits never pass unfinished work or what the handler holds, a rebalance
 * touches only the partitions it revoked, refused commits are counted and survived, and a stop is finite.
 */
class GroupWorkerTest {
    private static final String TOPIC = "snapshots";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);
    private final Consumer consumer = new Consumer();
    private Thread thread;
    private final AtomicReference<Throwable> ended = new AtomicReference<>();

    /** MockConsumer counting polls, sleeping briefly on an empty one (the real one waits), and refusing commits on demand. */
    private static final class Consumer extends MockConsumer<String, byte[]> {
        final AtomicInteger polls = new AtomicInteger();
        final AtomicInteger refuseCommits = new AtomicInteger();
        final Map<TopicPartition, Long> committedOffsets = new ConcurrentHashMap<>();

        Consumer() {
            super("earliest");
        }

        @Override
        public synchronized ConsumerRecords<String, byte[]> poll(Duration timeout) {
            polls.incrementAndGet();
            ConsumerRecords<String, byte[]> r = super.poll(timeout);
            if (r.isEmpty()) {
                try {
                    wait(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return r;
        }

        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
            if (refuseCommits.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new CommitFailedException("the group rebalanced (test)");
            }
            super.commitSync(offsets, timeout);
            offsets.forEach((tp, o) -> committedOffsets.put(tp, o.offset()));
        }
    }

    /** A handler that makes one piece of work per record, running {@code task}; it holds nothing. */
    private static class OnePerRecord implements GroupWorker.Handler {
        final GroupWorker.Task task;
        final List<Collection<TopicPartition>> released = new CopyOnWriteArrayList<>();
        final Map<TopicPartition, Long> held = new ConcurrentHashMap<>();
        final boolean coalesce;

        OnePerRecord(GroupWorker.Task task, boolean coalesce) {
            this.task = task;
            this.coalesce = coalesce;
        }

        @Override
        public void accept(ConsumerRecord<String, byte[]> r, GroupWorker.Sink out) {
            out.submit(new GroupWorker.Work(new TopicPartition(r.topic(), r.partition()), r.offset(), coalesce ? r.key() : null, task));
        }

        @Override
        public long heldFrom(TopicPartition partition) {
            return held.getOrDefault(partition, -1L);
        }

        @Override
        public void released(Collection<TopicPartition> partitions) {
            released.add(List.copyOf(partitions));
            partitions.forEach(held::remove);
        }
    }

    private GroupWorker start(GroupWorker.Handler handler, int capacity, Duration stopWait) {
        GroupWorker w = new GroupWorker(consumer, TOPIC, handler,
                new GroupWorker.Limits(capacity, Duration.ofMillis(10), Duration.ofSeconds(1), stopWait), "test");
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0, P1));
            consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
            consumer.updateEndOffsets(Map.of(P0, 0L, P1, 0L));
        });
        thread = new Thread(() -> {
            try {
                w.run();
            } catch (Throwable t) {
                ended.set(t);
            }
        });
        thread.start();
        return w;
    }

    private void add(TopicPartition tp, long offset, String key) {
        consumer.schedulePollTask(() -> consumer.addRecord(new ConsumerRecord<>(TOPIC, tp.partition(), offset, key, new byte[0])));
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }

    private long committed(TopicPartition tp) {
        return consumer.committedOffsets.getOrDefault(tp, -1L);
    }

    @AfterEach
    void stopThread() throws InterruptedException {
        if (thread != null) {
            thread.interrupt();
            thread.join(10_000);
        }
    }

    /**
     * The slow fake: a piece of work that never ends by itself (an analysis of 40 minutes). The poll thread keeps
     * polling with the partitions paused, so max.poll.interval.ms never runs out, and nothing past it is committed.
     */
    @Test
    void slowWorkNeverStopsThePollingAndHoldsTheCommit() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger done = new AtomicInteger();
        GroupWorker w = start(new OnePerRecord(() -> {
            release.await(); // the 40 minutes
            done.incrementAndGet();
        }, false), 1, Duration.ofSeconds(5));
        for (long o = 0; o < 5; o++) {
            add(P0, o, "a");
        }
        await(() -> w.outstanding() >= 2, "the work to queue");
        assertThat(consumer.paused()).contains(P0, P1);
        int polls = consumer.polls.get();
        Thread.sleep(300);
        assertThat(consumer.polls.get() - polls).as("polls while the work runs").isGreaterThan(10);
        assertThat(committed(P0)).as("nothing passes the running work").isLessThanOrEqualTo(0);
        release.countDown();
        await(() -> committed(P0) == 5, "the commit after all five");
        assertThat(done.get()).isEqualTo(5);
        assertThat(consumer.paused()).isEmpty();
        w.requestStop();
        thread.join(10_000);
        assertThat(ended.get()).isNull();
    }

    /** A commit per finished piece of work: the offset follows the work one record at a time, never ahead of it. */
    @Test
    void theCommittedOffsetFollowsEachFinishedPiece() throws Exception {
        CountDownLatch[] gates = {new CountDownLatch(1), new CountDownLatch(1), new CountDownLatch(1)};
        AtomicInteger n = new AtomicInteger();
        GroupWorker w = start(new OnePerRecord(() -> gates[n.getAndIncrement()].await(), false), 10, Duration.ofSeconds(5));
        for (long o = 0; o < 3; o++) {
            add(P1, o, "k");
        }
        await(() -> w.outstanding() == 3, "three pieces of work");
        for (int i = 0; i < 3; i++) {
            Thread.sleep(50);
            assertThat(committed(P1)).as("before piece " + i + " finishes").isLessThanOrEqualTo(i);
            gates[i].countDown();
            int expected = i + 1;
            await(() -> committed(P1) == expected, "offset " + expected);
        }
        w.requestStop();
    }

    /** What the handler holds (a payload in assembly) is never committed past, even with no work in flight. */
    @Test
    void heldRecordsAreNotCommittedPast() throws Exception {
        OnePerRecord handler = new OnePerRecord(() -> { }, false);
        handler.held.put(P0, 2L);
        GroupWorker w = start(handler, 10, Duration.ofSeconds(5));
        for (long o = 0; o < 6; o++) {
            add(P0, o, "k");
        }
        await(() -> w.done() == 6, "six pieces of work");
        Thread.sleep(1_200); // past a broker check, which commits records that made no work
        assertThat(committed(P0)).isEqualTo(2);
        handler.held.remove(P0);
        await(() -> committed(P0) == 6, "the commit once nothing is held");
        w.requestStop();
    }

    /**
     * Cooperative rebalancing revokes one partition of two: only its state is released and only its queued work
     * dropped; the kept partition's work is done and committed.
     */
    @Test
    void aRebalanceTouchesOnlyWhatItRevoked() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> ran = new CopyOnWriteArrayList<>();
        AtomicBoolean first = new AtomicBoolean(true);
        OnePerRecord handler = new OnePerRecord(null, false) {
            @Override
            public void accept(ConsumerRecord<String, byte[]> r, GroupWorker.Sink out) {
                out.submit(new GroupWorker.Work(new TopicPartition(r.topic(), r.partition()), r.offset(), null, () -> {
                    if (first.getAndSet(false)) {
                        release.await();
                    }
                    ran.add(r.partition() + "@" + r.offset());
                }));
            }
        };
        handler.held.put(P0, 9L);
        handler.held.put(P1, 9L);
        GroupWorker w = start(handler, 10, Duration.ofSeconds(5));
        add(P0, 0, "a");
        add(P1, 0, "b");
        add(P0, 1, "a");
        await(() -> w.outstanding() == 3, "three pieces of work");
        consumer.schedulePollTask(() -> consumer.rebalance(List.of(P0)));
        await(() -> !handler.released.isEmpty(), "the revocation");
        release.countDown();
        await(() -> w.done() == 2, "the kept partition's work");
        Thread.sleep(100);
        assertThat(handler.released).containsExactly(List.of(P1));
        assertThat(handler.held).containsOnlyKeys(P0);
        assertThat(ran).containsExactly("0@0", "0@1");
        assertThat(w.dropped()).isEqualTo(1);
        w.requestStop();
    }

    /**
     * An eager rebalance takes a partition away while its work runs and gives it back: the records come again from the
     * committed offset, but the work already running is not queued a second time, and its end is committed.
     */
    @Test
    void runningWorkOfAPartitionThatComesBackIsNotDoneTwice() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Long> ran = new CopyOnWriteArrayList<>();
        OnePerRecord handler = new OnePerRecord(null, false) {
            @Override
            public void accept(ConsumerRecord<String, byte[]> r, GroupWorker.Sink out) {
                out.submit(new GroupWorker.Work(new TopicPartition(r.topic(), r.partition()), r.offset(), null, () -> {
                    release.await();
                    ran.add(r.offset());
                }));
            }
        };
        GroupWorker w = start(handler, 10, Duration.ofSeconds(5));
        add(P0, 0, "a");
        await(() -> w.outstanding() == 1 && w.done() == 0, "the work to run");
        Thread.sleep(50);
        consumer.schedulePollTask(() -> consumer.rebalance(List.of(P1))); // P0 revoked
        await(() -> !handler.released.isEmpty(), "the revocation");
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0, P1)); // P0 back: its record is delivered again
            consumer.updateBeginningOffsets(Map.of(P0, 0L));
            consumer.seek(P0, 0);
            consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, 0, "a", new byte[0]));
        });
        Thread.sleep(300);
        release.countDown();
        await(() -> committed(P0) == 1, "the commit of the running work on the partition's new assignment");
        Thread.sleep(200);
        assertThat(ran).containsExactly(0L);
        w.requestStop();
    }

    /** A commit refused because the group rebalanced is counted ("will be delivered again"); the member goes on. */
    @Test
    void aRefusedCommitIsCountedAndSurvived() throws Exception {
        consumer.refuseCommits.set(1);
        GroupWorker w = start(new OnePerRecord(() -> { }, false), 10, Duration.ofSeconds(5));
        add(P0, 0, "a");
        await(() -> w.commitsLost() == 1, "the refused commit");
        add(P0, 1, "a");
        await(() -> committed(P0) == 2, "the next commit");
        assertThat(ended.get()).isNull();
        w.requestStop();
    }

    /** Under the latest policy a key's queued work is replaced by its newer work before it starts. */
    @Test
    void queuedWorkOfTheSameKeyIsReplacedByTheNewest() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        List<Long> ran = new CopyOnWriteArrayList<>();
        OnePerRecord handler = new OnePerRecord(null, true) {
            @Override
            public void accept(ConsumerRecord<String, byte[]> r, GroupWorker.Sink out) {
                out.submit(new GroupWorker.Work(new TopicPartition(r.topic(), r.partition()), r.offset(), r.key(), () -> {
                    if (r.offset() == 0) {
                        started.countDown();
                        release.await();
                    }
                    ran.add(r.offset());
                }));
            }
        };
        GroupWorker w = start(handler, 10, Duration.ofSeconds(5));
        add(P0, 0, "run-a");
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        for (long o = 1; o < 4; o++) {
            add(P0, o, "run-a");
        }
        await(() -> w.skipped() == 2, "two replaced");
        release.countDown();
        await(() -> committed(P0) == 4, "everything committed");
        assertThat(ran).containsExactly(0L, 3L);
        w.requestStop();
    }

    /** Work that fails (the broker refused a record for good) ends the loop with its exception: loud, not a hang. */
    @Test
    void failedWorkEndsTheLoopWithItsReason() throws Exception {
        GroupWorker w = start(new OnePerRecord(() -> {
            throw new IllegalStateException("cannot publish the metrics of r@1: not acknowledged");
        }, false), 10, Duration.ofSeconds(5));
        add(P0, 0, "a");
        thread.join(10_000);
        assertThat(thread.isAlive()).isFalse();
        assertThat(ended.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("not acknowledged");
        assertThat(committed(P0)).as("not past the failed work").isLessThanOrEqualTo(0);
    }

    /**
     * A stop interrupts the running work, which then is not done and not committed (its record comes again); work that
     * ignores the interrupt is waited for at most stopWait.
     */
    @Test
    void aStopIsFiniteAndCommitsOnlyFinishedWork() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        GroupWorker w = start(new OnePerRecord(() -> {
            started.countDown();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < until) {
                Thread.onSpinWait(); // ignores interrupts, like a native computation
            }
        }, false), 10, Duration.ofMillis(500));
        add(P0, 0, "a");
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        long t0 = System.nanoTime();
        w.requestStop();
        thread.join(10_000);
        assertThat(thread.isAlive()).isFalse();
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5);
        assertThat(w.working()).isTrue();
        assertThat(committed(P0)).as("not past the interrupted work").isLessThanOrEqualTo(0);
        assertThat(ended.get()).isNull();
    }

    /**
     * What finished is committed at once when a stop begins, before the wait for the running work: the poll thread
     * does not poll during that wait, and a short max.poll.interval.ms could end the membership (and the commit) in it.
     */
    @Test
    void aStopCommitsWhatFinishedBeforeItWaitsForTheRunningWork() throws Exception {
        CountDownLatch second = new CountDownLatch(1);
        AtomicInteger n = new AtomicInteger();
        GroupWorker w = start(new OnePerRecord(() -> {
            if (n.getAndIncrement() == 1) {
                second.countDown();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (System.nanoTime() < until) {
                    Thread.onSpinWait(); // ignores interrupts
                }
            }
        }, false), 10, Duration.ofSeconds(3));
        consumer.refuseCommits.set(1_000); // no commit while running: the stop's commit is the one that counts
        add(P0, 0, "a");
        add(P0, 1, "a");
        assertThat(second.await(10, TimeUnit.SECONDS)).isTrue();
        consumer.refuseCommits.set(0);
        w.requestStop();
        await(() -> committed(P0) == 1, "the commit of the finished piece");
        assertThat(thread.isAlive()).as("still waiting for the running work").isTrue();
        thread.join(10_000);
        assertThat(committed(P0)).isEqualTo(1);
    }

    @Test
    void capacityMustBePositive() {
        assertThatThrownBy(() -> new GroupWorker.Limits(0, Duration.ofMillis(1), Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .hasMessageContaining("at least 1");
    }

}
