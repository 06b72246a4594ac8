package io.eoscope.launcher;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A long-running {@code eos} service (broker, analyzer, gateway, trainer) in a JVM of its own, started as the
 * {@code eos} script starts it, that a test can kill with SIGKILL ({@code kill -9}) or stop with SIGTERM.
 */
final class EosService implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String name;
    private final Process process;
    private final Path log;

    private EosService(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code eos args…} with extra JVM options; its stdout and stderr go to {@code scratch/name-N.log}. */
    static EosService start(Path scratch, String name, List<String> jvmOptions, String... args) throws IOException {
        List<String> jvm = new ArrayList<>();
        jvm.add("-XX:+ExitOnOutOfMemoryError"); // as ./eos and the container image run it
        jvm.addAll(jvmOptions);
        ProcessBuilder pb = EosProcess.builder(jvm, args);
        Path log = scratch.resolve(name + "-" + System.nanoTime() + ".log");
        File file = log.toFile();
        pb.redirectErrorStream(true).redirectOutput(file);
        return new EosService(name, pb.start(), log);
    }

    /** SIGKILL: no shutdown hook, no flush, no goodbye. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    boolean alive() {
        return process.isAlive();
    }

    /** The exit status once it has ended within {@code timeout}, else null. */
    Integer exitWithin(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    /** What it has written so far. */
    String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** Waits until its log contains {@code text}, failing with the log when it does not or the process ends. */
    void awaitLog(String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!log().contains(text)) {
            if (!process.isAlive()) {
                throw new AssertionError(name + " ended (status " + process.exitValue() + ") before saying '" + text + "':\n" + log());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " did not say '" + text + "' in " + timeout + ":\n" + log());
            }
            Thread.sleep(100);
        }
    }

    /** HTTP GET of {@code url}: status and body, or status -1 when nothing answers. */
    static HttpResult get(String url) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new HttpResult(r.statusCode(), r.body());
        } catch (IOException e) {
            return new HttpResult(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new HttpResult(-1, e.toString());
        }
    }

    record HttpResult(int status, String body) {}

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ")";
    }
}
