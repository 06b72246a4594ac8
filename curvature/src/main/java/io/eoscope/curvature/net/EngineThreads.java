package io.eoscope.curvature.net;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch's intra-op threads for the whole process. Left alone, libtorch takes one thread per core of the host, blind
 * to a container's CPU limit and to the other analyzers on the machine; several such processes on the same cores wait on
 * each other's spinning threads, and a tiny model's analysis then takes seconds instead of milliseconds (measured with
 * two analyzer processes beside a broker on 2 cores: 1.1–1.6 s a snapshot on 2 threads each against 0.03 s on one).
 */
public final class EngineThreads {
    private EngineThreads() {}

    /** The default: the processors this JVM may use (a container's limit included) shared among the analyzers in it, at least 1. */
    public static int share(int analyzersInProcess) {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, analyzersInProcess));
    }

    /**
     * Sets libtorch's intra-op threads for the process and returns what libtorch then reports.
     *
     * @throws IllegalArgumentException when {@code threads} is not in 1..1024
     */
    public static int set(int threads) {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("--threads must be in 1..1024, got " + threads);
        }
        Engine.getEngine("PyTorch"); // loads libtorch before the first call into it
        JniUtils.setNumThreads(threads);
        return JniUtils.getNumThreads();
    }
}
