package io.eoscope.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.curvature.spectrum.DensityGrid;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportRendererTest {
    private static final String IMG_PREFIX = "<img src=\"data:image/png;base64,";

    @TempDir Path dir;

    /** A report with three figures (lines with hlines, log-log scatter with a fit line, gaps), a table and an image. */
    private void writeFullReport() throws IOException {
        write("report.json", """
                {
                    "title": "eoscope: reproduction of Lowell & Kastner (2024), quick preset",
                    "subtitle": "N = 256, seed 1 <test>",
                    "claims": [
                        {"claim": "1. Under GD, sharpness rises to 2/η", "paper": "λmax(𝓗) → 2/η", "measured": "λmax = 19.8 at t = 40", "verdict": "agrees"},
                        {"claim": "2. Exponential Euler follows the flow", "paper": "no EoS", "measured": "max rel. gap 3e-2", "verdict": "partly"},
                        {"claim": "3. First layer drives G", "paper": "λmax(G¹) largest", "measured": "λmax(G²) largest", "verdict": "disagrees"},
                        {"claim": "4. Power law in N", "paper": "R² 0.74–0.98", "measured": "skipped", "verdict": "not measured"}
                    ],
                    "sections": [
                        {"id": "eos", "title": "1. Edge of stability",
                          "text": "First paragraph about λmax(𝓗).\\n\\nSecond paragraph, with P_{Δ,J}ˡ and R².",
                          "figures": [
                              {"id": "eos-sharpness", "title": "Sharpness over continuous time", "caption": "GD against exponential Euler.",
                                "csv": "eos/sharpness.csv", "x": "t", "y": "sharpness", "series": "series",
                                "xLabel": "continuous time t", "yLabel": "λmax(𝓗)", "logX": false, "logY": false,
                                "hlines": [{"y": 20.0, "label": "2/η (η = 0.1)"}]},
                              {"id": "eos-gaps", "title": "Loss with gaps", "csv": "eos/loss.csv", "x": "t", "y": "loss", "series": "solver"}
                          ],
                          "tables": [{"title": "Summary", "columns": ["solver", "final loss"], "rows": [["gd", "0.12"], ["exp-euler", "0.10"]]}],
                          "images": [{"file": "data/examples.png", "caption": "examples of the synthetic images"}]
                        },
                        {"id": "power-law", "title": "4. Power law",
                          "figures": [
                              {"id": "power-law-fit", "title": "Alignment against N", "caption": "Least-squares fit in log-log.",
                                "csv": "power/points.csv", "x": "N", "y": "value", "series": "kind",
                                "xLabel": "dataset size N", "yLabel": "P_{Δ,J}ˡ (l = 1), R² of the fit", "logX": true, "logY": true,
                                "scatter": ["measured"]}
                          ],
                          "tables": [{"title": "Power-law fit", "columns": ["loss", "a", "β", "R²"], "rows": [["mse", "1.2", "-0.31", "0.91"]]}]
                        }
                    ],
                    "configuration": {"preset": "quick", "eta": 0.1, "sizes": [64, 128, 256], "nested": {"seed": 1}},
                    "versions": {"eoscope": "0.1.0-SNAPSHOT", "java": "17.0.15", "djl": "0.36.0"}
                }
                """);
        StringBuilder sharp = new StringBuilder("step,t,series,sharpness,extra\n");
        for (int i = 0; i <= 50; i++) {
            sharp.append(i).append(',').append(i * 0.8).append(",gd,").append(20 * (1 - Math.exp(-i / 10.0)) + Math.sin(i)).append(",x\n");
            sharp.append(i).append(',').append(i * 0.8).append(",exp-euler,").append(15 * (1 - Math.exp(-i / 12.0))).append(",y\n");
        }
        write("eos/sharpness.csv", sharp.toString());
        write("eos/loss.csv", """
                t,solver,loss
                0,gd,1.0
                1,gd,NaN
                2,gd,0.5
                3,gd,
                4,gd,Infinity
                0,flow,1.0
                2,flow,0.4
                4,flow,0.2
                """);
        StringBuilder power = new StringBuilder("N,kind,value\n");
        for (int n = 64; n <= 2048; n *= 2) {
            power.append(n).append(",measured,").append(1.2 * Math.pow(n, -0.31) * (1 + 0.05 * Math.sin(n))).append('\n');
        }
        power.append("64,fit,").append(1.2 * Math.pow(64, -0.31)).append('\n');
        power.append("2048,fit,").append(1.2 * Math.pow(2048, -0.31)).append('\n');
        write("power/points.csv", power.toString());
        BufferedImage examples = new BufferedImage(64, 32, BufferedImage.TYPE_INT_RGB);
        Files.createDirectories(dir.resolve("data"));
        ImageIO.write(examples, "png", dir.resolve("data/examples.png").toFile());
    }

    @Test
    void rendersFiguresTablesImagesClaimsConfigurationAndVersions() throws Exception {
        writeFullReport();

        Path html = ReportRenderer.render(dir);

        assertThat(html).isEqualTo(dir.resolve("report.html")).isRegularFile();
        for (String id : List.of("eos-sharpness", "eos-gaps", "power-law-fit")) {
            Path png = dir.resolve("figures/" + id + ".png");
            BufferedImage image = ImageIO.read(png.toFile());
            assertThat(image).as(id).isNotNull();
            assertThat(image.getWidth()).isEqualTo(FigurePlotter.WIDTH);
            assertThat(image.getHeight()).isEqualTo(FigurePlotter.HEIGHT);
        }
        String page = Files.readString(html);
        // three figures and the example picture, all inlined as PNG; each inlined figure is the file's bytes
        assertThat(count(page, IMG_PREFIX)).isEqualTo(4);
        for (String id : List.of("eos-sharpness", "eos-gaps", "power-law-fit")) {
            String b64 = Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve("figures/" + id + ".png")));
            assertThat(page).contains(IMG_PREFIX + b64 + "\"");
            assertThat(page).contains("<a href=\"figures/" + id + ".png\">");
        }
        assertThat(page).contains("<a href=\"eos/sharpness.csv\">", "<a href=\"eos/loss.csv\">", "<a href=\"power/points.csv\">");
        assertThat(page)
                .contains("<td class=\"verdict verdict-agrees\">agrees</td>")
                .contains("<td class=\"verdict verdict-partly\">partly</td>")
                .contains("<td class=\"verdict verdict-disagrees\">disagrees</td>")
                .contains("<td class=\"verdict verdict-not-measured\">not measured</td>")
                .contains("<td>λmax(𝓗) → 2/η</td>")
                .doesNotContain("Criterion");
        // text is escaped and split into paragraphs
        assertThat(page)
                .contains("<h1>eoscope: reproduction of Lowell &amp; Kastner (2024), quick preset</h1>")
                .contains("N = 256, seed 1 &lt;test&gt;")
                .contains("<p>First paragraph about λmax(𝓗).</p>\n<p>Second paragraph, with P_{Δ,J}ˡ and R².</p>");
        assertThat(page).contains("<th>β</th><th>R²</th>", "<td>-0.31</td>", "<td>exp-euler</td>");
        assertThat(page).contains("\"preset\": \"quick\"", "\"seed\": 1", "<th>djl</th><td>0.36.0</td>");
        assertThat(page).contains("3 non-finite points omitted");
        // claims first, sections in order, configuration, then versions
        assertThat(page.indexOf("id=\"claims\"")).isLessThan(page.indexOf("<section id=\"s-eos\""));
        assertThat(page.indexOf("<section id=\"s-eos\"")).isLessThan(page.indexOf("<section id=\"s-power-law\""));
        assertThat(page.indexOf("<section id=\"s-power-law\"")).isLessThan(page.indexOf("<section id=\"configuration\""));
        assertThat(page.indexOf("<section id=\"configuration\"")).isLessThan(page.indexOf("<section id=\"versions\""));
        // self-contained
        assertThat(page).doesNotContain("<script", "http://", "https://", "<link");
        assertNoTempFiles();
    }

    @Test
    void drawsEverySeriesAndReferenceLineInItsOwnColour() throws Exception {
        writeFullReport();
        ReportRenderer.render(dir);

        BufferedImage sharp = ImageIO.read(dir.resolve("figures/eos-sharpness.png").toFile());
        // gd, exp-euler and the 2/η line take the first three palette colours
        assertThat(pixelsOf(sharp, new Color(0x0072B2))).isGreaterThan(200);
        assertThat(pixelsOf(sharp, new Color(0xD55E00))).isGreaterThan(200);
        assertThat(pixelsOf(sharp, new Color(0x009E73))).isGreaterThan(100);
        BufferedImage power = ImageIO.read(dir.resolve("figures/power-law-fit.png").toFile());
        assertThat(pixelsOf(power, new Color(0x0072B2))).as("measured markers").isGreaterThan(100);
        assertThat(pixelsOf(power, new Color(0xD55E00))).as("fit line").isGreaterThan(100);
    }

    @Test
    void dropsPointsAtOrBelowZeroOnLogAxesAndSaysSo() throws Exception {
        write("report.json", minimalReport("""
                {"id": "f", "title": "log", "csv": "d.csv", "x": "n", "y": "v", "logY": true,
                  "hlines": [{"y": 0.0, "label": "zero"}, {"y": 1.0, "label": "one"}]}
                """));
        write("d.csv", "n,v\n1,0.5\n2,0\n3,-1\n4,2\n5,nan\n");

        String page = Files.readString(ReportRenderer.render(dir));

        assertThat(page).contains("1 non-finite point omitted; 2 non-positive points omitted from the logarithmic axis.");
        assertThat(page).contains("1 reference line at or below zero not drawn on the logarithmic axis.");
    }

    @Test
    void singleSeriesWithoutSeriesColumnAndMinimalKeys() throws Exception {
        write("report.json", """
                {"title": "t", "claims": [], "sections": [{"id": "a", "title": "A",
                    "figures": [{"id": "one", "title": "One", "csv": "one.csv", "x": "x", "y": "y"}]}],
                  "configuration": {}, "versions": {}}
                """);
        write("one.csv", "x,y\n0,1\n1,2\n");

        String page = Files.readString(ReportRenderer.render(dir));

        assertThat(page).contains(IMG_PREFIX).doesNotContain("points omitted", "point omitted");
        assertThat(ImageIO.read(dir.resolve("figures/one.png").toFile()).getWidth()).isEqualTo(FigurePlotter.WIDTH);
    }

    @Test
    void aSinglePointAndManySeriesStillRender() throws Exception {
        write("report.json", minimalReport(
                "{\"id\": \"one\", \"title\": \"one point\", \"csv\": \"one.csv\", \"x\": \"t\", \"y\": \"v\","
                        + " \"logX\": true, \"logY\": true, \"hlines\": [{\"y\": 3.0, \"label\": \"three\"}]},"
                        + "{\"id\": \"many\", \"title\": \"many\", \"csv\": \"many.csv\", \"x\": \"t\", \"y\": \"v\", \"series\": \"s\"}"));
        write("one.csv", "t,v\n2,2\n");
        StringBuilder many = new StringBuilder("t,s,v\n");
        for (int s = 0; s < 15; s++) {
            for (int t = 0; t < 5; t++) {
                many.append(t).append(",N=").append(64 << s).append(',').append(s + Math.sqrt(t)).append('\n');
            }
        }
        write("many.csv", many.toString());

        String page = Files.readString(ReportRenderer.render(dir));

        assertThat(count(page, IMG_PREFIX)).isEqualTo(2);
        assertThat(ImageIO.read(dir.resolve("figures/one.png").toFile()).getHeight()).isEqualTo(FigurePlotter.HEIGHT);
        assertThat(ImageIO.read(dir.resolve("figures/many.png").toFile()).getHeight()).isEqualTo(FigurePlotter.HEIGHT);
    }

    @Test
    void reportSpecRecordsWrittenWithGsonRender() throws Exception {
        var configuration = new com.google.gson.JsonObject();
        configuration.addProperty("eta", 0.1);
        ReportSpec spec = new ReportSpec("from records", null,
                List.of(new ReportSpec.Claim("c", "p", "m", "partly", "agrees when x > 1")),
                List.of(new ReportSpec.Section("s", "S", "text", List.of(new ReportSpec.Figure("fig", "F", null, "d.csv", "t",
                        "v", null, null, null, null, Boolean.TRUE, List.of(new ReportSpec.HLine(2.0, "two")), null)), null, null, null)),
                configuration, java.util.Map.of("java", "17"));
        write("report.json", new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(spec));
        write("d.csv", "t,v\n0,1\n1,3\n");

        String page = Files.readString(ReportRenderer.render(dir));

        assertThat(page).contains("<h1>from records</h1>", "verdict-partly", "\"eta\": 0.1", IMG_PREFIX)
                .contains("<th>Criterion</th>", "<td class=\"criterion\">agrees when x &gt; 1</td>");
    }

    @Test
    void missingRequiredKeyNamesFileAndKey() throws Exception {
        write("report.json", minimalReport("""
                {"id": "f", "title": "no csv", "x": "t", "y": "v"}
                """));
        assertThatThrownBy(() -> ReportRenderer.render(dir))
                .isInstanceOf(ReportException.class)
                .hasMessageContaining("report.json")
                .hasMessageContaining("sections[0].figures[0].csv")
                .hasMessageContaining("missing required key");
    }

    @Test
    void missingTopLevelKeyAndBadVerdictAndRaggedTable() throws Exception {
        write("report.json", "{\"title\": \"t\", \"claims\": [], \"sections\": [], \"configuration\": {}}");
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("report.json: versions: missing required key");

        write("report.json", """
                {"title": "t", "claims": [{"claim": "c", "paper": "p", "measured": "m", "verdict": "yes"}],
                  "sections": [], "configuration": {}, "versions": {}}
                """);
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("claims[0].verdict").hasMessageContaining("\"yes\"");

        write("report.json", """
                {"title": "t", "claims": [], "sections": [{"id": "s", "title": "S",
                    "tables": [{"columns": ["a", "b"], "rows": [["1", "2"], ["3"]]}]}], "configuration": {}, "versions": {}}
                """);
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("sections[0].tables[0].rows[1]").hasMessageContaining("1 cells");
    }

    @Test
    void missingOrMalformedReportJson() throws Exception {
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("report.json").hasMessageContaining("no such file");
        write("report.json", "{\"title\": \"t\", \"claims\": [");
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("report.json").hasMessageContaining("not a valid report description");
        write("report.json", "{\"title\": \"t\", \"claims\": [], \"sections\": \"none\", \"configuration\": {}, \"versions\": {}}");
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("report.json").hasMessageContaining("$.sections");
    }

    @Test
    void missingCsvFileNamesFileAndKey() throws Exception {
        write("report.json", minimalReport("{\"id\": \"f\", \"title\": \"x\", \"csv\": \"eos/missing.csv\", \"x\": \"t\", \"y\": \"v\"}"));
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("missing.csv").hasMessageContaining("sections[0].figures[0].csv")
                .hasMessageContaining("no such file");
    }

    @Test
    void missingColumnNamesFileColumnAndKey() throws Exception {
        write("report.json", minimalReport(
                "{\"id\": \"f\", \"title\": \"x\", \"csv\": \"d.csv\", \"x\": \"t\", \"y\": \"loss\", \"series\": \"run\"}"));
        write("d.csv", "t,run,sharpness\n0,a,1\n");
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("d.csv").hasMessageContaining("'loss'").hasMessageContaining("sections[0].figures[0].y");
    }

    @Test
    void csvWithoutPlottablePointOrWithBadCellFails() throws Exception {
        write("report.json", minimalReport("{\"id\": \"f\", \"title\": \"x\", \"csv\": \"d.csv\", \"x\": \"t\", \"y\": \"v\"}"));
        write("d.csv", "t,v\n0,NaN\n1,\n2,-Infinity\n");
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("d.csv").hasMessageContaining("no plottable point").hasMessageContaining("3 non-finite");

        write("d.csv", "t,v\n");
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("d.csv").hasMessageContaining("no plottable point");

        write("d.csv", "t,v\n0,1\n1,abc\n");
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("d.csv:3").hasMessageContaining("'abc'");

        write("d.csv", "t,v\n0,1,2\n");
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("d.csv:2").hasMessageContaining("3 fields");
    }

    @Test
    void missingImageAndPathOutsideTheDirectoryFail() throws Exception {
        write("report.json", """
                {"title": "t", "claims": [], "sections": [{"id": "s", "title": "S",
                    "images": [{"file": "data/none.png"}]}], "configuration": {}, "versions": {}}
                """);
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("none.png").hasMessageContaining("sections[0].images[0].file");

        write("report.json", minimalReport("{\"id\": \"f\", \"title\": \"x\", \"csv\": \"../d.csv\", \"x\": \"t\", \"y\": \"v\"}"));
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("sections[0].figures[0].csv").hasMessageContaining("not a path inside");
    }

    @Test
    void badAndDuplicateFigureIds() throws Exception {
        write("report.json", minimalReport("{\"id\": \"../x\", \"title\": \"x\", \"csv\": \"d.csv\", \"x\": \"t\", \"y\": \"v\"}"));
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("sections[0].figures[0].id");
        write("report.json", minimalReport(
                "{\"id\": \"a\", \"title\": \"x\", \"csv\": \"d.csv\", \"x\": \"t\", \"y\": \"v\"},"
                        + "{\"id\": \"a\", \"title\": \"y\", \"csv\": \"d.csv\", \"x\": \"t\", \"y\": \"v\"}"));
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("sections[0].figures[1].id").hasMessageContaining("earlier figure");
    }

    @Test
    void rerenderReplacesAtomicallyAndAFailedRenderLeavesThePreviousPage() throws Exception {
        writeFullReport();
        ReportRenderer.render(dir);
        String first = Files.readString(dir.resolve("report.html"));

        write("eos/loss.csv", "t,solver,loss\n0,gd,2.0\n1,gd,1.0\n");
        ReportRenderer.render(dir);
        String second = Files.readString(dir.resolve("report.html"));
        assertThat(second).isNotEqualTo(first).doesNotContain("non-finite");
        assertNoTempFiles();

        Files.delete(dir.resolve("power/points.csv"));
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("points.csv");
        assertThat(Files.readString(dir.resolve("report.html"))).isEqualTo(second);
        assertNoTempFiles();
    }

    /**
     * A density CSV as the reproduction writes it (step, time, then the grid's u columns): a bulk at λ = 0 (mass 0.95)
     * and an outlier (mass 0.05) at λ = 5 + step/20, rising from 5 to 15 over steps 0…200; λmax from a second file.
     */
    private void writeDensity() throws IOException {
        StringBuilder d = new StringBuilder("step,time");
        for (int i = 0; i < DensityGrid.POINTS; i++) {
            d.append(",u=").append(String.format(java.util.Locale.ROOT, "%.1f", DensityGrid.point(i)));
        }
        d.append('\n');
        StringBuilder m = new StringBuilder("step,time,hessian\n");
        for (int step = 0; step <= 200; step += 10) {
            m.append(step).append(',').append(step * 0.1).append(',').append(outlier(step)).append('\n');
            if (step % 20 == 0) {
                d.append(step).append(',').append(step * 0.1);
                for (double v : density(step)) {
                    d.append(',').append(v);
                }
                d.append('\n');
            }
        }
        write("runs/gd/density.csv", d.toString());
        write("runs/gd/metrics.csv", m.toString());
    }

    private static double outlier(int step) {
        return 5 + step / 20.0;
    }

    private static double[] density(int step) {
        return DensityGrid.smooth(new double[] {0, outlier(step)}, new double[] {0.95, 0.05});
    }

    private static final String HEATMAP = """
            {"id": "density-gd", "title": "Spectral density of 𝓗 (GD η = 0.1)", "caption": "read it like this",
              "csv": "runs/gd/density.csv", "x": "step", "xLabel": "step",
              "lines": [{"csv": "runs/gd/metrics.csv", "x": "step", "y": "hessian", "label": "λmax(𝓗)"}],
              "hlines": [{"y": 20.0, "label": "2/η"}]}
            """;

    private static String heatmapReport(String heatmaps) {
        return "{\"title\": \"t\", \"claims\": [], \"sections\": [{\"id\": \"s\", \"title\": \"S\", \"heatmaps\": ["
                + heatmaps + "]}], \"configuration\": {}, \"versions\": {}}";
    }

    @Test
    void aDensityCsvRendersAHeatmapWithColourWhereTheMassIsAndWhiteElsewhere() throws Exception {
        writeDensity();
        write("report.json", heatmapReport(HEATMAP));

        String page = Files.readString(ReportRenderer.render(dir));

        BufferedImage png = ImageIO.read(dir.resolve("figures/density-gd.png").toFile());
        assertThat(png.getWidth()).isEqualTo(FigurePlotter.WIDTH);
        assertThat(png.getHeight()).isEqualTo(FigurePlotter.HEIGHT);
        ReportSpec.Heatmap spec = new com.google.gson.Gson().fromJson(HEATMAP, ReportSpec.Heatmap.class);
        HeatmapData data = HeatmapData.read(dir.resolve("runs/gd/density.csv"), List.of(dir.resolve("runs/gd/metrics.csv")),
                spec, "h");
        assertThat(data.columns()).hasSize(11);
        HeatmapPlotter.Geometry g = HeatmapPlotter.geometry(data, spec);
        double peak = g.peak();
        assertThat(peak).isCloseTo(0.95 / (DensityGrid.SIGMA_U * Math.sqrt(2 * Math.PI)), org.assertj.core.data.Offset.offset(1e-9));
        // the bulk's centre cell of column step 100 has exactly its density's colour
        int x100 = (int) Math.round(g.px(100));
        assertThat(rgb(png, x100, (int) Math.round(g.py(0.0)))).isEqualTo(rgb(HeatmapPlotter.colour(density(100)[70], peak)));
        // the outlier's mass (u just above its centre, off the λmax line drawn through it) is coloured, dimmer than the bulk
        int yOut = (int) Math.round(g.py(DensityGrid.u(outlier(100)) + 0.25));
        int above = png.getRGB(x100, yOut) & 0xFFFFFF;
        assertThat(above).isNotEqualTo(0xFFFFFF);
        // between the bulk and the outlier there is no mass: the background shows
        assertThat(rgb(png, x100, (int) Math.round(g.py(2.0)))).isEqualTo(0xFFFFFF);
        // early on the outlier sat lower: at step 0 the place of the step-200 outlier is empty
        assertThat(rgb(png, (int) Math.round(g.px(0)), (int) Math.round(g.py(DensityGrid.u(outlier(200)) + 0.2))))
                .isEqualTo(0xFFFFFF);
        // the 2/η line (λ = 20) is drawn in black across the map
        int y20 = (int) Math.round(g.py(DensityGrid.u(20)));
        int black = 0;
        for (int x = g.left() + 1; x < g.right(); x++) {
            for (int dy = -1; dy <= 1; dy++) {
                if (rgb(png, x, y20 + dy) == 0) {
                    black++;
                    break;
                }
            }
        }
        assertThat(black).as("dashes of 2/η").isGreaterThan((g.right() - g.left()) / 3);
        // the λmax curve (vermillion) is drawn
        assertThat(pixelsOf(png, new Color(0xD55E00))).isGreaterThan(100);
        // the axis is cropped to the mass and the lines: λ = 20 and the bulk are in, λ = −1 is not
        assertThat(g.uMax()).isGreaterThan(DensityGrid.u(20)).isLessThan(DensityGrid.u(100));
        assertThat(g.uMin()).isLessThan(-0.4).isGreaterThan(DensityGrid.u(-1));
        assertThat(page).contains("<b>Figure 1.</b> Spectral density of 𝓗 (GD η = 0.1). read it like this 11 columns",
                "<a href=\"runs/gd/density.csv\">", "<a href=\"figures/density-gd.png\">", IMG_PREFIX);
    }

    @Test
    void aRunWithoutDensityGetsNoFigureAndNoError() throws Exception {
        StringBuilder header = new StringBuilder("step,time");
        for (int i = 0; i < DensityGrid.POINTS; i++) {
            header.append(",u=").append(String.format(java.util.Locale.ROOT, "%.1f", DensityGrid.point(i)));
        }
        write("runs/gd/density.csv", header + "\n");
        write("runs/gd/metrics.csv", "step,time,hessian\n0,0,5\n");
        write("d.csv", "t,v\n0,1\n1,2\n");
        write("report.json", "{\"title\": \"t\", \"claims\": [], \"sections\": [{\"id\": \"s\", \"title\": \"S\","
                + " \"figures\": [{\"id\": \"f\", \"title\": \"F\", \"csv\": \"d.csv\", \"x\": \"t\", \"y\": \"v\"}],"
                + " \"heatmaps\": [" + HEATMAP + "]}], \"configuration\": {}, \"versions\": {}}");

        String page = Files.readString(ReportRenderer.render(dir));

        assertThat(dir.resolve("figures/density-gd.png")).doesNotExist();
        assertThat(dir.resolve("figures/f.png")).isRegularFile();
        assertThat(count(page, IMG_PREFIX)).isEqualTo(1);
        assertThat(page).contains("Spectral density of 𝓗 (GD η = 0.1): no spectral density was recorded, so there is no figure.");
    }

    @Test
    void heatmapErrorsNameFileAndKey() throws Exception {
        writeDensity();
        write("report.json", heatmapReport("{\"id\": \"h\", \"title\": \"H\", \"csv\": \"runs/gd/density.csv\"}"));
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("sections[0].heatmaps[0].x").hasMessageContaining("missing required key");

        write("report.json", heatmapReport("{\"id\": \"h\", \"title\": \"H\", \"csv\": \"runs/gd/metrics.csv\", \"x\": \"step\"}"));
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("metrics.csv").hasMessageContaining("fewer than two density columns");

        write("report.json", heatmapReport("{\"id\": \"h\", \"title\": \"H\", \"csv\": \"runs/gd/density.csv\", \"x\": \"step\","
                + " \"lines\": [{\"csv\": \"runs/gd/none.csv\", \"x\": \"step\", \"y\": \"hessian\", \"label\": \"l\"}]}"));
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("none.csv").hasMessageContaining("sections[0].heatmaps[0].lines[0]");

        write("runs/gd/bad.csv", "step,u=1.0,u=0.5\n0,1,1\n");
        write("report.json", heatmapReport("{\"id\": \"h\", \"title\": \"H\", \"csv\": \"runs/gd/bad.csv\", \"x\": \"step\"}"));
        assertThatThrownBy(() -> ReportRenderer.render(dir)).isInstanceOf(ReportException.class)
                .hasMessageContaining("bad.csv").hasMessageContaining("increasing");
    }

    @Test
    void aRowWithANonFiniteDensityIsOmittedAndSaid() throws Exception {
        write("h.csv", "step,u=-0.1,u=0.0,u=0.1\n0,0.1,1,0.1\n1,NaN,1,0.1\n2,0.1,1,0.1\n");
        write("report.json", heatmapReport("{\"id\": \"h\", \"title\": \"H\", \"csv\": \"h.csv\", \"x\": \"step\"}"));

        String page = Files.readString(ReportRenderer.render(dir));

        assertThat(page).contains("2 columns", "1 row with a missing, non-finite or negative density omitted.");
    }

    @Test
    void lambdaTicksAndLabels() {
        assertThat(HeatmapPlotter.lambdaLabel(-1000)).isEqualTo("\u22121000");
        assertThat(HeatmapPlotter.lambdaLabel(0.001)).isEqualTo("0.001");
        assertThat(HeatmapPlotter.lambdaLabel(20)).isEqualTo("20");
        assertThat(HeatmapPlotter.lambdaTicks(DensityGrid.u(-2), DensityGrid.u(200)))
                .containsExactly(-1.0, -0.1, -0.01, -0.001, 0.0, 0.001, 0.01, 0.1, 1.0, 10.0, 100.0);
        // a narrow range gets 2 and 5 too
        assertThat(HeatmapPlotter.lambdaTicks(DensityGrid.u(3), DensityGrid.u(30))).containsExactly(5.0, 10.0, 20.0);
        assertThat(HeatmapPlotter.niceTicks(0, 560)).containsExactly(0.0, 100.0, 200.0, 300.0, 400.0, 500.0);
    }

    private static int rgb(BufferedImage image, int x, int y) {
        return image.getRGB(x, y) & 0xFFFFFF;
    }

    private static int rgb(Color c) {
        return c.getRGB() & 0xFFFFFF;
    }

    @Test
    void logAxisRangeIsWidenedToShowTwoLabelledPowersOfTen() {
        assertThat(FigurePlotter.labelledLogRange(64, 2048)).isNull();
        assertThat(FigurePlotter.labelledLogRange(0.15, 0.35)).containsExactly(0.1, 1.0);
        assertThat(FigurePlotter.labelledLogRange(0.05, 0.5)).containsExactly(0.05, 1.0);
        assertThat(FigurePlotter.labelledLogRange(6, 35)).containsExactly(6.0, 100.0);
        assertThat(FigurePlotter.labelledLogRange(2, 30)).containsExactly(1.0, 30.0);
        assertThat(FigurePlotter.labelledLogRange(0.1, 0.5)).containsExactly(0.1, 1.0);
        assertThat(FigurePlotter.labelledLogRange(10, 10)).containsExactly(10.0, 100.0);
    }

    @Test
    void writtenFilesAreReadableByOthersWhereTheUmaskAllows() throws Exception {
        writeFullReport();
        Path probe = dir.resolve("probe");
        Files.createFile(probe); // what a plain new file gets here
        ReportRenderer.render(dir);
        var usual = Files.getPosixFilePermissions(probe);
        assertThat(Files.getPosixFilePermissions(dir.resolve("report.html"))).isEqualTo(usual);
        assertThat(Files.getPosixFilePermissions(dir.resolve("figures/eos-sharpness.png"))).isEqualTo(usual);
    }

    @Test
    void tickLabelPatternsFollowTheSpan() {
        assertThat(FigurePlotter.decimalPattern(4, 4)).isEqualTo("0.##");
        assertThat(new java.text.DecimalFormat(FigurePlotter.decimalPattern(4, 4)).format(2.0000000000000001)).isEqualTo("2");
        assertThat(FigurePlotter.decimalPattern(1500, 1500)).isEqualTo("0");
        assertThat(FigurePlotter.decimalPattern(0.02, 1)).isEqualTo("0.####");
        assertThat(FigurePlotter.decimalPattern(0, 0)).isEqualTo("0.##");
        assertThat(FigurePlotter.decimalPattern(1e-6, 1e-6)).isEqualTo("0.###E0");
        assertThat(FigurePlotter.decimalPattern(1e8, 1e8)).isEqualTo("0.###E0");
    }

    private static String minimalReport(String figures) {
        return "{\"title\": \"t\", \"claims\": [], \"sections\": [{\"id\": \"s\", \"title\": \"S\", \"figures\": ["
                + figures + "]}], \"configuration\": {}, \"versions\": {}}";
    }

    private void write(String relative, String text) throws IOException {
        Path p = dir.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text, StandardCharsets.UTF_8);
    }

    private void assertNoTempFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp") || n.startsWith(".")))
                    .isEmpty();
        }
    }

    private static int count(String haystack, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(haystack);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private static int pixelsOf(BufferedImage image, Color colour) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == (colour.getRGB() & 0xFFFFFF)) {
                    n++;
                }
            }
        }
        return n;
    }
}
