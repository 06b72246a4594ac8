package io.eoscope.report;

import io.eoscope.curvature.spectrum.DensityGrid;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws a {@link ReportSpec.Heatmap} with Java2D (the pinned xchart's HeatMapChart takes categories, not
 * a numeric eigenvalue axis, and cannot draw curves over the map): x across, the grid coordinate u upwards
 * with tick labels in λ = c·sinh(u ln 10), the density as colour. The colour scale is logarithmic over
 * {@value #DECADES} decades below the figure's largest density (viridis, dark to bright); a cell below
 * that floor keeps the white background, so white means "no spectral mass to speak of", never "small but
 * drawn". Curves and reference lines are mapped through u(λ) = asinh(λ/c)/ln 10 and drawn over the map
 * with a white halo so that they stay visible on dark and bright cells alike. Same size and fonts as
 * {@link FigurePlotter}.
 */
final class HeatmapPlotter {
    /** The decades of density the colour scale spans below the figure's largest value. */
    static final int DECADES = 4;
    /** The background, also the colour of cells below the scale's floor. */
    static final Color BACKGROUND = Color.WHITE;
    /** viridis at 0, 0.1, …, 1 (matplotlib's): perceptually uniform and readable with colour-vision deficiencies. */
    private static final int[] VIRIDIS = {0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c, 0x22a884,
        0x44bf70, 0x7ad151, 0xbddf26, 0xfde725};
    private static final Color[] LINE_COLOURS = {new Color(0xD55E00), new Color(0xCC79A7), new Color(0x0072B2)};
    private static final Color HLINE_COLOUR = Color.BLACK;
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 18);
    private static final Font AXIS = new Font(Font.SANS_SERIF, Font.PLAIN, 15);
    private static final Font TICKS = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Stroke HALO = new BasicStroke(5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    private static final Stroke SOLID = new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    private static final Stroke DASHED = new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
            new float[] {9f, 6f}, 0f);

    private HeatmapPlotter() {}

    /**
     * Where things land in the picture: the plot rectangle in pixels and the x and u ranges it shows.
     *
     * @param left the plot's left edge, pixels
     * @param top its top edge
     * @param right its right edge
     * @param bottom its bottom edge
     * @param xMin x at the left edge
     * @param xMax x at the right edge
     * @param uMin u at the bottom edge
     * @param uMax u at the top edge
     * @param peak the largest density (the top of the colour scale; 0 when there is no mass)
     */
    record Geometry(int left, int top, int right, int bottom, double xMin, double xMax, double uMin, double uMax,
            double peak) {
        double px(double x) {
            return left + (x - xMin) / (xMax - xMin) * (right - left);
        }

        double py(double u) {
            return bottom - (u - uMin) / (uMax - uMin) * (bottom - top);
        }

        /** The density below which a cell is left white. */
        double floor() {
            return peak * Math.pow(10, -DECADES);
        }
    }

    /** Lays out the picture: the u range is cropped to where there is mass or a line, with a margin. */
    static Geometry geometry(HeatmapData data, ReportSpec.Heatmap heatmap) {
        double[] u = data.u();
        List<HeatmapData.Column> cols = data.columns();
        double peak = 0;
        for (HeatmapData.Column c : cols) {
            for (double v : c.density()) {
                peak = Math.max(peak, v);
            }
        }
        double floor = peak * Math.pow(10, -DECADES);
        double gridLo = u[0] - (u[1] - u[0]) / 2;
        double gridHi = u[u.length - 1] + (u[u.length - 1] - u[u.length - 2]) / 2;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (HeatmapData.Column c : cols) {
            for (int i = 0; i < u.length; i++) {
                if (peak > 0 && c.density()[i] >= floor) {
                    lo = Math.min(lo, cellLow(u, i));
                    hi = Math.max(hi, cellHigh(u, i));
                }
            }
        }
        double xLo = Double.POSITIVE_INFINITY;
        double xHi = Double.NEGATIVE_INFINITY;
        for (HeatmapData.Curve c : data.curves()) {
            for (int k = 0; k < c.x().length; k++) {
                if (Double.isFinite(c.x()[k]) && Double.isFinite(c.lambda()[k])) {
                    double at = clamp(DensityGrid.u(c.lambda()[k]), gridLo, gridHi);
                    lo = Math.min(lo, at);
                    hi = Math.max(hi, at);
                    xLo = Math.min(xLo, c.x()[k]);
                    xHi = Math.max(xHi, c.x()[k]);
                }
            }
        }
        for (ReportSpec.HLine h : ReportSpecReader.orEmpty(heatmap.hlines())) {
            double at = clamp(DensityGrid.u(h.y()), gridLo, gridHi);
            lo = Math.min(lo, at);
            hi = Math.max(hi, at);
        }
        if (!(lo < hi)) { // nothing to crop to, or a single line: the whole grid
            lo = gridLo;
            hi = gridHi;
        }
        double pad = 0.04 * (hi - lo) + 0.1;
        lo = Math.max(gridLo, lo - pad);
        hi = Math.min(gridHi, hi + pad);
        if (!cols.isEmpty()) {
            xLo = Math.min(xLo, columnLow(cols, 0, xLo, xHi));
            xHi = Math.max(xHi, columnHigh(cols, cols.size() - 1, xLo, xHi));
        }
        if (!(xLo < xHi)) {
            double mid = Double.isFinite(xLo) ? xLo : 0;
            xLo = mid - 0.5;
            xHi = mid + 0.5;
        }
        int width = FigurePlotter.WIDTH;
        int height = FigurePlotter.HEIGHT;
        return new Geometry(92, 48, width - 150, height - 100, xLo, xHi, lo, hi, peak);
    }

    /** Renders the heatmap as PNG bytes of {@link FigurePlotter#WIDTH}×{@link FigurePlotter#HEIGHT} pixels. */
    static byte[] png(ReportSpec.Heatmap heatmap, HeatmapData data) throws IOException {
        Geometry g = geometry(data, heatmap);
        BufferedImage image = new BufferedImage(FigurePlotter.WIDTH, FigurePlotter.HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D gr = image.createGraphics();
        try {
            gr.setColor(BACKGROUND);
            gr.fillRect(0, 0, image.getWidth(), image.getHeight());
            gr.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            cells(gr, g, data);
            gr.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            lines(gr, g, heatmap, data);
            frame(gr, g, heatmap);
            colourBar(gr, g);
            legend(gr, g, heatmap, data);
        } finally {
            gr.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    /** The colour of a density at or above the floor. */
    static Color colour(double density, double peak) {
        double f = (Math.log10(density) - Math.log10(peak)) / DECADES + 1;
        return viridis(clamp(f, 0, 1));
    }

    static Color viridis(double f) {
        double at = f * (VIRIDIS.length - 1);
        int i = (int) Math.min(VIRIDIS.length - 2, Math.floor(at));
        double w = at - i;
        int a = VIRIDIS[i];
        int b = VIRIDIS[i + 1];
        return new Color(mix(a >> 16, b >> 16, w), mix(a >> 8, b >> 8, w), mix(a, b, w));
    }

    private static int mix(int a, int b, double w) {
        return (int) Math.round((a & 0xFF) * (1 - w) + (b & 0xFF) * w);
    }

    private static void cells(Graphics2D gr, Geometry g, HeatmapData data) {
        if (g.peak() <= 0) {
            return;
        }
        double[] u = data.u();
        List<HeatmapData.Column> cols = data.columns();
        gr.setClip(g.left(), g.top(), g.right() - g.left(), g.bottom() - g.top());
        double floor = g.floor();
        for (int j = 0; j < cols.size(); j++) {
            int x0 = (int) Math.round(g.px(columnLow(cols, j, g.xMin(), g.xMax())));
            int x1 = (int) Math.round(g.px(columnHigh(cols, j, g.xMin(), g.xMax())));
            double[] d = cols.get(j).density();
            for (int i = 0; i < u.length; i++) {
                if (d[i] < floor) {
                    continue;
                }
                int y0 = (int) Math.round(g.py(cellHigh(u, i)));
                int y1 = (int) Math.round(g.py(cellLow(u, i)));
                gr.setColor(colour(d[i], g.peak()));
                gr.fillRect(x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0));
            }
        }
        gr.setClip(null);
    }

    private static void lines(Graphics2D gr, Geometry g, ReportSpec.Heatmap heatmap, HeatmapData data) {
        gr.setClip(g.left(), g.top(), g.right() - g.left(), g.bottom() - g.top());
        for (ReportSpec.HLine h : ReportSpecReader.orEmpty(heatmap.hlines())) {
            double y = g.py(DensityGrid.u(h.y()));
            Path2D.Double p = new Path2D.Double();
            p.moveTo(g.left(), y);
            p.lineTo(g.right(), y);
            stroke(gr, p, HLINE_COLOUR, DASHED);
        }
        List<HeatmapData.Curve> curves = data.curves();
        for (int k = 0; k < curves.size(); k++) {
            HeatmapData.Curve c = curves.get(k);
            Path2D.Double p = new Path2D.Double();
            boolean open = false;
            int points = 0;
            for (int i = 0; i < c.x().length; i++) {
                if (!Double.isFinite(c.x()[i]) || !Double.isFinite(c.lambda()[i])) {
                    open = false; // a gap breaks the curve rather than bridging it
                    continue;
                }
                double x = g.px(c.x()[i]);
                double y = g.py(DensityGrid.u(c.lambda()[i]));
                if (open) {
                    p.lineTo(x, y);
                } else {
                    p.moveTo(x, y);
                    p.lineTo(x, y); // a lone point still shows as a dot (round caps)
                    open = true;
                }
                points++;
            }
            if (points > 0) {
                stroke(gr, p, LINE_COLOURS[k % LINE_COLOURS.length], SOLID);
            }
        }
        gr.setClip(null);
    }

    private static void stroke(Graphics2D gr, Path2D p, Color colour, Stroke stroke) {
        gr.setColor(Color.WHITE);
        gr.setStroke(HALO);
        gr.draw(p);
        gr.setColor(colour);
        gr.setStroke(stroke);
        gr.draw(p);
    }

    private static void frame(Graphics2D gr, Geometry g, ReportSpec.Heatmap heatmap) {
        gr.setStroke(new BasicStroke(1f));
        gr.setColor(new Color(0x999999));
        gr.drawRect(g.left(), g.top(), g.right() - g.left(), g.bottom() - g.top());
        gr.setColor(Color.BLACK);
        gr.setFont(TITLE);
        FontMetrics fm = gr.getFontMetrics();
        gr.drawString(heatmap.title(), (FigurePlotter.WIDTH - fm.stringWidth(heatmap.title())) / 2, 12 + fm.getAscent());
        // λ ticks on the u axis
        gr.setFont(TICKS);
        fm = gr.getFontMetrics();
        double lastY = Double.POSITIVE_INFINITY;
        for (double lambda : lambdaTicks(g.uMin(), g.uMax())) {
            double y = g.py(DensityGrid.u(lambda));
            if (lastY - y < fm.getHeight()) {
                continue; // would overlap the label below
            }
            lastY = y;
            int iy = (int) Math.round(y);
            gr.drawLine(g.left() - 5, iy, g.left(), iy);
            String label = lambdaLabel(lambda);
            gr.drawString(label, g.left() - 8 - fm.stringWidth(label), iy + fm.getAscent() / 2 - 1);
        }
        // x ticks
        DecimalFormat format = new DecimalFormat(FigurePlotter.decimalPattern(g.xMax() - g.xMin(),
                Math.max(Math.abs(g.xMin()), Math.abs(g.xMax()))), DecimalFormatSymbols.getInstance(Locale.ROOT));
        for (double x : niceTicks(g.xMin(), g.xMax())) {
            int ix = (int) Math.round(g.px(x));
            gr.drawLine(ix, g.bottom(), ix, g.bottom() + 5);
            String label = format.format(x);
            gr.drawString(label, ix - fm.stringWidth(label) / 2, g.bottom() + 8 + fm.getAscent());
        }
        gr.setFont(AXIS);
        fm = gr.getFontMetrics();
        String xTitle = heatmap.xLabel() != null ? heatmap.xLabel() : heatmap.x();
        gr.drawString(xTitle, (g.left() + g.right() - fm.stringWidth(xTitle)) / 2, g.bottom() + 30 + fm.getAscent());
        vertical(gr, "eigenvalue λ (symmetric-log axis)", 18, (g.top() + g.bottom()) / 2);
    }

    private static void colourBar(Graphics2D gr, Geometry g) {
        int x = g.right() + 22;
        int w = 16;
        gr.setFont(TICKS);
        FontMetrics fm = gr.getFontMetrics();
        if (g.peak() > 0) {
            for (int y = g.top(); y <= g.bottom(); y++) {
                gr.setColor(viridis((g.bottom() - y) / (double) (g.bottom() - g.top())));
                gr.drawLine(x, y, x + w, y);
            }
            gr.setColor(Color.BLACK);
            double top = Math.log10(g.peak());
            for (int e = (int) Math.ceil(top - DECADES); e <= Math.floor(top); e++) {
                int y = (int) Math.round(g.bottom() - (e - (top - DECADES)) / DECADES * (g.bottom() - g.top()));
                gr.drawLine(x + w, y, x + w + 4, y);
                gr.drawString(power(e), x + w + 7, y + fm.getAscent() / 2 - 1);
            }
        }
        gr.setColor(new Color(0x999999));
        gr.drawRect(x, g.top(), w, g.bottom() - g.top());
        gr.setColor(Color.BLACK);
        gr.setFont(AXIS);
        vertical(gr, "density per unit u (log scale)", FigurePlotter.WIDTH - 14, (g.top() + g.bottom()) / 2);
    }

    private static void legend(Graphics2D gr, Geometry g, ReportSpec.Heatmap heatmap, HeatmapData data) {
        gr.setFont(TICKS);
        FontMetrics fm = gr.getFontMetrics();
        int x = g.left();
        int y = FigurePlotter.HEIGHT - 16;
        List<Object[]> entries = new ArrayList<>();
        for (int k = 0; k < data.curves().size(); k++) {
            entries.add(new Object[] {data.curves().get(k).label(), LINE_COLOURS[k % LINE_COLOURS.length], SOLID});
        }
        for (ReportSpec.HLine h : ReportSpecReader.orEmpty(heatmap.hlines())) {
            entries.add(new Object[] {h.label(), HLINE_COLOUR, DASHED});
        }
        entries.add(new Object[] {"white: below 1e-" + DECADES + " of the peak density", null, null});
        for (Object[] e : entries) {
            if (e[1] != null) {
                gr.setColor((Color) e[1]);
                gr.setStroke((Stroke) e[2]);
                gr.drawLine(x, y - 4, x + 28, y - 4);
                x += 34;
            }
            gr.setColor(Color.BLACK);
            gr.drawString((String) e[0], x, y);
            x += fm.stringWidth((String) e[0]) + 22;
        }
    }

    private static void vertical(Graphics2D gr, String text, int x, int centreY) {
        FontMetrics fm = gr.getFontMetrics();
        AffineTransform saved = gr.getTransform();
        gr.rotate(-Math.PI / 2, x, centreY);
        gr.drawString(text, x - fm.stringWidth(text) / 2, centreY + fm.getAscent() / 2);
        gr.setTransform(saved);
    }

    /**
     * The λ values labelled on the u axis within [uMin, uMax]: 0 and ±10^k (k ≥ −3, where u is no longer
     * nearly linear), with 2·10^k and 5·10^k added when fewer than three of those fall in the range.
     */
    static List<Double> lambdaTicks(double uMin, double uMax) {
        List<Double> ticks = ticks(uMin, uMax, new double[] {1});
        if (ticks.size() < 3) {
            ticks = ticks(uMin, uMax, new double[] {1, 2, 5});
        }
        return ticks;
    }

    private static List<Double> ticks(double uMin, double uMax, double[] mantissas) {
        List<Double> all = new ArrayList<>();
        for (int k = 3; k >= -3; k--) {
            for (int m = mantissas.length - 1; m >= 0; m--) {
                all.add(-mantissas[m] * Math.pow(10, k));
            }
        }
        all.add(0.0);
        for (int k = -3; k <= 3; k++) {
            for (double m : mantissas) {
                all.add(m * Math.pow(10, k));
            }
        }
        List<Double> in = new ArrayList<>();
        for (double l : all) {
            double u = DensityGrid.u(l);
            if (u >= uMin && u <= uMax) {
                in.add(l);
            }
        }
        return in;
    }

    /** λ as a short label: 0.001, 0.5, 20, 1000, with a true minus sign. */
    static String lambdaLabel(double lambda) {
        String s = new BigDecimal(Double.toString(Math.abs(lambda))).stripTrailingZeros().toPlainString();
        return lambda < 0 ? "\u2212" + s : s;
    }

    private static String power(int e) {
        return e >= -2 && e <= 3 ? lambdaLabel(Math.pow(10, e)) : "1e" + e;
    }

    /** Ticks at 1, 2 or 5 × a power of ten, about six over the range. */
    static List<Double> niceTicks(double lo, double hi) {
        double raw = (hi - lo) / 6;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = mag;
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * mag >= raw) {
                step = m * mag;
                break;
            }
        }
        List<Double> ticks = new ArrayList<>();
        for (double t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) {
            ticks.add(Math.abs(t) < 1e-12 * step ? 0 : t);
        }
        return ticks;
    }

    private static double cellLow(double[] u, int i) {
        return i == 0 ? u[0] - (u[1] - u[0]) / 2 : (u[i - 1] + u[i]) / 2;
    }

    private static double cellHigh(double[] u, int i) {
        return i == u.length - 1 ? u[i] + (u[i] - u[i - 1]) / 2 : (u[i] + u[i + 1]) / 2;
    }

    /** A column spans half-way to its neighbours; an end column as far out as inwards; a lone one 2% of the range. */
    private static double columnLow(List<HeatmapData.Column> cols, int j, double xLo, double xHi) {
        double x = cols.get(j).x();
        if (j > 0) {
            return (cols.get(j - 1).x() + x) / 2;
        }
        return cols.size() > 1 ? x - (cols.get(1).x() - x) / 2 : x - halfLone(xLo, xHi);
    }

    private static double columnHigh(List<HeatmapData.Column> cols, int j, double xLo, double xHi) {
        double x = cols.get(j).x();
        if (j < cols.size() - 1) {
            return (x + cols.get(j + 1).x()) / 2;
        }
        return cols.size() > 1 ? x + (x - cols.get(j - 1).x()) / 2 : x + halfLone(xLo, xHi);
    }

    private static double halfLone(double xLo, double xHi) {
        return xLo < xHi && Double.isFinite(xHi - xLo) ? 0.02 * (xHi - xLo) : 0.5;
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
