package io.eoscope.trainer.data;

import io.eoscope.curvature.net.LabeledData;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** A PNG grid of example images, one column per class (for the synthetic imagery and the report). */
public final class ImageGrid {
    private static final int GAP = 2;
    private static final int SCALE = 2;

    private ImageGrid() {}

    /**
     * The first {@code rows} examples of each class, drawn at twice their size. Inputs of width 3072 are
     * 3×32×32 colour images (channel-major), of width 784 28×28 grey images.
     */
    public static byte[] png(LabeledData data, int classes, int rows) {
        int side;
        boolean colour;
        if (data.inputWidth() == 3072) {
            side = 32;
            colour = true;
        } else if (data.inputWidth() == 784) {
            side = 28;
            colour = false;
        } else {
            throw new IllegalArgumentException("a PNG grid needs image data (width 3072 or 784), not width " + data.inputWidth());
        }
        int cell = side * SCALE + GAP;
        BufferedImage img = new BufferedImage(classes * cell + GAP, rows * cell + GAP, BufferedImage.TYPE_INT_RGB);
        int[] filled = new int[classes];
        for (int i = 0; i < data.n(); i++) {
            int c = data.y()[i];
            if (c >= classes || filled[c] >= rows) {
                continue;
            }
            int ox = GAP + c * cell;
            int oy = GAP + filled[c]++ * cell;
            for (int y = 0; y < side * SCALE; y++) {
                for (int x = 0; x < side * SCALE; x++) {
                    int p = (y / SCALE) * side + x / SCALE;
                    int base = i * data.inputWidth();
                    int r = level(data.x()[base + p]);
                    int g = colour ? level(data.x()[base + side * side + p]) : r;
                    int b = colour ? level(data.x()[base + 2 * side * side + p]) : r;
                    img.setRGB(ox + x, oy + y, (r << 16) | (g << 8) | b);
                }
            }
        }
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int level(double v) {
        return (int) Math.round(255 * Math.min(1, Math.max(0, v)));
    }
}
