package io.eoscope.curvature.hessian;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Silences libtorch's one-time warning that {@code backward(create_graph=True)} creates a reference
 * cycle between a parameter and its gradient. The warning is right in general and does not apply
 * here: {@link GradientDetacher} breaks that cycle after every product (ProductMemoryTest proves it).
 * libtorch prints it straight to file descriptor 2, once per process, so the first double-backward
 * runs with descriptor 2 pointed at /dev/null; everything after it prints normally.
 */
final class FirstWarningSilencer {
    private static boolean done;

    private interface LibC extends Library {
        int dup(int fd);

        int dup2(int from, int to);

        int open(String path, int flags);

        int close(int fd);
    }

    private FirstWarningSilencer() {}

    /** Runs {@code action}, the first time in this process with native stderr silenced. */
    static synchronized void run(Runnable action) {
        if (done) {
            action.run();
            return;
        }
        done = true;
        LibC libc;
        try {
            libc = Native.load("c", LibC.class);
        } catch (UnsatisfiedLinkError e) {
            action.run();
            return;
        }
        System.err.flush();
        int saved = libc.dup(2);
        int devNull = libc.open("/dev/null", 1 /* O_WRONLY */);
        if (saved < 0 || devNull < 0) {
            action.run();
            return;
        }
        libc.dup2(devNull, 2);
        try {
            action.run();
        } finally {
            libc.dup2(saved, 2);
            libc.close(saved);
            libc.close(devNull);
        }
    }
}
