package io.eoscope.reproduce;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.eoscope.curvature.io.AtomicFiles;
import io.eoscope.curvature.spectrum.DensityGrid;
import io.eoscope.report.ReportRenderer;
import java.awt.image.BufferedImage;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Section 7 of the report from run directories as the pipeline leaves them: a GD run with density.csv gets its
 * heatmap, one without (trained before densities existed) gets none and is named in the text, and the page renders.
 */
class DensitySectionTest {
    @TempDir
    Path out;

    @Test
    void aGdRunWithDensityGetsAHeatmapAndOneWithoutIsNamedNotAnError() throws Exception {
        Reproduction r = new Reproduction(Preset.of("mini", null, null), out, new PrintStream(OutputStream.nullOutputStream()));
        List<RunSpec> gd = r.eosRuns().subList(0, 2);
        RunSpec with = gd.get(0);
        RunSpec without = gd.get(1);
        SpectrumTables tables = new SpectrumTables(SpectrumTables.DEFAULT_LIMIT);
        Csv metrics = new Csv("step", "time", "hessian");
        double eta = with.config().learningRate();
        for (long step = 0; step <= 80; step += 20) {
            double top = 10 + step / 10.0;
            metrics.row(step, step * eta, top);
            JsonObject record = new JsonObject();
            record.addProperty("step", step);
            record.addProperty("time", step * eta);
            JsonObject h = new JsonObject();
            h.addProperty("probes", 4);
            h.addProperty("steps", 32);
            h.addProperty("products", 128);
            JsonArray curve = new JsonArray();
            for (double v : DensityGrid.smooth(new double[] {0, top}, new double[] {0.9, 0.1})) {
                curve.add(v);
            }
            h.add("curve", curve);
            JsonObject d = new JsonObject();
            d.add("hessian", h);
            record.add("density", d);
            record.add("trace", com.google.gson.JsonParser.parseString("{\"hessian\": {\"value\": 30, \"interval\": [28, 32],"
                    + " \"coverage\": 0.95, \"products\": 30}, \"gauss_newton\": {\"value\": 25, \"interval\": [25, 25]},"
                    + " \"gauss_newton_share\": 0.833, \"top_share\": {\"hessian\": 0.4}}"));
            tables.add(record);
        }
        Path dir = r.runDir(with);
        tables.density().write(dir.resolve("density.csv"));
        tables.traces().write(dir.resolve("trace.csv"));
        metrics.write(dir.resolve("metrics.csv"));
        metrics.write(r.runDir(without).resolve("metrics.csv"));

        JsonObject section = r.densitySection(gd);

        JsonArray heatmaps = section.getAsJsonArray("heatmaps");
        assertThat(heatmaps).hasSize(1);
        JsonObject h = heatmaps.get(0).getAsJsonObject();
        assertThat(h.get("csv").getAsString()).isEqualTo("runs/" + with.id() + "/density.csv");
        assertThat(h.getAsJsonArray("hlines").get(0).getAsJsonObject().get("y").getAsDouble()).isEqualTo(2 / eta);
        assertThat(h.get("caption").getAsString()).contains("How to read it");
        assertThat(section.get("text").getAsString()).contains("No spectral density was recorded for " + without.label());
        JsonArray rows = section.getAsJsonArray("tables").get(0).getAsJsonObject().getAsJsonArray("rows");
        assertThat(rows).hasSize(2); // the first and the last snapshot with a trace
        assertThat(rows.get(0).getAsJsonArray().get(2).getAsString()).isEqualTo("30.00 [28.00, 32.00]");

        JsonObject report = new JsonObject();
        report.addProperty("title", "t");
        report.add("claims", new JsonArray());
        JsonArray sections = new JsonArray();
        sections.add(section);
        report.add("sections", sections);
        report.add("configuration", new JsonObject());
        report.add("versions", new JsonObject());
        AtomicFiles.write(out.resolve("report.json"), report.toString().getBytes(StandardCharsets.UTF_8));
        String page = Files.readString(ReportRenderer.render(out));
        BufferedImage png = ImageIO.read(out.resolve("figures/density-" + with.id() + ".png").toFile());
        assertThat(png.getWidth()).isEqualTo(900);
        assertThat(out.resolve("figures/density-" + without.id() + ".png")).doesNotExist();
        assertThat(page).contains("Spectral density of 𝓗 over training (" + with.label() + ")");
    }
}
