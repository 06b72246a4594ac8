package io.eoscope.trainer.data;

import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.net.LabeledData;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST from the Debian package {@code dataset-fashion-mnist}: gzipped big-endian IDX files,
 * pixels as <em>unsigned</em> bytes, scaled to [0, 1] and flattened (784 values).
 */
public final class FashionMnist {
    /** Where the Debian package puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    private FashionMnist() {}

    /** The training split (60,000 images) or the test split (10,000). */
    public static LabeledData read(Path dir, boolean train) throws InputException {
        String prefix = train ? "train" : "t10k";
        Path images = dir.resolve(prefix + "-images-idx3-ubyte.gz");
        Path labels = dir.resolve(prefix + "-labels-idx1-ubyte.gz");
        for (Path p : new Path[] {images, labels}) {
            if (!Files.isRegularFile(p)) {
                throw new InputException(p + ": not found; install the Debian package dataset-fashion-mnist"
                        + " (apt-get install dataset-fashion-mnist) or pass --data-dir with the IDX files");
            }
        }
        int[][] header = new int[1][];
        byte[] pixels = readIdx(images, 0x00000803, header);
        int n = header[0][0];
        int width = header[0][1] * header[0][2];
        byte[] y = readIdx(labels, 0x00000801, header);
        if (header[0][0] != n) {
            throw new InputException(labels + ": holds " + header[0][0] + " labels but the images file holds " + n);
        }
        double[] x = new double[n * width];
        for (int i = 0; i < x.length; i++) {
            x[i] = Byte.toUnsignedInt(pixels[i]) / 255.0;
        }
        int[] ys = new int[n];
        for (int i = 0; i < n; i++) {
            ys[i] = Byte.toUnsignedInt(y[i]);
        }
        return new LabeledData(n, width, x, ys);
    }

    /** Reads a gzipped IDX file of unsigned bytes; {@code dims[0]} receives its dimensions. */
    static byte[] readIdx(Path path, int magic, int[][] dims) throws InputException {
        try (InputStream raw = Files.newInputStream(path);
                DataInputStream in = new DataInputStream(new GZIPInputStream(raw, 1 << 16))) {
            int m = in.readInt();
            if (m != magic) {
                throw new InputException(path + ": not an IDX file of unsigned bytes (magic 0x" + Integer.toHexString(m)
                        + ", expected 0x" + Integer.toHexString(magic) + ")");
            }
            int rank = magic & 0xff;
            int[] d = new int[rank];
            long total = 1;
            for (int i = 0; i < rank; i++) {
                d[i] = in.readInt();
                if (d[i] <= 0) {
                    throw new InputException(path + ": dimension " + i + " is " + d[i]);
                }
                total *= d[i];
            }
            if (total > Integer.MAX_VALUE - 16) {
                throw new InputException(path + ": absurd size " + total);
            }
            byte[] data = new byte[(int) total];
            in.readFully(data);
            dims[0] = d;
            return data;
        } catch (EOFException e) {
            throw new InputException(path + ": truncated IDX file");
        } catch (IOException e) {
            throw new InputException(path + ": cannot be read (" + e.getMessage() + ")");
        }
    }
}
