package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs, directories and option combinations that cannot work are refused before anything starts (no broker, no
 * training, no file written): exit 2 and one line on stderr naming the option and the reason, never a stack trace
 * or an OutOfMemoryError. Through the command line in this JVM ({@link EosCli}); a refusal that stopped working
 * would start the service, which the timeout ends.
 */
@Timeout(120)
class CommandRefusalsTest {
    @TempDir
    static Path dir;

    @Test
    void runsTooLargeForThisMachineAreRefusedUpFrontNamingTheOption() {
        bad("eos train: --n 100000000: ", "train", "--out", dir.resolve("big-n").toString(), "--n", "100000000", "--steps", "3");
        bad("eos train: --n 2147483647: ", "train", "--out", dir.resolve("max-n").toString(), "--n", "2147483647", "--steps", "3");
        bad("eos train: --arch 2-1000000000-2: ", "train", "--out", dir.resolve("big-arch").toString(), "--dataset", "xor",
                "--classes", "2", "--arch", "2-1000000000-2", "--steps", "3");
        bad("eos dataset: --n 100000000: ", "dataset", "--n", "100000000", "--out", dir.resolve("big.safetensors").toString());
    }

    /** Directories under a regular file: unusable for root too (CI runs as root, for whom chmod is no barrier). */
    @Test
    void unusableOutputDirectoriesAreRefusedAtStartWithThePathAndTheReason() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Path sub = file.resolve("sub");
        String why = ": cannot write there (" + file + " is not a directory)";
        bad("eos train: --out " + sub + why, "train", "--out", sub.toString(), "--steps", "3");
        bad("eos demo: --data-dir " + sub + why, "demo", "--data-dir", sub.toString(), "--port", "0");
        bad("eos reproduce: --out " + sub + why, "reproduce", "--preset", "mini", "--out", sub.toString());
        // /proc refuses new entries to everyone
        bad("eos demo: --data-dir /proc/eos-demo: cannot write there (", "demo", "--data-dir", "/proc/eos-demo");
    }

    /** Checked before the broker is looked for: nothing listens on port 1. */
    @Test
    void trainerResumeTakesNoConfigAndSaysSo() {
        bad("eos trainer: --resume DIR takes the run's configuration and files from DIR", "trainer", "--resume",
                dir.toString(), "--config", "x.json", "--bootstrap-servers", "127.0.0.1:1");
        bad("eos trainer: give --config RUN.JSON and --out DIR for a new run, or --resume DIR", "trainer",
                "--bootstrap-servers", "127.0.0.1:1");
        bad("eos train: --heartbeat-seconds must be between 1 and 30", "train", "--out", dir.resolve("hb").toString(),
                "--steps", "3", "--heartbeat-seconds", "0");
    }

    @Test
    void reproduceAndReportNameTheBadOption() {
        EosProcess.Result preset = EosCli.run("reproduce", "--preset", "huge", "--out", dir.resolve("x").toString());
        assertThat(preset.status()).as(preset.err()).isEqualTo(2);
        assertThat(preset.err()).contains("--preset");
        EosProcess.Result analyzers = EosCli.run("reproduce", "--analyzers", "0", "--out", dir.resolve("y").toString());
        assertThat(analyzers.status()).as(analyzers.err()).isEqualTo(2);
        assertThat(analyzers.err()).contains("--analyzers");
        EosProcess.Result cifar = EosCli.run("reproduce", "--preset", "paper", "--dataset", "cifar10", "--out",
                dir.resolve("z").toString());
        assertThat(cifar.status()).as(cifar.err()).isEqualTo(2);
        assertThat(cifar.err()).contains("--data-dir");
        EosProcess.Result seeds = EosCli.run("reproduce", "--preset", "mini", "--seeds", "0", "--out",
                dir.resolve("s").toString());
        assertThat(seeds.status()).as(seeds.err()).isEqualTo(2);
        assertThat(seeds.err().strip()).isEqualTo("eos reproduce: --seeds must be between 1 and 20, got 0");
        EosProcess.Result help = EosCli.run("reproduce", "--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).contains("--bootstrap-servers", "--preset", "--seeds");
        EosProcess.Result report = EosCli.run("report", "--dir", dir.resolve("nothing").toString());
        assertThat(report.status()).as(report.err()).isEqualTo(2);
        assertThat(report.err()).contains("--dir");
    }

    private static void bad(String start, String... args) {
        EosProcess.Result r = EosCli.run(args);
        assertThat(r.status()).as("%s: %s", String.join(" ", args), r.err()).isEqualTo(2);
        assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith(start).doesNotContain("\tat ").doesNotContain("OutOfMemoryError");
        assertThat(r.out()).isEmpty();
    }
}
