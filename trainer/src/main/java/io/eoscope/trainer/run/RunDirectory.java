package io.eoscope.trainer.run;

import ai.djl.ndarray.NDArray;
import io.eoscope.curvature.io.AtomicFiles;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.io.SafetensorsFile;
import io.eoscope.curvature.io.Tensor;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.trainer.solve.StepRecord;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The files of a run: {@code run.json}, {@code trajectory.csv}, {@code snapshots/step-NNNNNNNN.safetensors}
 * (model files, docs/contracts.md#model-files, with run, step and time in the metadata) each with a
 * {@code .eigen.safetensors} beside it holding the solver's warm-start eigenvectors, and
 * {@code final.safetensors}. Every file but the trajectory (appended row by row) is written atomically.
 */
public final class RunDirectory implements AutoCloseable {
    /** The trajectory's columns. */
    public static final String HEADER = "step,time,loss,accuracy,step_size,sharpness,products";
    private final Path dir;
    private BufferedWriter trajectory;
    private Map<String, String> extraMetadata = Map.of();
    private List<StepRecord> kept = List.of();

    private RunDirectory(Path dir) {
        this.dir = dir;
    }

    /** Creates (or reuses an empty) directory for a new run and writes run.json. */
    public static RunDirectory create(Path dir, RunConfig config) throws InputException {
        if (Files.exists(dir.resolve("run.json"))) {
            throw new InputException(dir + ": already holds a run (use --resume " + dir + " to continue it)");
        }
        byte[] json = config.toJson().getBytes(StandardCharsets.UTF_8); // before anything is created
        WritableDirectory.require("--out", dir);
        try {
            Files.createDirectories(dir.resolve("snapshots"));
        } catch (IOException e) {
            throw new InputException(dir + ": cannot create the run directory (" + WritableDirectory.reason(e) + ")");
        }
        RunDirectory d = new RunDirectory(dir);
        AtomicFiles.write(dir.resolve("run.json"), json);
        d.openTrajectory(List.of(), false);
        return d;
    }

    /** Opens an existing run for --resume: its trajectory is cut back to the rows before {@code fromStep}. */
    public static RunDirectory resume(Path dir, long fromStep) throws InputException {
        RunDirectory d = new RunDirectory(dir);
        Path csv = dir.resolve("trajectory.csv");
        List<String> keep = new ArrayList<>();
        try {
            if (Files.exists(csv)) {
                for (String line : Files.readAllLines(csv, StandardCharsets.UTF_8)) {
                    if (line.isBlank() || line.equals(HEADER)) {
                        continue;
                    }
                    String first = line.substring(0, Math.max(0, line.indexOf(',')));
                    if (first.matches("[0-9]+") && Long.parseLong(first) < fromStep) {
                        keep.add(line);
                    }
                }
            }
        } catch (IOException e) {
            throw new InputException(csv + ": cannot be read (" + e.getMessage() + ")");
        }
        d.openTrajectory(keep, true);
        List<StepRecord> records = new ArrayList<>();
        for (String row : keep) {
            records.add(parse(row, csv));
        }
        d.kept = List.copyOf(records);
        return d;
    }

    /** The trajectory rows a resumed run kept (those before the step it resumes from), in order; empty for a new run. */
    public List<StepRecord> keptRecords() {
        return kept;
    }

    private static StepRecord parse(String row, Path csv) throws InputException {
        String[] f = row.split(",", -1);
        try {
            if (f.length != 7) {
                throw new NumberFormatException(f.length + " columns");
            }
            return new StepRecord(Long.parseLong(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                    Double.parseDouble(f[3]), Double.parseDouble(f[4]), f[5].isEmpty() ? Double.NaN : Double.parseDouble(f[5]),
                    Long.parseLong(f[6]));
        } catch (NumberFormatException e) {
            throw new InputException(csv + ": row '" + row + "' is not a trajectory row (" + e.getMessage() + ")");
        }
    }

    /** Reads run.json of an existing run. */
    public static RunConfig config(Path dir) throws InputException {
        Path p = dir.resolve("run.json");
        try {
            return RunConfig.fromJson(Files.readString(p, StandardCharsets.UTF_8), p.toString());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new InputException(p + ": no such file (is " + dir + " a run directory written by eos train?)");
        } catch (IOException e) {
            throw new InputException(p + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    /** The newest snapshot of a run, or null if it has none. */
    public static Path lastSnapshot(Path dir) throws InputException {
        try (Stream<Path> files = Files.list(dir.resolve("snapshots"))) {
            return files.filter(p -> p.getFileName().toString().matches("step-[0-9]+\\.safetensors"))
                    .max(Path::compareTo).orElse(null);
        } catch (IOException e) {
            throw new InputException(dir.resolve("snapshots") + ": cannot be listed (" + e.getMessage() + ")");
        }
    }

    /** The eigenvector file beside a snapshot. */
    public static Path eigenFile(Path snapshot) {
        String name = snapshot.getFileName().toString().replace(".safetensors", ".eigen.safetensors");
        return snapshot.resolveSibling(name);
    }

    private void openTrajectory(List<String> rows, boolean rewrite) throws InputException {
        Path csv = dir.resolve("trajectory.csv");
        try {
            StringBuilder sb = new StringBuilder(HEADER).append('\n');
            rows.forEach(r -> sb.append(r).append('\n'));
            AtomicFiles.write(csv, sb.toString().getBytes(StandardCharsets.UTF_8));
            trajectory = Files.newBufferedWriter(csv, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new InputException(csv + ": cannot be written (" + e.getMessage() + ")");
        }
    }

    /**
     * Appends one row (flushed, so that a crash loses at most the row being written).
     *
     * @throws RunFilesException when the row cannot be written (a full disk, …)
     */
    public void append(StepRecord r) {
        try {
            trajectory.write(String.format(Locale.ROOT, "%d,%s,%s,%s,%s,%s,%d%n", r.step(), num(r.time()), num(r.loss()),
                    num(r.accuracy()), num(r.stepSize()), num(r.sharpness()), r.products()));
            trajectory.flush();
        } catch (IOException e) {
            throw new RunFilesException(dir.resolve("trajectory.csv") + ": cannot be written (" + reason(e) + ")", e);
        }
    }

    private static String reason(IOException e) {
        return WritableDirectory.reason(e);
    }

    /**
     * Writes a snapshot of θ at {@code step} (and the eigenvectors beside it, if any).
     *
     * @throws RunFilesException when it cannot be written
     */
    public Path snapshot(MlpModel model, DType precision, long step, double time, String run, NDArray eigenvectors) {
        Path p = dir.resolve("snapshots").resolve(String.format(Locale.ROOT, "step-%08d.safetensors", step));
        try {
            if (eigenvectors != null) {
                long[] shape = eigenvectors.getShape().getShape();
                double[] values = HostArrays.download(eigenvectors);
                Safetensors.write(eigenFile(p), new SafetensorsFile(Map.of("vectors", Tensor.ofDoubles(precision, shape, values)),
                        Map.of("run", run, "step", Long.toString(step))));
            }
            ModelFile.write(p, stamped(model, run, step, time), precision);
        } catch (InputException e) {
            throw new RunFilesException(e.getMessage(), e);
        }
        return p;
    }

    /**
     * Writes final.safetensors.
     *
     * @throws RunFilesException when it cannot be written
     */
    public void writeFinal(MlpModel model, DType precision, long step, double time, String run) {
        try {
            ModelFile.write(dir.resolve("final.safetensors"), stamped(model, run, step, time), precision);
        } catch (InputException e) {
            throw new RunFilesException(e.getMessage(), e);
        }
    }

    /** Metadata added to every snapshot and the final model (dataset hash, solver, …). */
    public void setMetadata(Map<String, String> metadata) {
        extraMetadata = Map.copyOf(metadata);
    }

    private MlpModel stamped(MlpModel model, String run, long step, double time) {
        Map<String, String> meta = new LinkedHashMap<>(model.metadata());
        meta.putAll(extraMetadata);
        meta.put("run", run);
        meta.put("step", Long.toString(step));
        meta.put("time", Double.toString(time));
        return model.withMetadata(meta);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    /** The run directory. */
    public Path path() {
        return dir;
    }

    @Override
    public void close() {
        try {
            trajectory.close();
        } catch (IOException e) {
            throw new RunFilesException(dir.resolve("trajectory.csv") + ": cannot be closed (" + reason(e) + ")", e);
        }
    }
}
