package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code eos} process, as a shell runs it: what {@link EosCli} cannot show in the test's JVM, the exit
 * status through {@code System.exit}, the streams as another process reads them, the native engine loading in a
 * fresh JVM. The options and their refusals are tested in-process ({@link AnalyzeCliTest}, {@link TrainCliTest},
 * {@link CommandRefusalsTest}).
 */
@Tag("integration")
class EosProcessSmokeTest {
    static final Path EXAMPLES = Path.of("..", "examples").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void analyzeAnExampleExitsZeroWithTheJsonOnStdout() throws Exception {
        EosProcess.Result r = EosProcess.run(dir, "analyze", "--model", EXAMPLES.resolve("xor-mlp.safetensors").toString(),
                "--data", EXAMPLES.resolve("xor-data.safetensors").toString(), "--quiet");
        assertThat(r.status()).as(r.err()).isZero();
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertThat(o.getAsJsonObject("hessian").getAsJsonArray("eigenvalues").get(0).getAsDouble()).isPositive();
        assertThat(o.getAsJsonArray("layers")).hasSize(3);
        assertThat(r.err()).doesNotContain("Exception");
    }

    @Test
    void aBadOptionExitsTwoWithOneLineOnStderrAndNothingOnStdout() throws Exception {
        EosProcess.Result r = EosProcess.run(dir, "train", "--out", dir.resolve("run").toString(), "--steps", "5",
                "--solver", "nope");
        assertThat(r.status()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip().lines()).singleElement().asString()
                .startsWith("eos train: ").contains("--solver must be gd, adaptive-gd or exp-euler");
    }
}
