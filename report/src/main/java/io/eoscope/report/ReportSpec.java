package io.eoscope.report;

import com.google.gson.JsonElement;
import java.util.List;
import java.util.Map;

/**
 * The contents of {@code report.json}: what a reproduction run measured and which files hold its
 * data. Written by the experiments (with Gson), read by {@link ReportRenderer}. Paths inside it are
 * relative to the report directory.
 *
 * <p>Required keys: {@code title}, {@code claims}, {@code sections}, {@code configuration},
 * {@code versions}; optional: {@code subtitle}.
 *
 * @param title the page title
 * @param subtitle an optional line under the title
 * @param claims the claims table, shown first
 * @param sections the sections, in order
 * @param configuration any JSON value (normally an object), shown pretty-printed
 * @param versions name to version, shown as a table at the end
 */
public record ReportSpec(
        String title,
        String subtitle,
        List<Claim> claims,
        List<Section> sections,
        JsonElement configuration,
        Map<String, String> versions) {

    /** The verdicts a claim may carry, as written in {@code report.json}. */
    public static final List<String> VERDICTS = List.of("agrees", "partly", "disagrees", "not measured");

    /**
     * One row of the claims table. Required: {@code claim}, {@code paper}, {@code measured},
     * {@code verdict}; optional: {@code criterion} (the table gains a column when any claim has one).
     *
     * @param claim the claim, as the paper states it
     * @param paper what the paper reports
     * @param measured what this run measured
     * @param verdict one of {@link #VERDICTS}
     * @param criterion how the verdict was decided
     */
    public record Claim(String claim, String paper, String measured, String verdict, String criterion) {}

    /**
     * One section of the report. Required: {@code id}, {@code title}; optional: {@code text},
     * {@code figures}, {@code heatmaps}, {@code tables}, {@code images}.
     *
     * @param id a short identifier, used as the HTML anchor
     * @param title the heading
     * @param text plain text; a blank line starts a new paragraph
     * @param figures line and scatter plots drawn from CSV files
     * @param tables literal tables
     * @param images pictures inlined into the page
     * @param heatmaps spectral densities over training, drawn after the figures
     */
    public record Section(
            String id, String title, String text, List<Figure> figures, List<Table> tables, List<Image> images,
            List<Heatmap> heatmaps) {}

    /**
     * A spectral density over training drawn as a heatmap: one column per row of a wide CSV file, the
     * symmetric-logarithmic eigenvalue coordinate u = asinh(λ/c)/ln 10 (c = 10⁻³, the fixed grid of
     * {@link io.eoscope.curvature.spectrum.DensityGrid}) upwards with its tick labels in λ, the density as
     * colour on a logarithmic scale with a colour bar. The density columns are those whose header is
     * {@code u=<number>} (the grid point u), in increasing u; any other column is ignored except {@code x}.
     * Required: {@code id} (shares the name space of the figures: {@code figures/<id>.png}), {@code title},
     * {@code csv}, {@code x}. Optional: {@code caption}, {@code xLabel}, {@code lines} (curves λ(x) drawn on
     * the map through u(λ)), {@code hlines} (constant λ, dashed). A file with a header but no row is not
     * an error: the page says that no density was recorded and no picture is drawn.
     *
     * @param id the figure identifier
     * @param title the title drawn on the picture
     * @param caption text under the picture
     * @param csv the wide CSV file, relative to the report directory
     * @param x the column across (a step or a time)
     * @param xLabel the x axis title
     * @param lines curves drawn over the map
     * @param hlines dashed horizontal lines at constant λ
     */
    public record Heatmap(
            String id,
            String title,
            String caption,
            String csv,
            String x,
            String xLabel,
            List<Line> lines,
            List<HLine> hlines) {}

    /**
     * A curve drawn over a {@link Heatmap}: the eigenvalue {@code y} against {@code x}, from a long or
     * wide CSV file (its rows in file order; non-finite points break the curve). All keys are required.
     *
     * @param csv the CSV file, relative to the report directory
     * @param x the column across, in the heatmap's units
     * @param y the eigenvalue column (λ, not u)
     * @param label its legend label
     */
    public record Line(String csv, String x, String y, String label) {}

    /**
     * A plot of one long-format CSV file: one line per distinct value of the {@code series} column.
     * Required: {@code id} (letters, digits, {@code . _ -}; names {@code figures/<id>.png}),
     * {@code title}, {@code csv}, {@code x}, {@code y}. Optional: {@code series} (absent: one series
     * named after {@code y}), {@code caption}, {@code xLabel}, {@code yLabel} (default: the column
     * names), {@code logX}, {@code logY} (default false), {@code hlines}, {@code scatter} (series
     * drawn as markers only).
     *
     * @param id the figure identifier
     * @param title the title drawn on the plot
     * @param caption text under the figure
     * @param csv the CSV file, relative to the report directory
     * @param x the x column
     * @param y the y column
     * @param series the column whose values name the series
     * @param xLabel the x axis title
     * @param yLabel the y axis title
     * @param logX logarithmic x axis
     * @param logY logarithmic y axis
     * @param hlines dashed horizontal reference lines
     * @param scatter the series drawn as markers without lines
     */
    public record Figure(
            String id,
            String title,
            String caption,
            String csv,
            String x,
            String y,
            String series,
            String xLabel,
            String yLabel,
            Boolean logX,
            Boolean logY,
            List<HLine> hlines,
            List<String> scatter) {}

    /**
     * A dashed horizontal reference line; both keys are required.
     *
     * @param y its height, finite
     * @param label its legend label
     */
    public record HLine(Double y, String label) {}

    /**
     * A literal table. Required: {@code columns}, {@code rows} (each as long as {@code columns});
     * optional: {@code title}.
     *
     * @param title the caption
     * @param columns the column headings
     * @param rows the cells, as text
     */
    public record Table(String title, List<String> columns, List<List<String>> rows) {}

    /**
     * A picture (PNG, JPEG, GIF, SVG or WebP) inlined into the page. Required: {@code file}, relative
     * to the report directory; optional: {@code caption}.
     *
     * @param file the image file
     * @param caption text under the picture
     */
    public record Image(String file, String caption) {}
}
