package io.eoscope.report;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The plottable points of one figure, read from its long-format CSV file: a header row, then one
 * comma-separated row per point, no quoting. Points whose x or y is empty, NaN or infinite are
 * dropped and counted, as are points at or below zero on a logarithmic axis.
 */
final class FigureData {
    /** One series: its name and its points in file order. */
    record Series(String name, double[] x, double[] y) {}

    private final List<Series> series;
    private final int nonFinite;
    private final int nonPositive;

    private FigureData(List<Series> series, int nonFinite, int nonPositive) {
        this.series = series;
        this.nonFinite = nonFinite;
        this.nonPositive = nonPositive;
    }

    /** The series with at least one point, in order of first appearance in the file. */
    List<Series> series() {
        return series;
    }

    /** How many points were dropped for an empty, NaN or infinite coordinate. */
    int nonFinite() {
        return nonFinite;
    }

    /** How many points were dropped for a coordinate at or below zero on a logarithmic axis. */
    int nonPositive() {
        return nonPositive;
    }

    /** A sentence for the caption saying which points were omitted, or "" when none were. */
    String omissionNote() {
        List<String> parts = new ArrayList<>();
        if (nonFinite > 0) {
            parts.add(nonFinite + " non-finite " + (nonFinite == 1 ? "point" : "points") + " omitted");
        }
        if (nonPositive > 0) {
            parts.add(nonPositive + " non-positive " + (nonPositive == 1 ? "point" : "points")
                    + " omitted from the logarithmic axis");
        }
        return parts.isEmpty() ? "" : String.join("; ", parts) + ".";
    }

    /**
     * Reads the points of {@code figure} from {@code csvFile}.
     *
     * @param figureKey the figure's key in report.json, for error messages
     */
    static FigureData read(Path csvFile, ReportSpec.Figure figure, String figureKey)
            throws IOException, ReportException {
        boolean logX = Boolean.TRUE.equals(figure.logX());
        boolean logY = Boolean.TRUE.equals(figure.logY());
        Map<String, List<double[]>> points = new LinkedHashMap<>();
        int nonFinite = 0;
        int nonPositive = 0;
        try (BufferedReader in = Files.newBufferedReader(csvFile, StandardCharsets.UTF_8)) {
            List<String> header = header(in, csvFile, figureKey);
            int xi = column(header, figure.x(), csvFile, figureKey + ".x");
            int yi = column(header, figure.y(), csvFile, figureKey + ".y");
            int si = figure.series() == null ? -1 : column(header, figure.series(), csvFile, figureKey + ".series");
            int[] omitted = new int[2]; // non-finite, non-positive on a logarithmic axis
            rows(in, csvFile, header.size(), figureKey, (cells, lineNo) -> {
                double x = number(cells.get(xi), csvFile, lineNo, figure.x());
                double y = number(cells.get(yi), csvFile, lineNo, figure.y());
                String name = si < 0 ? figure.y() : cells.get(si);
                if (!Double.isFinite(x) || !Double.isFinite(y)) {
                    omitted[0]++;
                } else if ((logX && x <= 0) || (logY && y <= 0)) {
                    omitted[1]++;
                } else {
                    points.computeIfAbsent(name.isEmpty() ? "(unnamed)" : name, k -> new ArrayList<>())
                            .add(new double[] {x, y});
                }
            });
            nonFinite = omitted[0];
            nonPositive = omitted[1];
        } catch (NoSuchFileException e) {
            throw new ReportException(csvFile + " (" + figureKey + ".csv): no such file");
        }
        if (points.isEmpty()) {
            throw new ReportException(csvFile + " (" + figureKey + ".csv): no plottable point in columns '"
                    + figure.x() + "', '" + figure.y() + "' (" + nonFinite + " non-finite, " + nonPositive
                    + " non-positive on a logarithmic axis)");
        }
        List<Series> series = new ArrayList<>();
        for (Map.Entry<String, List<double[]>> e : points.entrySet()) {
            double[] xs = new double[e.getValue().size()];
            double[] ys = new double[xs.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = e.getValue().get(i)[0];
                ys[i] = e.getValue().get(i)[1];
            }
            series.add(new Series(e.getKey(), xs, ys));
        }
        return new FigureData(List.copyOf(series), nonFinite, nonPositive);
    }

    /** One data row of a CSV file: its cells and its line number (the header is line 1). */
    @FunctionalInterface
    interface Row {
        void accept(List<String> cells, int lineNo) throws ReportException;
    }

    /**
     * The header row of {@code in} (a byte-order mark dropped), split into its column names.
     *
     * @param key the figure's or heatmap's key in report.json, for error messages
     */
    static List<String> header(BufferedReader in, Path csvFile, String key) throws IOException, ReportException {
        String line = in.readLine();
        if (line == null) {
            throw new ReportException(csvFile + " (" + key + ".csv): empty file, expected a header row");
        }
        return split(line.startsWith("\uFEFF") ? line.substring(1) : line);
    }

    /**
     * Hands every non-blank row after the header to {@code row}, each with exactly {@code width} cells.
     *
     * @throws ReportException when a row has another number of cells (naming the line), or from {@code row}
     */
    static void rows(BufferedReader in, Path csvFile, int width, String key, Row row) throws IOException, ReportException {
        String line;
        int lineNo = 1;
        while ((line = in.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            List<String> cells = split(line);
            if (cells.size() != width) {
                throw new ReportException(csvFile + ":" + lineNo + ": " + cells.size() + " fields but the header has "
                        + width + " (" + key + ")");
            }
            row.accept(cells, lineNo);
        }
    }

    static List<String> split(String line) {
        List<String> cells = new ArrayList<>();
        for (String cell : line.split(",", -1)) {
            cells.add(cell.strip());
        }
        return cells;
    }

    static int column(List<String> header, String name, Path csvFile, String key)
            throws ReportException {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new ReportException(csvFile + ": no column '" + name + "' (" + key + "); the header has " + header);
        }
        return i;
    }

    /** Parses a coordinate; empty, NaN and infinities (also Python's "nan", "inf") become NaN or ±∞. */
    static double number(String cell, Path csvFile, int lineNo, String column) throws ReportException {
        if (cell.isEmpty()) {
            return Double.NaN;
        }
        switch (cell.toLowerCase(Locale.ROOT)) {
            case "nan", "-nan", "+nan":
                return Double.NaN;
            case "inf", "+inf", "infinity", "+infinity":
                return Double.POSITIVE_INFINITY;
            case "-inf", "-infinity":
                return Double.NEGATIVE_INFINITY;
            default:
                try {
                    return Double.parseDouble(cell);
                } catch (NumberFormatException e) {
                    throw new ReportException(csvFile + ":" + lineNo + ": column '" + column + "' holds '" + cell
                            + "', not a number");
                }
        }
    }
}
