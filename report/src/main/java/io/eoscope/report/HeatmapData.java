package io.eoscope.report;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What a {@link ReportSpec.Heatmap} draws: the density columns of its wide CSV file (one per row, sorted
 * by x) on the grid its {@code u=…} headers name, and the curves of its {@code lines}. A row whose x or
 * any density value is empty, non-finite or negative is dropped and counted, never drawn as zero.
 */
final class HeatmapData {
    /** The header prefix of a density column: {@code u=-7.0} is the density at u = −7. */
    static final String U_PREFIX = "u=";

    /** One column of the map: its x and the density at every grid point. */
    record Column(double x, double[] density) {}

    /** A curve drawn over the map: λ against x, NaN where it breaks. */
    record Curve(String label, double[] x, double[] lambda) {}

    private final double[] u;
    private final List<Column> columns;
    private final int omitted;
    private final List<Curve> curves;

    private HeatmapData(double[] u, List<Column> columns, int omitted, List<Curve> curves) {
        this.u = u;
        this.columns = columns;
        this.omitted = omitted;
        this.curves = curves;
    }

    /** The grid points u, increasing. */
    double[] u() {
        return u.clone();
    }

    /** The columns, by increasing x (a repeated x keeps its last row). */
    List<Column> columns() {
        return columns;
    }

    /** Rows dropped for an empty, non-finite or negative value. */
    int omitted() {
        return omitted;
    }

    /** The curves of the heatmap's {@code lines}, in order. */
    List<Curve> curves() {
        return curves;
    }

    /** A sentence for the caption saying which rows were omitted, or "" when none were. */
    String omissionNote() {
        return omitted == 0 ? "" : omitted + (omitted == 1 ? " row" : " rows")
                + " with a missing, non-finite or negative density omitted.";
    }

    /**
     * Reads the heatmap's CSV file and its lines' files.
     *
     * @param csvFile the heatmap's CSV, resolved
     * @param lineFiles each line's CSV, resolved, in the order of {@code heatmap.lines()}
     * @param key the heatmap's key in report.json, for error messages
     * @throws ReportException when a file or a column is missing, a cell is not a number, the file has
     *     fewer than two density columns or they are not in increasing u
     */
    static HeatmapData read(Path csvFile, List<Path> lineFiles, ReportSpec.Heatmap heatmap, String key)
            throws IOException, ReportException {
        List<Column> columns = new ArrayList<>();
        int omitted = 0;
        double[] u;
        try (BufferedReader in = Files.newBufferedReader(csvFile, StandardCharsets.UTF_8)) {
            List<String> header = FigureData.header(in, csvFile, key);
            int xi = FigureData.column(header, heatmap.x(), csvFile, key + ".x");
            List<Integer> uColumns = new ArrayList<>();
            List<Double> uValues = new ArrayList<>();
            for (int i = 0; i < header.size(); i++) {
                if (header.get(i).startsWith(U_PREFIX)) {
                    double value = FigureData.number(header.get(i).substring(U_PREFIX.length()), csvFile, 1, header.get(i));
                    if (!Double.isFinite(value) || !uValues.isEmpty() && value <= uValues.get(uValues.size() - 1)) {
                        throw new ReportException(csvFile + ": the density columns must name finite u values in increasing"
                                + " order; '" + header.get(i) + "' does not (" + key + ".csv)");
                    }
                    uColumns.add(i);
                    uValues.add(value);
                }
            }
            if (uColumns.size() < 2) {
                throw new ReportException(csvFile + ": fewer than two density columns ('" + U_PREFIX + "<u>' in the header)"
                        + " (" + key + ".csv); the header has " + header);
            }
            u = uValues.stream().mapToDouble(Double::doubleValue).toArray();
            double[] grid = u;
            int[] bad = new int[1];
            FigureData.rows(in, csvFile, header.size(), key, (cells, lineNo) -> {
                double x = FigureData.number(cells.get(xi), csvFile, lineNo, heatmap.x());
                double[] density = new double[grid.length];
                boolean ok = Double.isFinite(x);
                for (int i = 0; i < grid.length; i++) {
                    density[i] = FigureData.number(cells.get(uColumns.get(i)), csvFile, lineNo, header.get(uColumns.get(i)));
                    ok &= Double.isFinite(density[i]) && density[i] >= 0;
                }
                if (ok) {
                    columns.add(new Column(x, density));
                } else {
                    bad[0]++;
                }
            });
            omitted = bad[0];
        } catch (NoSuchFileException e) {
            throw new ReportException(csvFile + " (" + key + ".csv): no such file");
        }
        columns.sort(Comparator.comparingDouble(Column::x));
        // a re-delivered record twice in the file: the later one stands, as in the collector
        List<Column> distinct = new ArrayList<>();
        for (Column c : columns) {
            if (!distinct.isEmpty() && distinct.get(distinct.size() - 1).x() == c.x()) {
                distinct.set(distinct.size() - 1, c);
            } else {
                distinct.add(c);
            }
        }
        List<Curve> curves = new ArrayList<>();
        List<ReportSpec.Line> lines = ReportSpecReader.orEmpty(heatmap.lines());
        for (int k = 0; k < lines.size(); k++) {
            curves.add(curve(lineFiles.get(k), lines.get(k), key + ".lines[" + k + "]"));
        }
        return new HeatmapData(u, List.copyOf(distinct), omitted, List.copyOf(curves));
    }

    private static Curve curve(Path file, ReportSpec.Line line, String key) throws IOException, ReportException {
        List<double[]> points = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            List<String> header = FigureData.header(in, file, key);
            int xi = FigureData.column(header, line.x(), file, key + ".x");
            int yi = FigureData.column(header, line.y(), file, key + ".y");
            FigureData.rows(in, file, header.size(), key, (cells, lineNo) -> points.add(new double[] {
                FigureData.number(cells.get(xi), file, lineNo, line.x()), FigureData.number(cells.get(yi), file, lineNo, line.y())}));
        } catch (NoSuchFileException e) {
            throw new ReportException(file + " (" + key + ".csv): no such file");
        }
        double[] x = new double[points.size()];
        double[] y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = points.get(i)[0];
            y[i] = points.get(i)[1];
        }
        return new Curve(line.label(), x, y);
    }
}
