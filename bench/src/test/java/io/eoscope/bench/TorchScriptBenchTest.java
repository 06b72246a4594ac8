package io.eoscope.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smoke run of {@code bench/run torchscript}: {@code --quick --models cnn} (the PyTorch peer writes the fixtures and
 * times PyTorch, then eoscope is timed on the same files; about a minute on 2 cores), and its JSON holds every ratio
 * as a finite positive number, with eoscope's ∇L and 𝓗v equal to PyTorch's on the same vector. Skipped, saying why,
 * when /usr/bin/python3 does not import torch and numpy, unless EOS_REQUIRE_TOOLS is set (as .ci/run does).
 */
@Tag("integration")
class TorchScriptBenchTest {
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path work;

    @Test
    void quickRunWritesFinitePositiveRatios() throws Exception {
        requireTorch();
        Path out = work.resolve("torchscript-bench.json");
        TorchScriptBench.Options options = new TorchScriptBench.Options();
        TorchScriptBench.Config cfg = BenchCli.parse(new String[] {"--quick", "--models", "cnn", "--python", PYTHON,
            "--out", out.toString(), "--work", work.resolve("fixtures").toString()}, options, options::config);
        TorchScriptBench.run(cfg);

        JsonObject cnn = JsonParser.parseString(Files.readString(out)).getAsJsonObject().getAsJsonObject("models")
                .getAsJsonObject("cnn");
        JsonObject ratios = cnn.getAsJsonObject("ratios");
        for (String key : List.of("loss", "gradient", "hessian_product_over_hvp", "gauss_newton_product_over_hvp",
                "residual_product_over_hvp", "top1_seconds", "top1_products", "hessian_product_over_hvp_from_min",
                "analysis_seconds", "analysis_in_pytorch_hvps")) {
            assertThat(ratios.has(key) && !ratios.get(key).isJsonNull()).as(key + " in " + ratios).isTrue();
            double value = ratios.get(key).getAsDouble();
            assertThat(Double.isFinite(value) && value > 0).as(key + " = " + value).isTrue();
        }
        JsonObject eoscope = cnn.getAsJsonObject("eoscope");
        assertThat(eoscope.get("parameters").getAsLong()).isEqualTo(2804);
        assertThat(cnn.getAsJsonObject("pytorch").get("parameters").getAsLong()).isEqualTo(2804);
        // both sides compute the same thing (float32): the same gradient and 𝓗v on the same vector
        JsonObject agreement = eoscope.getAsJsonObject("agreement_with_pytorch");
        assertThat(agreement.get("gradient_relative_difference").getAsDouble()).isLessThan(1e-4);
        assertThat(agreement.get("hvp_relative_difference").getAsDouble()).isLessThan(1e-3);
        // and the same top eigenvalue (both to a relative tolerance of 1e-4)
        double ours = eoscope.getAsJsonObject("top1").getAsJsonArray("solves").get(0).getAsJsonObject().get("eigenvalue")
                .getAsDouble();
        double theirs = cnn.getAsJsonObject("pytorch").getAsJsonObject("top1").get("eigenvalue").getAsDouble();
        assertThat(Math.abs(ours - theirs)).isLessThan(1e-3 * Math.abs(theirs));
    }

    /** Skips (or, with EOS_REQUIRE_TOOLS, fails) when /usr/bin/python3 cannot import torch and numpy. */
    private static void requireTorch() throws Exception {
        boolean ok = false;
        if (Files.isExecutable(Path.of(PYTHON))) {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch, numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        }
        if (!ok) {
            assumeTrue(System.getenv("EOS_REQUIRE_TOOLS") != null,
                    PYTHON + " does not import torch and numpy (Debian: apt-get install python3-torch python3-numpy)");
            throw new AssertionError("EOS_REQUIRE_TOOLS is set but " + PYTHON + " does not import torch and numpy");
        }
    }
}
