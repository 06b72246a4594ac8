package io.eoscope.launcher;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C (SIGINT) or SIGTERM for a long-running command: the JVM's shutdown hook releases
 * {@link #await}, then waits until the command has stopped its services ({@link #close}), so that
 * verticles, Kafka clients and the embedded broker shut down cleanly before the JVM exits.
 */
final class StopSignal implements AutoCloseable {
    private final CountDownLatch requested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread hook;

    private StopSignal() {
        hook = new Thread(() -> {
            requested.countDown();
            try {
                stopped.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "eos-stop");
    }

    /** Installs the hook. */
    static StopSignal install() {
        StopSignal s = new StopSignal();
        Runtime.getRuntime().addShutdownHook(s.hook);
        return s;
    }

    /** True once a stop was requested; waits at most {@code millis} for one. */
    boolean await(long millis) throws InterruptedException {
        return requested.await(millis, TimeUnit.MILLISECONDS);
    }

    /** Whether a stop was requested. */
    boolean requested() {
        return requested.getCount() == 0;
    }

    /** The command has stopped its services: the JVM may exit (or, without a signal, the hook goes). */
    @Override
    public void close() {
        stopped.countDown();
        if (!requested()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down
            }
        }
    }
}
