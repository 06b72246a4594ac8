package io.eoscope.report;

import com.google.gson.GsonBuilder;
import io.eoscope.curvature.io.AtomicFiles;
import io.eoscope.curvature.io.InputException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a reproduction report directory into PNG figures and one self-contained HTML page.
 *
 * <p>The directory holds {@code report.json} (see {@link ReportSpec}) and the CSV files and images
 * it names. {@link #render(Path)} draws every figure into {@code figures/<id>.png} and writes
 * {@code report.html}: the claims table, then each section with its text, figures, tables and
 * images, then the configuration and the versions. The page needs nothing else to be read: the
 * pictures are inlined as data URIs, the CSS is embedded, there is no JavaScript and no external
 * URL; it links each figure's CSV and PNG by relative path. Every file is written atomically.
 */
public final class ReportRenderer {
    /** The page written into the report directory. */
    public static final String HTML_FILE = "report.html";
    /** The folder, inside the report directory, that receives the figures. */
    public static final String FIGURES_DIR = "figures";

    private ReportRenderer() {}

    /**
     * Reads {@code dir/report.json}, writes {@code dir/figures/<id>.png} for every figure and every
     * heatmap that has a column (a heatmap whose CSV has no row gets a sentence instead of a picture), and
     * {@code dir/report.html}.
     *
     * <p>Sets {@code java.awt.headless=true} unless the property is already set, since drawing needs
     * no display.
     *
     * @param dir the report directory
     * @return the path of the written {@code report.html}
     * @throws IOException on an I/O failure
     * @throws ReportException when {@code report.json} is missing, malformed or lacks a required key,
     *     or a CSV file, a column or an image is missing, or a figure has no plottable point; the
     *     message names the file and the key
     */
    public static Path render(Path dir) throws IOException, ReportException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        ReportSpec spec = ReportSpecReader.read(dir);
        Path figures = dir.resolve(FIGURES_DIR);
        Files.createDirectories(figures);
        Html html = new Html();
        html.head(spec);
        html.claims(spec.claims());
        int figureNo = 0;
        for (int i = 0; i < spec.sections().size(); i++) {
            ReportSpec.Section section = spec.sections().get(i);
            String key = "sections[" + i + "]";
            html.sectionStart(section);
            List<ReportSpec.Figure> figureSpecs = ReportSpecReader.orEmpty(section.figures());
            for (int j = 0; j < figureSpecs.size(); j++) {
                ReportSpec.Figure figure = figureSpecs.get(j);
                String figureKey = key + ".figures[" + j + "]";
                Path csv = inside(dir, figure.csv(), figureKey + ".csv");
                FigureData data = FigureData.read(csv, figure, figureKey);
                byte[] png = FigurePlotter.png(figure, data);
                String pngName = FIGURES_DIR + "/" + figure.id() + ".png";
                write(dir.resolve(pngName), png);
                html.figure(++figureNo, figure, data, png, pngName);
            }
            List<ReportSpec.Heatmap> heatmaps = ReportSpecReader.orEmpty(section.heatmaps());
            for (int j = 0; j < heatmaps.size(); j++) {
                ReportSpec.Heatmap heatmap = heatmaps.get(j);
                String heatmapKey = key + ".heatmaps[" + j + "]";
                Path csv = inside(dir, heatmap.csv(), heatmapKey + ".csv");
                List<ReportSpec.Line> lines = ReportSpecReader.orEmpty(heatmap.lines());
                List<Path> lineFiles = new java.util.ArrayList<>();
                for (int k = 0; k < lines.size(); k++) {
                    lineFiles.add(inside(dir, lines.get(k).csv(), heatmapKey + ".lines[" + k + "].csv"));
                }
                HeatmapData data = HeatmapData.read(csv, lineFiles, heatmap, heatmapKey);
                if (data.columns().isEmpty()) {
                    html.noHeatmap(heatmap, data); // a run that recorded no density: said, not an error
                    continue;
                }
                byte[] png = HeatmapPlotter.png(heatmap, data);
                String pngName = FIGURES_DIR + "/" + heatmap.id() + ".png";
                write(dir.resolve(pngName), png);
                html.heatmap(++figureNo, heatmap, data, png, pngName);
            }
            for (ReportSpec.Table table : ReportSpecReader.orEmpty(section.tables())) {
                html.table(table);
            }
            List<ReportSpec.Image> images = ReportSpecReader.orEmpty(section.images());
            for (int j = 0; j < images.size(); j++) {
                String imageKey = key + ".images[" + j + "]";
                Path file = inside(dir, images.get(j).file(), imageKey + ".file");
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(file);
                } catch (NoSuchFileException e) {
                    throw new ReportException(file + " (" + imageKey + ".file): no such file");
                }
                html.image(images.get(j), mimeType(file, imageKey), bytes);
            }
            html.sectionEnd();
        }
        html.tail(spec);
        Path out = dir.resolve(HTML_FILE);
        write(out, html.toString().getBytes(StandardCharsets.UTF_8));
        return out;
    }

    /** Writes a file atomically (see {@link AtomicFiles}); a failure names the file. */
    private static void write(Path path, byte[] bytes) throws ReportException {
        try {
            AtomicFiles.write(path, bytes);
        } catch (InputException e) {
            throw new ReportException(e.getMessage());
        }
    }

    /** Resolves a relative path from report.json, refusing one that leaves the report directory. */
    private static Path inside(Path dir, String relative, String key) throws ReportException {
        Path base = dir.toAbsolutePath().normalize();
        Path p;
        try {
            p = base.resolve(relative).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new ReportException(dir.resolve(ReportSpecReader.FILE_NAME) + ": " + key + ": invalid path '" + relative + "'");
        }
        if (!p.startsWith(base) || Path.of(relative).isAbsolute()) {
            throw new ReportException(dir.resolve(ReportSpecReader.FILE_NAME) + ": " + key + ": '" + relative
                    + "' is not a path inside the report directory");
        }
        return p;
    }

    private static String mimeType(Path file, String key) throws ReportException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        String ext = name.substring(name.lastIndexOf('.') + 1);
        return switch (ext) {
            case "png" -> "image/png";
            case "jpg", "jpeg" -> "image/jpeg";
            case "gif" -> "image/gif";
            case "svg" -> "image/svg+xml";
            case "webp" -> "image/webp";
            default -> throw new ReportException(file + " (" + key + "): not a PNG, JPEG, GIF, SVG or WebP file name");
        };
    }

    /** Builds the page; every text from report.json goes through {@link #esc} or {@link #attr}. */
    private static final class Html {
        private static final String CSS = """
                body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
                h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
                .subtitle{color:#555;margin-top:0}
                table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.35em .6em;vertical-align:top;text-align:left}
                th{background:#f0f0f0}caption{font-weight:bold;text-align:left;padding-bottom:.3em}
                td.verdict{font-weight:bold;white-space:nowrap}td.criterion{font-size:.85em;color:#555}
                .verdict-agrees{background:#d4edda;color:#155724}.verdict-partly{background:#fff3cd;color:#7a5a00}
                .verdict-disagrees{background:#f8d7da;color:#721c24}.verdict-not-measured{background:#e2e3e5;color:#383d41}
                figure{margin:1.5em 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}
                figcaption{font-size:.92em;color:#333;margin-top:.4em}.omitted{color:#8a5a00}.links a{margin-right:1em}
                pre{background:#f6f6f6;border:1px solid #ddd;padding:1em;overflow-x:auto;font-size:.85em}
                nav ul{columns:2;padding-left:1.2em}
                """;

        private final StringBuilder sb = new StringBuilder(1 << 16);

        void head(ReportSpec spec) {
            sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                    .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                    .append("<title>").append(esc(spec.title())).append("</title>\n<style>\n").append(CSS)
                    .append("</style>\n</head>\n<body>\n<header>\n<h1>").append(esc(spec.title())).append("</h1>\n");
            if (spec.subtitle() != null) {
                sb.append("<p class=\"subtitle\">").append(esc(spec.subtitle())).append("</p>\n");
            }
            sb.append("</header>\n<nav>\n<ul>\n<li><a href=\"#claims\">Claims</a></li>\n");
            for (ReportSpec.Section s : spec.sections()) {
                sb.append("<li><a href=\"#").append(anchor(s.id())).append("\">").append(esc(s.title())).append("</a></li>\n");
            }
            sb.append("<li><a href=\"#configuration\">Configuration</a></li>\n")
                    .append("<li><a href=\"#versions\">Versions</a></li>\n</ul>\n</nav>\n");
        }

        void claims(List<ReportSpec.Claim> claims) {
            boolean criteria = claims.stream().anyMatch(c -> c.criterion() != null);
            sb.append("<section id=\"claims\">\n<h2>Claims</h2>\n<table class=\"claims\">\n<thead><tr>")
                    .append("<th>Claim</th><th>Paper</th><th>This run</th><th>Verdict</th>")
                    .append(criteria ? "<th>Criterion</th>" : "").append("</tr></thead>\n<tbody>\n");
            for (ReportSpec.Claim c : claims) {
                sb.append("<tr><td>").append(esc(c.claim())).append("</td><td>").append(esc(c.paper()))
                        .append("</td><td>").append(esc(c.measured())).append("</td><td class=\"verdict verdict-")
                        .append(c.verdict().replace(' ', '-')).append("\">").append(esc(c.verdict())).append("</td>");
                if (criteria) {
                    sb.append("<td class=\"criterion\">").append(esc(c.criterion() == null ? "" : c.criterion())).append("</td>");
                }
                sb.append("</tr>\n");
            }
            sb.append("</tbody>\n</table>\n</section>\n");
        }

        void sectionStart(ReportSpec.Section s) {
            sb.append("<section id=\"").append(anchor(s.id())).append("\">\n<h2>").append(esc(s.title())).append("</h2>\n");
            if (s.text() != null) {
                for (String para : s.text().strip().split("\\R\\s*\\R")) {
                    if (!para.isBlank()) {
                        sb.append("<p>").append(esc(para.strip())).append("</p>\n");
                    }
                }
            }
        }

        void figure(int number, ReportSpec.Figure f, FigureData data, byte[] png, String pngName) {
            sb.append("<figure id=\"fig-").append(anchor(f.id())).append("\">\n<img src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(png)).append("\" width=\"").append(FigurePlotter.WIDTH)
                    .append("\" height=\"").append(FigurePlotter.HEIGHT).append("\" alt=\"").append(attr(f.title()))
                    .append("\">\n<figcaption><b>Figure ").append(number).append(".</b> ").append(esc(f.title())).append('.');
            if (f.caption() != null) {
                sb.append(' ').append(esc(f.caption()));
            }
            String note = data.omissionNote();
            List<ReportSpec.HLine> hidden = FigurePlotter.hiddenHLines(f);
            if (!hidden.isEmpty()) {
                note = (note + " " + hidden.size() + " reference line" + (hidden.size() == 1 ? "" : "s")
                        + " at or below zero not drawn on the logarithmic axis.").strip();
            }
            if (!note.isEmpty()) {
                sb.append(" <span class=\"omitted\">").append(esc(note)).append("</span>");
            }
            sb.append("<br><span class=\"links\">Data: <a href=\"").append(attr(href(f.csv()))).append("\">")
                    .append(esc(f.csv())).append("</a> Figure: <a href=\"").append(attr(href(pngName))).append("\">")
                    .append(esc(pngName)).append("</a></span></figcaption>\n</figure>\n");
        }

        void heatmap(int number, ReportSpec.Heatmap h, HeatmapData data, byte[] png, String pngName) {
            sb.append("<figure id=\"fig-").append(anchor(h.id())).append("\">\n<img src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(png)).append("\" width=\"").append(FigurePlotter.WIDTH)
                    .append("\" height=\"").append(FigurePlotter.HEIGHT).append("\" alt=\"").append(attr(h.title()))
                    .append("\">\n<figcaption><b>Figure ").append(number).append(".</b> ").append(esc(h.title())).append('.');
            if (h.caption() != null) {
                sb.append(' ').append(esc(h.caption()));
            }
            sb.append(' ').append(esc(data.columns().size() + (data.columns().size() == 1 ? " column" : " columns")
                    + "; colour scale " + HeatmapPlotter.DECADES + " decades below the peak density."));
            if (!data.omissionNote().isEmpty()) {
                sb.append(" <span class=\"omitted\">").append(esc(data.omissionNote())).append("</span>");
            }
            sb.append("<br><span class=\"links\">Data: <a href=\"").append(attr(href(h.csv()))).append("\">")
                    .append(esc(h.csv())).append("</a> Figure: <a href=\"").append(attr(href(pngName))).append("\">")
                    .append(esc(pngName)).append("</a></span></figcaption>\n</figure>\n");
        }

        void noHeatmap(ReportSpec.Heatmap h, HeatmapData data) {
            sb.append("<p class=\"omitted\" id=\"fig-").append(anchor(h.id())).append("\">").append(esc(h.title()))
                    .append(": no spectral density was recorded")
                    .append(data.omitted() > 0 ? " (" + data.omissionNote().replace(".", "") + ")" : "")
                    .append(", so there is no figure. Data: <a href=\"").append(attr(href(h.csv()))).append("\">")
                    .append(esc(h.csv())).append("</a></p>\n");
        }

        void table(ReportSpec.Table t) {
            sb.append("<table class=\"data\">\n");
            if (t.title() != null) {
                sb.append("<caption>").append(esc(t.title())).append("</caption>\n");
            }
            sb.append("<thead><tr>");
            for (String c : t.columns()) {
                sb.append("<th>").append(esc(c)).append("</th>");
            }
            sb.append("</tr></thead>\n<tbody>\n");
            for (List<String> row : t.rows()) {
                sb.append("<tr>");
                for (String cell : row) {
                    sb.append("<td>").append(esc(cell == null ? "" : cell)).append("</td>");
                }
                sb.append("</tr>\n");
            }
            sb.append("</tbody>\n</table>\n");
        }

        void image(ReportSpec.Image image, String mime, byte[] bytes) {
            sb.append("<figure class=\"picture\">\n<img src=\"data:").append(mime).append(";base64,")
                    .append(Base64.getEncoder().encodeToString(bytes)).append("\" alt=\"")
                    .append(attr(image.caption() != null ? image.caption() : image.file())).append("\">\n");
            if (image.caption() != null) {
                sb.append("<figcaption>").append(esc(image.caption())).append("</figcaption>\n");
            }
            sb.append("</figure>\n");
        }

        void sectionEnd() {
            sb.append("</section>\n");
        }

        void tail(ReportSpec spec) {
            String config = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create()
                    .toJson(spec.configuration());
            sb.append("<section id=\"configuration\">\n<h2>Configuration</h2>\n<pre>").append(esc(config))
                    .append("</pre>\n</section>\n<section id=\"versions\">\n<h2>Versions</h2>\n<table class=\"versions\">\n<tbody>\n");
            for (Map.Entry<String, String> e : spec.versions().entrySet()) {
                sb.append("<tr><th>").append(esc(e.getKey())).append("</th><td>").append(esc(e.getValue())).append("</td></tr>\n");
            }
            sb.append("</tbody>\n</table>\n</section>\n</body>\n</html>\n");
        }

        @Override
        public String toString() {
            return sb.toString();
        }

        private static String anchor(String id) {
            return "s-" + id.replaceAll("[^A-Za-z0-9_-]", "_");
        }

        /** A relative link: each path segment percent-encoded, '/' kept. */
        private static String href(String relative) {
            try {
                return new URI(null, null, relative.replace('\\', '/'), null).getRawPath();
            } catch (URISyntaxException e) {
                return relative;
            }
        }

        /** Escapes element text. */
        static String esc(String s) {
            return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        }

        /** Escapes a double-quoted attribute value. */
        static String attr(String s) {
            return esc(s).replace("\"", "&quot;").replace("'", "&#39;");
        }
    }
}
