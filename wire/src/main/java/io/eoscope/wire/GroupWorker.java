package io.eoscope.wire;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer-group member whose poll thread never blocks on work.
 *
 * <p>The poll thread owns the consumer: it polls, hands each record to the {@link Handler} (cheap work only:
 * decoding, chunk assembly), and queues the {@link Work} the handler makes. One worker thread runs the queued
 * work in order. While {@code capacity} pieces of work wait in the queue, the assigned partitions are
 * paused: the poll thread keeps polling (and so keeps its membership, however long a piece of work takes:
 * {@code max.poll.interval.ms} never runs out) and the records wait in the topic, not in memory.
 *
 * <p>Offsets: a partition's committed offset never passes the first offset of unfinished work, nor what the
 * handler still holds ({@link Handler#heldFrom}, a payload in assembly). It is committed as work finishes
 * (at most once per poll), when partitions are revoked, and at stop. A commit the group refuses because of a
 * rebalance is counted ({@link #commitsLost}): that work will be delivered again (at-least-once; the records
 * this project writes are keyed so that re-delivery rewrites the same keys).
 *
 * <p>Rebalances touch only what was revoked: queued work of those partitions is dropped (their next owner
 * reads them again from the committed offset), the handler forgets only their state, the other partitions'
 * work and state stay.
 *
 * <p>Faults: a piece of work that throws ends {@link #run} with that exception (work reports what it can
 * survive, such as a dead letter, itself). Every call on the consumer has a finite timeout. {@link #requestStop}
 * wakes the poll thread and interrupts the worker; the loop then waits at most {@code stopWait} for the
 * running work before it commits what finished and returns. Not thread-safe apart from {@link #requestStop}
 * and the counters.
 */
public final class GroupWorker implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupWorker.class);

    /** What a member does with its records; every method runs on the poll thread and must not block. */
    public interface Handler {
        /** Reads one record; hands the work it makes, if any, to {@code out}. */
        void accept(ConsumerRecord<String, byte[]> record, Sink out);

        /**
         * Housekeeping, about once a second: {@code caughtUp} holds the assigned partitions read to their end at
         * the last broker check (for example, where a payload waiting for a chunk is judged by the wall clock).
         */
        default void tick(Set<TopicPartition> caughtUp, Sink out) {}

        /** The oldest offset of {@code partition} still needed by state held here (a payload in assembly), or -1. */
        default long heldFrom(TopicPartition partition) {
            return -1;
        }

        /** These partitions are gone (revoked or lost): forget what is held for them. */
        default void released(Collection<TopicPartition> partitions) {}
    }

    /** Where the handler puts the work it makes. */
    public interface Sink {
        void submit(Work work);
    }

    /** A piece of work, run on the worker thread; it may block, and must stop when interrupted. */
    public interface Task {
        void run() throws InterruptedException;
    }

    /**
     * A piece of work and the records it stands for.
     *
     * @param partition where its records are
     * @param firstOffset the first of them: the committed offset stays at or before it until the work is done
     * @param coalesce a key (for example a run): queued work with the same key that has not started yet is
     *     replaced by this one and counted as {@link #skipped}; null: never replaced
     * @param task what to do
     */
    public record Work(TopicPartition partition, long firstOffset, String coalesce, Task task) {}

    /**
     * The bounds of a worker.
     *
     * @param capacity pieces of work waiting (besides the running one) before the partitions are paused; one poll
     *     (at most {@code max.poll.records} records) may add more
     * @param poll how long one poll waits for records
     * @param callTimeout how long a call on the consumer (a commit, end offsets) may take
     * @param stopWait how long a stop waits for the running work
     */
    public record Limits(int capacity, Duration poll, Duration callTimeout, Duration stopWait) {
        /** Validates. */
        public Limits {
            if (capacity < 1) {
                throw new IllegalArgumentException("the work queue's capacity must be at least 1, got " + capacity);
            }
        }

        /** Two pieces of work, polls of 200 ms, 10 s for a call on the consumer, 10 s for running work at stop. */
        public static Limits defaults() {
            return new Limits(2, Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(10));
        }

        public Limits withCapacity(int n) {
            return new Limits(n, poll, callTimeout, stopWait);
        }
    }

    private final Consumer<String, byte[]> consumer;
    private final String topic;
    private final Handler handler;
    private final Limits limits;
    private final String name;
    private final BlockingDeque<Queued> queue = new LinkedBlockingDeque<>();
    private final ConcurrentLinkedQueue<Queued> finished = new ConcurrentLinkedQueue<>();
    private final Map<TopicPartition, Ledger> ledgers = new HashMap<>();
    private final Set<TopicPartition> paused = new HashSet<>();
    private final Thread worker;
    private volatile Queued running;
    private Queued adopted; // poll thread only: running work whose partition was revoked and assigned back
    private volatile Throwable workFailure;
    private volatile boolean stopping;
    private volatile long brokerContactMillis;
    private long lastCheckMillis;
    private boolean finishedSinceCommit;
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong commitsLost = new AtomicLong();
    private final AtomicLong lag = new AtomicLong();

    /** How often a busy member asks the broker for the end offsets (an idle one: every second). */
    private static final long BUSY_CHECK_MS = 5_000;

    /**
     * @param consumer a consumer of a group, with manual commits, used by this worker's poll thread only
     * @param topic the topic it subscribes to
     * @param name for thread names and log lines
     */
    public GroupWorker(Consumer<String, byte[]> consumer, String topic, Handler handler, Limits limits, String name) {
        this.consumer = consumer;
        this.topic = topic;
        this.handler = handler;
        this.limits = limits;
        this.name = name;
        this.worker = new Thread(this::work, name + "-work");
        worker.setDaemon(true);
    }

    /** One piece of work in the queue, with the ledger of its partition's assignment at the time it was made. */
    private static final class Queued {
        final Work work;
        Ledger ledger; // poll thread only: moves to the new ledger when a revoked partition of running work comes back

        Queued(Work work, Ledger ledger) {
            this.work = work;
            this.ledger = ledger;
        }
    }

    /** One assignment of one partition: what was read, what is unfinished, what was committed. */
    private static final class Ledger {
        final TopicPartition partition;
        final java.util.TreeMap<Long, Integer> unfinished = new java.util.TreeMap<>();
        long next = -1;
        long committed = -1;

        Ledger(TopicPartition partition) {
            this.partition = partition;
        }

        void open(long offset) {
            unfinished.merge(offset, 1, Integer::sum);
        }

        void close(long offset) {
            unfinished.computeIfPresent(offset, (k, n) -> n == 1 ? null : n - 1);
        }

        /** The offset that may be committed: before unfinished work and what the handler holds; -1 when nothing was read. */
        long committable(long held) {
            if (next < 0) {
                return -1;
            }
            long at = next;
            if (!unfinished.isEmpty()) {
                at = Math.min(at, unfinished.firstKey());
            }
            if (held >= 0) {
                at = Math.min(at, held);
            }
            return at;
        }
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(topic), new Rebalance());
        worker.start();
        LOG.info("{} subscribed to {}", name, topic);
        try {
            while (!stopping) {
                pollOnce();
            }
        } catch (WakeupException e) {
            if (!stopping) {
                throw e;
            }
        } finally {
            stop();
        }
    }

    private void pollOnce() {
        ConsumerRecords<String, byte[]> records = consumer.poll(limits.poll());
        if (!records.isEmpty()) {
            brokerContactMillis = System.currentTimeMillis();
        }
        for (ConsumerRecord<String, byte[]> r : records) {
            Ledger ledger = ledger(new TopicPartition(r.topic(), r.partition()));
            handler.accept(r, this::enqueue);
            ledger.next = Math.max(ledger.next, r.offset() + 1);
        }
        boolean check = System.currentTimeMillis() - lastCheckMillis > (records.isEmpty() ? 1_000 : BUSY_CHECK_MS);
        if (check) {
            handler.tick(checkBroker(), this::enqueue);
        }
        drainFinished();
        if (finishedSinceCommit || check) { // a commit per finished piece of work; records that made none, at each check
            commit(ledgers.keySet());
        }
        if (queue.size() >= limits.capacity()) {
            Set<TopicPartition> assigned = consumer.assignment();
            if (!paused.containsAll(assigned)) { // flow control, not a loss: the records wait in the topic
                consumer.pause(assigned);
                paused.addAll(assigned);
            }
        } else if (!paused.isEmpty()) {
            consumer.resume(paused);
            paused.clear();
        }
        throwIfWorkFailed();
    }

    /** Takes the work the worker finished into the ledgers of its partitions (poll thread). */
    private void drainFinished() {
        for (Queued q; (q = finished.poll()) != null; ) {
            q.ledger.close(q.work.firstOffset());
            finishedSinceCommit = true;
        }
    }

    private Ledger ledger(TopicPartition tp) {
        return ledgers.computeIfAbsent(tp, Ledger::new);
    }

    private void enqueue(Work work) {
        Ledger ledger = ledger(work.partition());
        if (adopted != null && adopted.work.partition().equals(work.partition()) && adopted.work.firstOffset() == work.firstOffset()) {
            adopted = null; // the same records as the work still running from before the rebalance: not done twice
            return;
        }
        ledger.open(work.firstOffset());
        if (work.coalesce() != null) {
            for (Queued q : queue) {
                if (work.coalesce().equals(q.work.coalesce()) && queue.remove(q)) {
                    skipped.incrementAndGet();
                    finished.add(q); // replaced before it started: its records count as done
                }
            }
        }
        queue.add(new Queued(work, ledger));
    }

    private void work() {
        try {
            while (!stopping) {
                Queued q = queue.pollFirst(limits.poll().toMillis(), TimeUnit.MILLISECONDS);
                if (q == null) {
                    continue;
                }
                running = q;
                try {
                    q.work.task().run();
                    done.incrementAndGet();
                    finished.add(q);
                } finally {
                    running = null;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // asked to stop: the interrupted work is not done, its records come again
            if (!stopping) {
                workFailure = new IllegalStateException(name + ": the worker was interrupted outside a stop", e);
                LOG.error("{}: the worker was interrupted outside a stop; stopping", name);
            }
        } catch (Throwable e) {
            if (!stopping) {
                workFailure = e instanceof RuntimeException || e instanceof Error ? e : new IllegalStateException(e);
                LOG.error("{}: work failed, stopping: {}", name, e.toString(), e);
            } else {
                LOG.info("{}: work ended by the stop: {}", name, e.toString());
            }
        }
    }

    private void throwIfWorkFailed() {
        if (workFailure == null && !stopping && !worker.isAlive()) {
            workFailure = new IllegalStateException(name + ": the worker thread ended without a reason");
        }
        Throwable f = workFailure;
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error err) {
            throw err;
        }
    }

    /** Commits the committable offsets of {@code partitions} that moved, within the call timeout. */
    private void commit(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Map<TopicPartition, Long> moved = new HashMap<>();
        for (TopicPartition tp : partitions) {
            Ledger l = ledgers.get(tp);
            long at = l == null ? -1 : l.committable(handler.heldFrom(tp));
            if (l != null && at > l.committed) {
                offsets.put(tp, new OffsetAndMetadata(at));
                moved.put(tp, at);
            }
        }
        finishedSinceCommit = false;
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets, limits.callTimeout());
            moved.forEach((tp, at) -> ledgers.get(tp).committed = at);
        } catch (CommitFailedException | RebalanceInProgressException e) {
            commitsLost.incrementAndGet(); // the group moved on: whoever owns these partitions now reads them again
            LOG.warn("{}: offsets {} not committed during a rebalance ({}); those records will be delivered again", name,
                    offsets, e.toString());
        } catch (RetriableException e) {
            LOG.warn("{}: offsets not committed ({}); the next commit carries them", name, e.toString());
        }
    }

    /**
     * Asks the broker for the end offsets of the assigned partitions (with none, for the topics): a round trip
     * that proves the broker reachable, gives the lag, and tells which partitions are read to their end.
     */
    private Set<TopicPartition> checkBroker() {
        lastCheckMillis = System.currentTimeMillis();
        Set<TopicPartition> caughtUp = new HashSet<>();
        try {
            Set<TopicPartition> assigned = consumer.assignment();
            if (assigned.isEmpty()) {
                consumer.partitionsFor(topic, limits.callTimeout());
                lag.set(0); // nothing assigned: nothing of this member's behind
            } else {
                long total = 0;
                for (Map.Entry<TopicPartition, Long> e : consumer.endOffsets(assigned, limits.callTimeout()).entrySet()) {
                    long behind = Math.max(0, e.getValue() - consumer.position(e.getKey(), limits.callTimeout()));
                    total += behind;
                    if (behind == 0) {
                        caughtUp.add(e.getKey());
                    }
                }
                lag.set(total);
            }
            brokerContactMillis = System.currentTimeMillis();
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            LOG.warn("{}: the broker did not answer in {} s", name, limits.callTimeout().toSeconds());
        }
        return caughtUp;
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            drainFinished();
            try {
                commit(partitions); // what finished is not read again by the next owner
            } finally {
                finishedSinceCommit = true; // the kept partitions' finished work: committed at the next poll
                release(partitions, "gave up");
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            release(partitions, "lost");
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            brokerContactMillis = System.currentTimeMillis();
            Queued r = running;
            if (r != null && partitions.contains(r.work.partition()) && !ledgers.containsKey(r.work.partition())) {
                Ledger fresh = ledger(r.work.partition()); // running work of a partition that came back: it keeps its place
                fresh.open(r.work.firstOffset());
                r.ledger = fresh;
                adopted = r;
            }
            if (!paused.isEmpty()) {
                consumer.pause(partitions); // still busy: the new partitions wait too
                paused.addAll(partitions);
            }
            LOG.info("{} was assigned partitions {}", name, partitions);
        }

        private void release(Collection<TopicPartition> partitions, String how) {
            AtomicLong left = new AtomicLong();
            queue.removeIf(q -> partitions.contains(q.work.partition()) && left.incrementAndGet() > 0);
            dropped.addAndGet(left.get());
            handler.released(partitions);
            partitions.forEach(ledgers::remove);
            paused.removeAll(partitions);
            if (adopted != null && partitions.contains(adopted.work.partition())) {
                adopted = null;
            }
            lag.set(0); // until the next broker check counts what is still assigned
            LOG.info("{} {} partitions {} ({} queued pieces of work left for their next owner)", name, how, partitions, left.get());
        }
    }

    /**
     * Interrupts the worker, commits what finished, then waits for the running work within {@code stopWait} (the
     * poll thread does not poll meanwhile, so the commit comes first: a short {@code max.poll.interval.ms} may end
     * the membership during the wait) and commits what finished during it.
     */
    private void stop() {
        stopping = true;
        worker.interrupt();
        commitFinished();
        try {
            worker.join(limits.stopWait().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (worker.isAlive()) {
            LOG.warn("{}: the running work did not stop within {} s; its records will be delivered again", name,
                    limits.stopWait().toSeconds());
        }
        commitFinished();
    }

    private void commitFinished() {
        drainFinished();
        try {
            if (workFailure == null) {
                try {
                    commit(new ArrayList<>(ledgers.keySet()));
                } catch (WakeupException e) {
                    commit(new ArrayList<>(ledgers.keySet())); // the stop's own wake-up, not yet spent by a poll
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) { // a wake-up, an interrupt, a broker gone
            LOG.warn("{}: the last commit did not go through ({}); the records since the one before will be delivered again", name,
                    e.toString());
        }
    }

    /** Asks the loop to end (thread-safe): wakes the poll thread and interrupts the running work. */
    public void requestStop() {
        stopping = true;
        consumer.wakeup();
        worker.interrupt();
    }

    /** When the broker last answered (epoch ms; 0: never). */
    public long brokerContactMillis() {
        return brokerContactMillis;
    }

    /** Records behind the end of the assigned partitions at the last broker check. */
    public long lag() {
        return lag.get();
    }

    /** Pieces of work done. */
    public long done() {
        return done.get();
    }

    /** Queued work replaced by newer work with the same key before it started. */
    public long skipped() {
        return skipped.get();
    }

    /** Queued work dropped because its partition was revoked (its next owner does it). */
    public long dropped() {
        return dropped.get();
    }

    /** Commits refused because of a rebalance (their records are delivered again). */
    public long commitsLost() {
        return commitsLost.get();
    }

    /** Whether the worker thread is alive (after a stop: running work that did not stop within {@code stopWait}). */
    public boolean working() {
        return worker.isAlive();
    }

    /** Pieces of work queued or running. */
    public int outstanding() {
        return queue.size() + (running == null ? 0 : 1);
    }
}
