package io.eoscope.trainer.data;

import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.net.LabeledData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CIFAR-10 in its standard binary layout, from a directory the user gives: files
 * {@code data_batch_1.bin} … {@code data_batch_5.bin} (training) or {@code test_batch.bin}, each a run
 * of records of one label byte and 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue, row-major).
 * Pixels are scaled to [0, 1]; the flattened layout (c, y, x) is kept.
 */
public final class Cifar10 {
    private static final int RECORD = 1 + 3072;

    private Cifar10() {}

    /** The training batches found in {@code dir} (at least one), or the test batch. */
    public static LabeledData read(Path dir, boolean train) throws InputException {
        if (!Files.isDirectory(dir)) {
            throw new InputException(dir + ": not a directory (give --data-dir the folder that holds data_batch_*.bin)");
        }
        List<Path> files = new ArrayList<>();
        if (train) {
            for (int b = 1; b <= 5; b++) {
                Path p = dir.resolve("data_batch_" + b + ".bin");
                if (Files.isRegularFile(p)) {
                    files.add(p);
                }
            }
        } else if (Files.isRegularFile(dir.resolve("test_batch.bin"))) {
            files.add(dir.resolve("test_batch.bin"));
        }
        if (files.isEmpty()) {
            throw new InputException(dir + ": no CIFAR-10 binary batches (" + (train ? "data_batch_1.bin … data_batch_5.bin" : "test_batch.bin")
                    + "); download the 'CIFAR-10 binary version' and unpack it there");
        }
        List<byte[]> blobs = new ArrayList<>();
        int n = 0;
        for (Path p : files) {
            byte[] b;
            try {
                b = Files.readAllBytes(p);
            } catch (IOException e) {
                throw new InputException(p + ": cannot be read (" + e.getMessage() + ")");
            }
            if (b.length == 0 || b.length % RECORD != 0) {
                throw new InputException(p + ": " + b.length + " bytes is not a whole number of 3,073-byte CIFAR-10 records");
            }
            blobs.add(b);
            n += b.length / RECORD;
        }
        double[] x = new double[n * 3072];
        int[] y = new int[n];
        int i = 0;
        for (int f = 0; f < blobs.size(); f++) {
            byte[] b = blobs.get(f);
            for (int r = 0; r < b.length / RECORD; r++, i++) {
                int label = Byte.toUnsignedInt(b[r * RECORD]);
                if (label > 9) {
                    throw new InputException(files.get(f) + ": record " + r + " has label " + label + ", expected 0..9");
                }
                y[i] = label;
                for (int k = 0; k < 3072; k++) {
                    x[i * 3072 + k] = Byte.toUnsignedInt(b[r * RECORD + 1 + k]) / 255.0;
                }
            }
        }
        return new LabeledData(n, 3072, x, y);
    }
}
