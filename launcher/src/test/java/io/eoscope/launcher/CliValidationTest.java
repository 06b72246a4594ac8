package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * The command line's answers to bad options, in this JVM through {@link Eos#execute}: exit status 2 and one line
 * naming the option for the user's mistakes, checked before anything is created or started; exit status 1 for
 * what is not the user's mistake (an internal error, an unreachable cluster), never reported as bad input.
 */
@Timeout(120)
class CliValidationTest {
    @TempDir
    Path dir;

    /** Exit status, what the command line wrote to its err stream, and what the process' stderr got (the log). */
    record Run(int status, String err, String log) {}

    private static Run eos(String... args) {
        StringWriter err = new StringWriter();
        PrintStream original = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        int status;
        try {
            status = Eos.execute(new PrintWriter(new StringWriter()), new PrintWriter(err), args);
        } finally {
            System.setErr(original);
        }
        return new Run(status, err.toString(), log.toString(StandardCharsets.UTF_8));
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort(); // nothing listens there once closed
        }
    }

    private static void assertBadOption(Run r, String command, String option) {
        assertThat(r.status()).as("exit status; err: %s; log: %s", r.err(), r.log()).isEqualTo(2);
        assertThat(r.err().strip().lines().count()).as("one line: %s", r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("eos " + command + ": ").contains(option)
                .doesNotContain("Exception").doesNotContain("internal error");
        assertThat(r.log()).as("nothing else on stderr").doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void nonFiniteStoppingRulesAreRefusedByNameBeforeTheRunDirectoryExists() {
        for (String value : List.of("NaN", "Infinity", "-1")) {
            Path out = dir.resolve("run-" + value);
            Run r = eos("train", "--out", out.toString(), "--dataset", "xor", "--classes", "2", "--until-time", value);
            assertBadOption(r, "train", "--until-time must be a finite number ≥ 0, got ");
            assertThat(out).as("no run directory for a refused run").doesNotExist();
        }
        for (String[] option : new String[][] {{"--until-loss", "NaN"}, {"--snapshot-dt", "NaN"}, {"--snapshot-dt", "Infinity"}}) {
            Path out = dir.resolve("run" + option[0] + option[1]);
            Run r = eos("train", "--out", out.toString(), "--dataset", "xor", "--classes", "2", "--steps", "3", option[0], option[1]);
            assertBadOption(r, "train", option[0] + " must be a finite number ≥ 0");
            assertThat(out).doesNotExist();
        }
    }

    @Test
    void aSnapshotEveryZeroOrLessStepsIsRefused() {
        for (String value : List.of("0", "-5")) {
            Path out = dir.resolve("every" + value);
            Run r = eos("train", "--out", out.toString(), "--dataset", "xor", "--classes", "2", "--steps", "3",
                    "--snapshot-every", value);
            assertBadOption(r, "train", "--snapshot-every must be at least 1, got " + value);
            assertThat(out).doesNotExist();
        }
        assertBadOption(eos("demo", "--data-dir", dir.resolve("demo").toString(), "--snapshot-every", "0"), "demo",
                "--snapshot-every must be at least 1");
        assertThat(dir.resolve("demo")).doesNotExist();
    }

    /** Every numeric option of every command: zero, negative, NaN or infinite where each is wrong. */
    static Stream<Arguments> badNumbers() {
        String kafka = "--bootstrap-servers=127.0.0.1:1";
        return Stream.of(
                train("--lr", "NaN"), train("--lr", "0"), train("--lr", "-Infinity"), train("--eta-max", "Infinity"),
                train("--tol", "NaN"), train("--tol", "1"), train("--warmup-factor", "0"), train("--warmup-steps", "-1"),
                train("--sharpness-every", "-1"), train("--steps", "-1"), train("--until-loss", "-1"), train("--n", "0"),
                train("--classes", "1"), train("--chunk-size", "0"), train("--delivery-timeout-seconds", "0"),
                train("--heartbeat-seconds", "0"), train("--heartbeat-seconds", "31"),
                train("--partitions", "0", kafka), train("--replication-factor", "0", kafka),
                train("--broker-timeout-seconds", "0", kafka),
                args("analyze", "--top-k", "0", "--model=m", "--data=d"), args("analyze", "--tol", "NaN", "--model=m", "--data=d"),
                args("analyze", "--chunk-size", "0", "--model=m", "--data=d"),
                args("analyze", "--subsample", "-1", "--model=m", "--data=d"),
                args("analyze", "--dual-gram-limit", "-1", "--model=m", "--data=d"),
                args("analyze", "--max-products", "0", "--model=m", "--data=d"),
                args("analyzer", "--instances", "0", kafka), args("analyzer", "--ready-seconds", "0", kafka),
                args("analyzer", "--metrics-port", "70000", kafka), args("analyzer", "--top-k", "0", kafka),
                args("analyzer", "--tol", "NaN", kafka), args("analyzer", "--subsample", "-1", kafka),
                args("analyzer", "--max-pending-bytes", "0", kafka), args("analyzer", "--max-payload-age-seconds", "0", kafka),
                args("analyzer", "--dataset-wait-seconds", "-1", kafka), args("analyzer", "--partitions", "0", kafka),
                args("analyzer", "--replication-factor", "-3", kafka), args("analyzer", "--broker-timeout-seconds", "0", kafka),
                args("gateway", "--port", "70000", kafka), args("gateway", "--grace-seconds", "-1", kafka),
                args("gateway", "--max-runs", "0", kafka), args("gateway", "--stale-seconds", "0", kafka),
                args("gateway", "--max-view-runs", "0", kafka), args("gateway", "--max-streams", "0", kafka),
                args("gateway", "--max-density-steps", "0", kafka), args("gateway", "--max-density-nodes", "0", kafka),
                args("analyzer", "--threads", "0", kafka), args("analyzer", "--threads", "many", kafka),
                args("replay", "--from-step", "-1", "--run=r", kafka), args("replay", "--top-k", "0", "--run=r", kafka),
                args("replay", "--tol", "Infinity", "--run=r", kafka),
                args("replay", "--max-payload-age-seconds", "0", "--run=r", kafka),
                args("trainer", "--delivery-timeout-seconds", "0", "--resume=x", kafka),
                args("trainer", "--heartbeat-seconds", "0", "--resume=x", kafka),
                args("demo", "--analyzers", "0"), args("demo", "--lr", "NaN"), args("demo", "--steps", "-1"),
                args("demo", "--n", "0"), args("demo", "--port", "-1"), args("demo", "--top-k", "0"),
                args("dataset", "--n", "0", "--out=x"), args("dataset", "--classes", "1", "--out=x"),
                args("dataset", "--rows", "0", "--png=x"),
                args("broker", "--port", "0", "--data-dir=x"), args("broker", "--controller-port", "70000", "--data-dir=x"),
                args("reproduce", "--analyzers", "0"), args("reproduce", "--partitions", "0"));
    }

    private static Arguments train(String option, String value, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--out=never", "--dataset=xor", "--classes=2", "--steps=3"));
        if (option.equals("--classes") || option.equals("--steps")) {
            a.removeIf(s -> s.startsWith(option + "="));
        }
        a.addAll(List.of(more));
        a.add(option);
        a.add(value);
        return Arguments.of("train", option, a.toArray(new String[0]));
    }

    private static Arguments args(String command, String option, String value, String... more) {
        List<String> a = new ArrayList<>(List.of(command, option, value));
        a.addAll(List.of(more));
        return Arguments.of(command, option, a.toArray(new String[0]));
    }

    @ParameterizedTest(name = "{0} {1}: {2}")
    @MethodSource("badNumbers")
    void aBadNumberExitsTwoNamingItsOption(String command, String option, String[] args) {
        String cwd = System.getProperty("user.dir");
        assertBadOption(eos(args), command, option);
        assertThat(Path.of(cwd, "never")).doesNotExist();
        assertThat(Path.of(cwd, "x")).doesNotExist();
    }

    /** A command whose work fails on a bug: an IllegalArgumentException from deep inside, not from an option. */
    @CommandLine.Command(name = "buggy")
    static final class Buggy implements Callable<Integer> {
        @Override
        public Integer call() {
            return Integer.parseInt("not a number"); // NumberFormatException: an IllegalArgumentException
        }
    }

    @Test
    void anInternalIllegalArgumentExceptionIsAnInternalErrorWithItsStackLoggedNeverBadInput() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Eos()).addSubcommand(new Buggy());
        Eos.withExitStatuses(cli, new PrintWriter(new StringWriter()), new PrintWriter(err));
        PrintStream original = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        int status;
        try {
            status = cli.execute("buggy");
        } finally {
            System.setErr(original);
        }
        assertThat(status).as(err.toString()).isEqualTo(Eos.INTERNAL);
        assertThat(err.toString().strip()).isEqualTo("eos buggy: internal error: java.lang.NumberFormatException: For input string:"
                + " \"not a number\" (the log above has the stack trace)");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("eos buggy: internal error")
                .contains("\tat " + Buggy.class.getName() + ".call");
    }

    @Test
    void aGatewayOnAPortInUseSaysSoInOneLineAndExitsTwo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Run r = eos("gateway", "--bootstrap-servers", "127.0.0.1:" + closedPort(), "--port", Integer.toString(port));
            assertBadOption(r, "gateway", "--port " + port + ": cannot listen on 127.0.0.1:" + port);
        }
    }

    @Test
    void aReplayAgainstAnUnreachableClusterSaysWhichAndHowLongItWaited() throws Exception {
        int port = closedPort();
        long start = System.nanoTime();
        Run r = eos("replay", "--bootstrap-servers", "127.0.0.1:" + port, "--run", "r", "--broker-timeout-seconds", "2");
        assertThat(r.status()).as(r.err() + r.log()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("eos replay: the Kafka cluster at 127.0.0.1:" + port
                + " (--bootstrap-servers) could not be reached within 2 s");
        assertThat((System.nanoTime() - start) / 1e9).as("seconds").isLessThan(15);
    }

    @Test
    void anAnalyzerAgainstAnUnreachableClusterSaysSoToo() throws Exception {
        int port = closedPort();
        Run r = eos("analyzer", "--bootstrap-servers", "127.0.0.1:" + port, "--broker-timeout-seconds", "2", "--metrics-port", "-1");
        assertThat(r.status()).as(r.err() + r.log()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("eos analyzer: the Kafka cluster at 127.0.0.1:" + port
                + " (--bootstrap-servers) could not be reached within 2 s");
    }

    @Test
    void aPngOfANonImageDatasetIsTheUsersMistake() {
        Path png = dir.resolve("xor.png");
        assertBadOption(eos("dataset", "--dataset", "xor", "--classes", "2", "--n", "8", "--png", png.toString()), "dataset",
                "--png needs image data");
        assertThat(png).doesNotExist();
    }

    @Test
    void theReplicationFactorIsTheBrokersUnlessGiven() {
        KafkaOptions defaults = new KafkaOptions();
        new CommandLine(defaults).parseArgs("--bootstrap-servers", "k:9092");
        assertThat(defaults.replication()).isEmpty();
        KafkaOptions three = new KafkaOptions();
        new CommandLine(three).parseArgs("--bootstrap-servers", "k:9092", "--replication-factor", "3");
        assertThat(three.replication()).contains((short) 3);
    }

    @Test
    void helpNamesTheNewKafkaOptions() {
        StringWriter out = new StringWriter();
        int status = Eos.execute(new PrintWriter(out), new PrintWriter(new StringWriter()), "analyzer", "--help");
        assertThat(status).isZero();
        assertThat(out.toString()).contains("--replication-factor", "--broker-timeout-seconds");
        assertThat(Files.exists(dir.resolve("never"))).isFalse();
    }

    /** Every command's --help renders cleanly: picocli warns on stderr about a description it cannot format (a bare %). */
    @Test
    void everyHelpRendersWithoutAFormatWarning() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            for (String command : new picocli.CommandLine(new Eos()).getSubcommands().keySet()) {
                StringWriter out = new StringWriter();
                int status = Eos.execute(new PrintWriter(out), new PrintWriter(new StringWriter()), command, "--help");
                assertThat(status).as(command + " --help").isZero();
                assertThat(out.toString()).as(command + " --help").contains("Usage:");
            }
        } finally {
            System.setErr(saved);
        }
        assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("picocli WARN");
    }
}
