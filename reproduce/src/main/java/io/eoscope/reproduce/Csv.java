package io.eoscope.reproduce;

import io.eoscope.curvature.io.AtomicFiles;
import io.eoscope.curvature.io.InputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Long-format CSV files (header row, comma separated, no quoting), written atomically. Numbers are
 * written with full precision ({@link Double#toString}) so that what a reader refits is what was shown;
 * a missing value is written as {@code NaN}.
 */
final class Csv {
    private final List<String> columns;
    private final List<String[]> rows = new ArrayList<>();

    Csv(String... columns) {
        this.columns = List.of(columns);
    }

    List<String> columns() {
        return columns;
    }

    /** Appends a row; doubles are written as {@link Double#toString}, anything else as text (no commas). */
    Csv row(Object... values) {
        if (values.length != columns.size()) {
            throw new IllegalStateException("a row of " + values.length + " values for " + columns);
        }
        String[] r = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            Object v = values[i];
            String s = v instanceof Double d ? Double.toString(d) : String.valueOf(v);
            if (s.contains(",") || s.contains("\n")) {
                throw new IllegalStateException("a CSV value with a comma or newline: " + s);
            }
            r[i] = s;
        }
        rows.add(r);
        return this;
    }

    int size() {
        return rows.size();
    }

    List<String[]> rows() {
        return rows;
    }

    /** The column {@code name} of every row as numbers. */
    double[] numbers(String name) {
        int c = index(name);
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Double.parseDouble(rows.get(i)[c]);
        }
        return out;
    }

    int index(String name) {
        int c = columns.indexOf(name);
        if (c < 0) {
            throw new IllegalArgumentException("no column '" + name + "' in " + columns);
        }
        return c;
    }

    void write(Path file) throws InputException {
        StringBuilder b = new StringBuilder(String.join(",", columns)).append('\n');
        for (String[] r : rows) {
            b.append(String.join(",", r)).append('\n');
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new InputException(file.getParent() + ": cannot create (" + e.getMessage() + ")");
        }
        AtomicFiles.write(file, b.toString().getBytes(StandardCharsets.UTF_8));
    }

    static Csv read(Path file) throws InputException {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                throw new InputException(file + ": empty CSV");
            }
            Csv csv = new Csv(lines.get(0).split(",", -1));
            for (String line : lines.subList(1, lines.size())) {
                if (!line.isBlank()) {
                    String[] parts = line.split(",", -1);
                    if (parts.length != csv.columns.size()) {
                        throw new InputException(file + ": a row of " + parts.length + " fields, expected " + csv.columns.size());
                    }
                    csv.rows.add(parts);
                }
            }
            return csv;
        } catch (IOException e) {
            throw new InputException(file + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }
}
