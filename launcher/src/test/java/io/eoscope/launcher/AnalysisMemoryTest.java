package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.net.LabeledData;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --chunk-size} caps the memory of a TorchScript analysis: the peak resident memory of {@code eos analyze} (real
 * processes, each its own peak) grows with the samples of one chunk, min(N, chunk), because one chunk's autograd graph
 * is what a product holds (docs/science.md#torchscript-models). The traced CNN of the fixtures on N = 20,000 inputs of
 * 3×8×8 holds about 15 KB of graph per sample in float32 (measured: 658–689 MB in one chunk, 409–417 MB in chunks of
 * 2,000), so the test asks for a difference of at least 120 MB, half the measured one, and a run in chunks that
 * agrees with the run in one.
 */
@Tag("integration")
class AnalysisMemoryTest {
    @TempDir
    Path dir;

    @Test
    void theChunkSizeBoundsThePeakMemoryOfATorchScriptAnalysis() throws Exception {
        int n = 20_000;
        Random r = new Random(5);
        double[] x = new double[n * 192];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(3);
        }
        Path data = dir.resolve("data.safetensors");
        DatasetFile.write(data, new LabeledData(n, 192, x, y), DType.F32);
        JsonObject whole = analyse(data, n);
        JsonObject chunked = analyse(data, 2_000);
        long wholeMb = whole.get("peak_rss_mb").getAsLong();
        long chunkedMb = chunked.get("peak_rss_mb").getAsLong();
        System.err.printf("AnalysisMemoryTest: peak RSS %d MB in one chunk of %d, %d MB in chunks of 2,000%n", wholeMb, n, chunkedMb);
        assertThat(wholeMb - chunkedMb).as("peak RSS in one chunk minus in chunks of 2,000, MB").isGreaterThan(120);
        double a = top(whole);
        assertThat(top(chunked)).as("the same λmax(𝓗), summed in chunks").isCloseTo(a, org.assertj.core.data.Offset.offset(1e-4 * a));
    }

    private JsonObject analyse(Path data, int chunk) throws Exception {
        Path fixtures = Path.of("..", "curvature", "src", "test", "resources", "torchscript").toAbsolutePath().normalize();
        EosProcess.Result r = EosProcess.run(dir, "analyze", "--model", fixtures.resolve("cnn-float32.pt").toString(),
                "--params", fixtures.resolve("cnn.safetensors").toString(), "--data", data.toString(), "--spectra", "hessian",
                "--no-layerwise", "--chunk-size", Integer.toString(chunk), "--quiet");
        assertThat(r.status()).as(r.err()).isZero();
        return JsonParser.parseString(r.out()).getAsJsonObject();
    }

    private static double top(JsonObject o) {
        return o.getAsJsonObject("hessian").getAsJsonArray("eigenvalues").get(0).getAsDouble();
    }
}
