package io.eoscope.launcher;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs the {@code eos} command line in this JVM through {@link Eos#execute}, as {@code main} does but without
 * {@code System.exit}: its exit status and what it printed on stdout and stderr. Starting no JVM, it is the fast
 * way to check options, their refusals and file errors; {@link EosProcess} runs the real process where the
 * process itself is under test.
 */
final class EosCli {
    private EosCli() {}

    /** Runs {@code eos args…}; System.out and System.err are captured (and restored) around it. */
    static synchronized EosProcess.Result run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(errBytes, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            status = Eos.execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new EosProcess.Result(status, outBytes.toString(StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8));
    }
}
