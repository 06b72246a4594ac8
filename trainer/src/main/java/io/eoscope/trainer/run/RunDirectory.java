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
    public static final String HEADER = "step,time,loss,accuracy,step_size,sharpness,products,stability,stability_threshold,stability_ratio,epoch";
    /** The columns of a trajectory written before the optimizers had their own edge (read on --resume). */
    private static final String HEADER_BEFORE_OPTIMIZERS = "step,time,loss,accuracy,step_size,sharpness,products";
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
                    if (line.isBlank() || line.equals(HEADER) || line.equals(HEADER_BEFORE_OPTIMIZERS)) {
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
        List<StepRecord> records = new ArrayList<>();
        List<String> rows = new ArrayList<>();
        for (String row : keep) {
            StepRecord r = parse(row, csv);
            records.add(r);
            // a row as written is kept as it is; the rows of an older trajectory gain the new columns (empty)
            rows.add(row.split(",", -1).length == 7 ? format(r) : row);
        }
        d.openTrajectory(rows, true);
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
            boolean current = f.length == 11;
            if (f.length != 7 && !current) {
                throw new NumberFormatException(f.length + " columns");
            }
            return new StepRecord(Long.parseLong(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                    Double.parseDouble(f[3]), optional(f[4]), optional(f[5]), Long.parseLong(f[6]),
                    current ? optional(f[7]) : Double.NaN, current ? optional(f[8]) : Double.NaN,
                    current && !f[10].isEmpty() ? Long.parseLong(f[10]) : -1);
        } catch (NumberFormatException e) {
            throw new InputException(csv + ": row '" + row + "' is not a trajectory row (" + e.getMessage() + ")");
        }
    }

    private static double optional(String field) {
        return field.isEmpty() ? Double.NaN : Double.parseDouble(field);
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
            trajectory.write(format(r));
            trajectory.write('\n');
            trajectory.flush();
        } catch (IOException e) {
            throw new RunFilesException(dir.resolve("trajectory.csv") + ": cannot be written (" + reason(e) + ")", e);
        }
    }

    /** A trajectory row, without its line end: absent values (NaN, epoch −1) are empty. */
    static String format(StepRecord r) {
        return String.format(Locale.ROOT, "%d,%s,%s,%s,%s,%s,%d,%s,%s,%s,%s", r.step(), num(r.time()), num(r.loss()),
                num(r.accuracy()), num(r.stepSize()), num(r.sharpness()), r.products(), num(r.stability()),
                num(r.stabilityThreshold()), num(r.stabilityRatio()), r.epoch() < 0 ? "" : Long.toString(r.epoch()));
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
        return snapshot(model, precision, step, time, run, eigenvectors, Map.of(), Map.of());
    }

    /**
     * Writes a snapshot of θ at {@code step} with more tensors (the optimizer's state) and metadata (its step count),
     * and the eigenvectors beside it, if any.
     *
     * @throws RunFilesException when it cannot be written
     */
    public Path snapshot(MlpModel model, DType precision, long step, double time, String run, NDArray eigenvectors,
            Map<String, Tensor> state, Map<String, String> stateMetadata) {
        Path p = dir.resolve("snapshots").resolve(String.format(Locale.ROOT, "step-%08d.safetensors", step));
        try {
            if (eigenvectors != null) {
                long[] shape = eigenvectors.getShape().getShape();
                double[] values = HostArrays.download(eigenvectors);
                Safetensors.write(eigenFile(p), new SafetensorsFile(Map.of("vectors", Tensor.ofDoubles(precision, shape, values)),
                        Map.of("run", run, "step", Long.toString(step))));
            }
            write(p, model, precision, step, time, run, state, stateMetadata);
        } catch (InputException e) {
            throw new RunFilesException(e.getMessage(), e);
        }
        return p;
    }

    private void write(Path p, MlpModel model, DType precision, long step, double time, String run,
            Map<String, Tensor> state, Map<String, String> stateMetadata) throws InputException {
        Map<String, String> meta = new LinkedHashMap<>(model.metadata());
        meta.putAll(stateMetadata);
        SafetensorsFile file = ModelFile.toSafetensors(stamped(model.withMetadata(meta), run, step, time), precision);
        Map<String, Tensor> tensors = new LinkedHashMap<>(file.tensors());
        tensors.putAll(state);
        Safetensors.write(p, new SafetensorsFile(tensors, file.metadata()));
    }

    /**
     * Writes final.safetensors.
     *
     * @throws RunFilesException when it cannot be written
     */
    public void writeFinal(MlpModel model, DType precision, long step, double time, String run) {
        writeFinal(model, precision, step, time, run, Map.of(), Map.of());
    }

    /**
     * Writes final.safetensors with the optimizer's state, as a snapshot.
     *
     * @throws RunFilesException when it cannot be written
     */
    public void writeFinal(MlpModel model, DType precision, long step, double time, String run, Map<String, Tensor> state,
            Map<String, String> stateMetadata) {
        try {
            write(dir.resolve("final.safetensors"), model, precision, step, time, run, state, stateMetadata);
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
