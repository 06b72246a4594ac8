package io.eoscope.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One eoscope service of the fleet harness ({@code eos broker}, {@code eos analyzer}, {@code eos gateway}) in a JVM of its
 * own, started as a user's shell would, with its output in a log file; what it costs is read from {@code /proc}: CPU seconds
 * (every thread, libtorch's included) and resident memory.
 */
final class FleetProcess implements AutoCloseable {
    private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux
    private final String name;
    private final Process process;
    private final Path log;

    private FleetProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code eos args…} with {@code jvmOptions} and extra environment; its stdout and stderr go to {@code logDir/name.log}.
     * The classpath is the launcher's own build ({@code launcher/target}, what {@code ./eos} runs, with its logging) when it is
     * there, else this JVM's.
     */
    static FleetProcess start(String name, Path logDir, List<String> jvmOptions, Map<String, String> env, List<String> args)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:+ExitOnOutOfMemoryError");
        command.addAll(jvmOptions);
        command.add("-Dai.djl.offline=true");
        command.add("-cp");
        command.add(classpath());
        command.add("io.eoscope.launcher.Eos");
        command.addAll(args);
        Path log = logDir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().putAll(env);
        return new FleetProcess(name, pb.start(), log);
    }

    /** The launcher's build as {@code ./eos} runs it (from the repository root or a module directory), else this JVM's classpath. */
    private static String classpath() {
        for (Path root : List.of(Path.of("."), Path.of(".."))) {
            Path jar = root.resolve("launcher/target/eoscope-launcher.jar");
            Path lib = root.resolve("launcher/target/lib");
            if (Files.isRegularFile(jar) && Files.isDirectory(lib)) {
                return jar.toAbsolutePath().normalize() + java.io.File.pathSeparator + lib.toAbsolutePath().normalize() + "/*";
            }
        }
        return System.getProperty("java.class.path");
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** CPU seconds the process has used so far, user and system, all threads; NaN when /proc cannot tell. */
    double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"), StandardCharsets.UTF_8);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) TICKS_PER_SECOND; // fields 14 and 15 of stat(5)
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Resident memory now ({@code VmRSS}) or at its peak ({@code VmHWM}), in bytes; -1 when /proc cannot tell. */
    long residentBytes(boolean peak) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"), StandardCharsets.UTF_8)) {
                if (line.startsWith(peak ? "VmHWM:" : "VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    /** The last lines of its log, for an error message. */
    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    Path log() {
        return log;
    }

    /** Stops it (SIGTERM, then SIGKILL after 15 s). */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
