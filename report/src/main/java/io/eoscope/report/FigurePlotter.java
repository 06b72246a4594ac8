package io.eoscope.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Draws one figure as a PNG with xchart. */
final class FigurePlotter {
    /** Width of every figure, in pixels. */
    static final int WIDTH = 900;
    /** Height of every figure, in pixels. */
    static final int HEIGHT = 500;

    /**
     * Okabe-Ito colours (distinguishable with the common colour-vision deficiencies, without the
     * yellow that vanishes on white), then a few darker ones for figures with many series.
     */
    private static final Color[] PALETTE = {
        new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
        new Color(0xE69F00), new Color(0x56B4E9), new Color(0x000000), new Color(0x882255),
        new Color(0x44AA99), new Color(0x999933), new Color(0x332288), new Color(0x888888),
    };

    private static final BasicStroke SOLID = new BasicStroke(2.0f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    /** Lines after the palette's first round repeat its colours, dotted. */
    private static final BasicStroke DOTTED = new BasicStroke(
            2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10f, new float[] {0.5f, 5f}, 0f);
    private static final BasicStroke DASHED = new BasicStroke(
            1.8f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {9f, 6f}, 0f);

    private FigurePlotter() {}

    /** Renders the figure as PNG bytes of {@link #WIDTH}×{@link #HEIGHT} pixels. */
    static byte[] png(ReportSpec.Figure figure, FigureData data) throws IOException {
        XYChart chart = new XYChartBuilder()
                .width(WIDTH)
                .height(HEIGHT)
                .title(figure.title())
                .xAxisTitle(figure.xLabel() != null ? figure.xLabel() : figure.x())
                .yAxisTitle(figure.yLabel() != null ? figure.yLabel() : figure.y())
                .build();
        style(chart, figure, data);

        Set<String> scatter = new HashSet<>(ReportSpecReader.orEmpty(figure.scatter()));
        Set<String> names = new HashSet<>();
        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        int colour = 0;
        for (FigureData.Series s : data.series()) {
            boolean markersOnly = scatter.contains(s.name());
            // lines join the points in file order, so a parametric curve stays one
            double[][] xy = {s.x(), s.y()};
            XYSeries series = chart.addSeries(unique(s.name(), names), xy[0], xy[1]);
            boolean secondRound = colour >= PALETTE.length;
            Color c = PALETTE[colour++ % PALETTE.length];
            series.setLineColor(c);
            series.setMarkerColor(c);
            if (markersOnly) {
                series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                series.setMarker(SeriesMarkers.CIRCLE);
            } else {
                series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                series.setLineStyle(secondRound ? DOTTED : SOLID);
                // a line through one point draws nothing, so a lone point gets a marker
                series.setMarker(xy[0].length == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            }
            for (int i = 0; i < xy[0].length; i++) {
                xMin = Math.min(xMin, xy[0][i]);
                xMax = Math.max(xMax, xy[0][i]);
                yMin = Math.min(yMin, xy[1][i]);
                yMax = Math.max(yMax, xy[1][i]);
            }
        }
        // reference lines span the data's x range, or the axis xchart will draw when that range is a point
        double[] logXRange = Boolean.TRUE.equals(figure.logX()) ? labelledLogRange(xMin, xMax) : null;
        double lineFrom = logXRange != null ? logXRange[0] : xMin == xMax ? xMin - 1 : xMin;
        double lineTo = logXRange != null ? logXRange[1] : xMin == xMax ? xMax + 1 : xMax;
        for (ReportSpec.HLine h : ReportSpecReader.orEmpty(figure.hlines())) {
            if (Boolean.TRUE.equals(figure.logY()) && h.y() <= 0) {
                continue; // cannot be drawn on a logarithmic axis; the caption area says so
            }
            XYSeries line = chart.addSeries(unique(h.label(), names), new double[] {lineFrom, lineTo}, new double[] {h.y(), h.y()});
            Color c = PALETTE[colour++ % PALETTE.length];
            line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            line.setLineColor(c);
            line.setLineStyle(DASHED);
            line.setMarker(SeriesMarkers.NONE);
            yMin = Math.min(yMin, h.y());
            yMax = Math.max(yMax, h.y());
        }
        if (!Boolean.TRUE.equals(figure.logX())) {
            chart.getStyler().setXAxisDecimalPattern(decimalPattern(xMax - xMin, Math.max(Math.abs(xMin), Math.abs(xMax))));
        }
        if (logXRange != null) {
            chart.getStyler().setXAxisMin(logXRange[0]).setXAxisMax(logXRange[1]);
        }
        if (Boolean.TRUE.equals(figure.logY())) {
            double[] range = labelledLogRange(yMin, yMax);
            if (range != null) {
                chart.getStyler().setYAxisMin(range[0]).setYAxisMax(range[1]);
            }
        }
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    /** The horizontal reference lines that a logarithmic y axis cannot show. */
    static List<ReportSpec.HLine> hiddenHLines(ReportSpec.Figure figure) {
        if (!Boolean.TRUE.equals(figure.logY())) {
            return List.of();
        }
        return ReportSpecReader.orEmpty(figure.hlines()).stream().filter(h -> h.y() <= 0).toList();
    }

    private static void style(XYChart chart, ReportSpec.Figure figure, FigureData data) {
        var st = chart.getStyler();
        st.setTheme(new org.knowm.xchart.style.theme.MatlabTheme());
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotBorderColor(new Color(0x999999));
        st.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        st.setChartTitleBoxVisible(false);
        st.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
        st.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        st.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        st.setLegendPosition(Styler.LegendPosition.OutsideE);
        int longest = data.series().stream().mapToInt(x -> x.name().length()).max().orElse(0);
        for (ReportSpec.HLine h : ReportSpecReader.orEmpty(figure.hlines())) {
            longest = Math.max(longest, h.label().length());
        }
        int entries = data.series().size() + ReportSpecReader.orEmpty(figure.hlines()).size();
        if (longest > 30 && entries <= 5) { // a wide legend at the side would squeeze the plot; a tall one below too
            st.setLegendPosition(Styler.LegendPosition.OutsideS);
            st.setLegendLayout(Styler.LegendLayout.Vertical);
        }
        st.setLegendBorderColor(new Color(0xCCCCCC));
        st.setLegendSeriesLineLength(28);
        st.setPlotGridLinesColor(new Color(0xE5E5E5));
        st.setPlotGridLinesStroke(new BasicStroke(1f));
        st.setMarkerSize(8);
        st.setChartPadding(12);
        st.setXAxisLogarithmic(Boolean.TRUE.equals(figure.logX()));
        st.setYAxisLogarithmic(Boolean.TRUE.equals(figure.logY()));
        st.setToolTipsEnabled(false);
    }

    /**
     * xchart labels a logarithmic axis only at powers of ten, so a range holding fewer than two of
     * them would show one tick label or none: widen it to the enclosing power of ten on whichever
     * side costs less, until it holds two. A range that already holds two keeps xchart's own bounds
     * ({@code null}).
     */
    static double[] labelledLogRange(double min, double max) {
        double lo = min;
        double hi = max;
        while (powersOfTenWithin(lo, hi) < 2) {
            double down = Math.pow(10, Math.floor(Math.log10(lo) + 1e-9));
            double up = Math.pow(10, Math.ceil(Math.log10(hi) - 1e-9));
            if (down == lo && up == hi) { // one and the same power of ten
                hi = lo * 10;
            } else if (down == lo || up != hi && Math.log10(up / hi) < Math.log10(lo / down)) {
                hi = up;
            } else {
                lo = down;
            }
        }
        return lo == min && hi == max ? null : new double[] {lo, hi};
    }

    /**
     * A tick label pattern for a linear axis spanning {@code span} with values up to {@code magnitude}.
     * xchart takes the data's own x values as ticks when they are equally spaced, and would print
     * them with every digit (2.0000000000000001); a few decimals below the span's order suffice.
     */
    static String decimalPattern(double span, double magnitude) {
        double scale = span > 0 ? span : magnitude > 0 ? magnitude : 1;
        if (scale < 1e-4 || magnitude >= 1e7) {
            return "0.###E0";
        }
        int decimals = (int) Math.max(0, Math.min(8, 2 - Math.floor(Math.log10(scale))));
        return decimals == 0 ? "0" : "0." + "#".repeat(decimals);
    }

    private static int powersOfTenWithin(double lo, double hi) {
        // a tiny slack so that 0.1 computed as 10^-1 counts as the power of ten it is
        return (int) (Math.floor(Math.log10(hi) + 1e-9) - Math.ceil(Math.log10(lo) - 1e-9)) + 1;
    }

    /** xchart needs distinct series names: a repeated one gets a numbered suffix. */
    private static String unique(String name, Set<String> used) {
        String candidate = name;
        for (int k = 2; !used.add(candidate); k++) {
            candidate = name + " (" + k + ")";
        }
        return candidate;
    }
}
