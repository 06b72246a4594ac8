package io.eoscope.curvature.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A python3 that imports torch (Debian's python3-torch), run as a subprocess with a finite timeout. */
public final class TorchPython {
    /** Where to look, in order: Debian's interpreter first (a pyenv shim on PATH may lack torch). */
    private static final List<String> CANDIDATES = List.of("/usr/bin/python3", "python3");

    private TorchPython() {}

    /** The first candidate that imports torch within 60 s, or null when none does (the caller skips and says why). */
    public static String interpreter() {
        for (String python : CANDIDATES) {
            try {
                if (run(python, 60, "-c", "import torch, numpy").exit == 0) {
                    return python;
                }
            } catch (IOException e) {
                // not installed: try the next
            }
        }
        return null;
    }

    /**
     * Runs {@code python args} and returns its stdout.
     *
     * @throws IllegalStateException when it fails or outlives {@code timeoutSeconds}, with its stderr
     */
    public static String output(String python, long timeoutSeconds, String... args) {
        try {
            Result r = run(python, timeoutSeconds, args);
            if (r.exit != 0) {
                throw new IllegalStateException(python + " " + String.join(" ", args) + " exited with " + r.exit + ":\n" + r.err);
            }
            return r.out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Result(int exit, String out, String err) {}

    private static Result run(String python, long timeoutSeconds, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(python);
        command.addAll(List.of(args));
        Path out = Files.createTempFile("python", ".out");
        Path err = Files.createTempFile("python", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
