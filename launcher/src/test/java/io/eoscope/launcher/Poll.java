package io.eoscope.launcher;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Bounded polling for integration tests: check, pause 20 ms, until true or the deadline fails the test. */
final class Poll {
    private Poll() {}

    static void until(Duration timeout, String what, BooleanSupplier condition) {
        until(timeout, () -> what, condition);
    }

    /** As above, with the description made when the deadline fails the test (it may read a log). */
    static void until(Duration timeout, java.util.function.Supplier<String> what, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not within " + timeout + ": " + what.get());
            }
            LockSupport.parkNanos(20_000_000L);
        }
    }
}
