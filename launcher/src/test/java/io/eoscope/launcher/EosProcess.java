package io.eoscope.launcher;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code eos} main class in a separate JVM, as a user's shell would. */
final class EosProcess {
    private EosProcess() {}

    /** Exit status, stdout and stderr of one run. */
    record Result(int status, String out, String err) {}

    /** The command line of {@code eos args…} in a JVM of its own with {@code jvmOptions}, DJL kept offline. */
    static ProcessBuilder builder(List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Dai.djl.offline=true");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Eos.class.getName());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        return pb;
    }

    /** Runs {@code eos args…}; {@code scratch} receives the captured streams. */
    static Result run(Path scratch, String... args) throws Exception {
        ProcessBuilder pb = builder(List.of(), args);
        File out = scratch.resolve("stdout-" + System.nanoTime()).toFile();
        File err = scratch.resolve("stderr-" + System.nanoTime()).toFile();
        pb.redirectOutput(out).redirectError(err);
        Process p = pb.start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("eos " + String.join(" ", args) + " did not finish in 300 s");
        }
        return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
                Files.readString(err.toPath(), StandardCharsets.UTF_8));
    }
}
