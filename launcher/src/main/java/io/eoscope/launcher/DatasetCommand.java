package io.eoscope.launcher;

import io.eoscope.curvature.io.AtomicFiles;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.trainer.data.DatasetSource;
import io.eoscope.trainer.data.ImageGrid;
import io.eoscope.trainer.data.Preprocess;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code eos dataset}: writes a training set as a safetensors file, or a PNG grid of its images. */
@Command(name = "dataset", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes the balanced subset a run would train on: as a safetensors dataset file (--out),",
            "and/or as a PNG grid of examples, one column per class (--png; image datasets only)."})
final class DatasetCommand implements Callable<Integer> {

    @Option(names = "--dataset", defaultValue = "synthetic", description = "synthetic, fashion-mnist, cifar10, xor or file (default: ${DEFAULT-VALUE})")
    String dataset;

    @Option(names = "--data-dir", paramLabel = "PATH", description = "dataset directory (fashion-mnist, cifar10) or file (file)")
    Path dataDir;

    @Option(names = "--n", defaultValue = "256", description = "samples N (default: ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--classes", defaultValue = "4", description = "classes C (default: ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--data-seed", defaultValue = "0", description = "seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--preprocess", defaultValue = "none", description = "none, center or standardize, with the statistics "
            + "of the N samples, as eos train --preprocess (--out only: the PNG shows the pixels) (default: ${DEFAULT-VALUE})")
    String preprocess;

    @Option(names = "--out", paramLabel = "FILE", description = "write the dataset as safetensors (x F32, y I64)")
    Path out;

    @Option(names = "--png", paramLabel = "FILE", description = "write a PNG grid, one column per class")
    Path png;

    @Option(names = "--rows", defaultValue = "8", description = "PNG rows (examples per class) (default: ${DEFAULT-VALUE})")
    int rows;

    @Override
    public Integer call() throws InputException {
        if (out == null && png == null) {
            throw new UsageException("give --out FILE, --png FILE or both");
        }
        if (rows < 1 || rows > 1000) {
            throw new UsageException("--rows must be in 1..1000, got " + rows);
        }
        DatasetSource source = UsageException.fromOptions(() -> new DatasetSource(dataset, dataDir, n, classes, seed,
                Preprocess.parse(preprocess)));
        io.eoscope.trainer.run.MemoryEstimate.checkDataset(source); // before anything large is allocated
        LabeledData data = source.loadScaled();
        if (png != null && data.inputWidth() != 784 && data.inputWidth() != 3072) {
            throw new UsageException("--png needs image data (fashion-mnist, cifar10, synthetic: inputs of width 784 or 3072),"
                    + " but the " + dataset + " dataset has inputs of width " + data.inputWidth());
        }
        if (out != null) {
            DatasetFile.write(out, source.preprocess().apply(data), DType.F32);
            System.err.println("eos dataset: wrote " + data.n() + " samples of width " + data.inputWidth() + " to " + out);
        }
        if (png != null) {
            AtomicFiles.write(png, ImageGrid.png(data, classes, rows));
            System.err.println("eos dataset: wrote a " + rows + " × " + classes + " grid of examples to " + png);
        }
        return 0;
    }
}
