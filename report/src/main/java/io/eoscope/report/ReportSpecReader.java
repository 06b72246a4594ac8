package io.eoscope.report;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads {@code report.json} and checks every required key, so rendering never meets a null. */
final class ReportSpecReader {
    static final String FILE_NAME = "report.json";
    private static final Pattern FIGURE_ID = Pattern.compile("[A-Za-z0-9._-]+");

    private final Path file;

    private ReportSpecReader(Path file) {
        this.file = file;
    }

    /** Reads and validates {@code dir/report.json}. */
    static ReportSpec read(Path dir) throws IOException, ReportException {
        return new ReportSpecReader(dir.resolve(FILE_NAME)).read();
    }

    private ReportSpec read() throws IOException, ReportException {
        ReportSpec spec;
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            spec = new Gson().fromJson(in, ReportSpec.class);
        } catch (NoSuchFileException e) {
            throw new ReportException(file + ": no such file");
        } catch (JsonParseException e) {
            throw new ReportException(file + ": not a valid report description: " + e.getMessage(), e);
        }
        if (spec == null) {
            throw new ReportException(file + ": empty");
        }
        validate(spec);
        return spec;
    }

    private void validate(ReportSpec spec) throws ReportException {
        require(spec.title(), "title");
        require(spec.claims(), "claims");
        require(spec.sections(), "sections");
        require(spec.configuration(), "configuration");
        require(spec.versions(), "versions");
        for (Map.Entry<String, String> e : spec.versions().entrySet()) {
            require(e.getValue(), "versions." + e.getKey());
        }
        for (int i = 0; i < spec.claims().size(); i++) {
            ReportSpec.Claim c = spec.claims().get(i);
            String key = "claims[" + i + "]";
            require(c, key);
            require(c.claim(), key + ".claim");
            require(c.paper(), key + ".paper");
            require(c.measured(), key + ".measured");
            require(c.verdict(), key + ".verdict");
            if (!ReportSpec.VERDICTS.contains(c.verdict())) {
                throw fail(key + ".verdict", "is \"" + c.verdict() + "\", expected one of " + ReportSpec.VERDICTS);
            }
        }
        Set<String> sectionIds = new HashSet<>();
        Set<String> figureIds = new HashSet<>();
        for (int i = 0; i < spec.sections().size(); i++) {
            ReportSpec.Section s = spec.sections().get(i);
            String key = "sections[" + i + "]";
            require(s, key);
            require(s.id(), key + ".id");
            require(s.title(), key + ".title");
            if (!sectionIds.add(s.id())) {
                throw fail(key + ".id", "\"" + s.id() + "\" is used by an earlier section");
            }
            validateFigures(s.figures(), key, figureIds);
            validateHeatmaps(s.heatmaps(), key, figureIds);
            validateTables(s.tables(), key);
            List<ReportSpec.Image> images = orEmpty(s.images());
            for (int j = 0; j < images.size(); j++) {
                String ik = key + ".images[" + j + "]";
                require(images.get(j), ik);
                require(images.get(j).file(), ik + ".file");
            }
        }
    }

    private void validateFigures(List<ReportSpec.Figure> figures, String sectionKey, Set<String> ids)
            throws ReportException {
        List<ReportSpec.Figure> list = orEmpty(figures);
        for (int j = 0; j < list.size(); j++) {
            ReportSpec.Figure f = list.get(j);
            String key = sectionKey + ".figures[" + j + "]";
            require(f, key);
            validateId(f.id(), key, ids);
            require(f.title(), key + ".title");
            require(f.csv(), key + ".csv");
            require(f.x(), key + ".x");
            require(f.y(), key + ".y");
            validateHLines(f.hlines(), key);
        }
    }

    private void validateHeatmaps(List<ReportSpec.Heatmap> heatmaps, String sectionKey, Set<String> ids)
            throws ReportException {
        List<ReportSpec.Heatmap> list = orEmpty(heatmaps);
        for (int j = 0; j < list.size(); j++) {
            ReportSpec.Heatmap h = list.get(j);
            String key = sectionKey + ".heatmaps[" + j + "]";
            require(h, key);
            validateId(h.id(), key, ids);
            require(h.title(), key + ".title");
            require(h.csv(), key + ".csv");
            require(h.x(), key + ".x");
            List<ReportSpec.Line> lines = orEmpty(h.lines());
            for (int k = 0; k < lines.size(); k++) {
                String lk = key + ".lines[" + k + "]";
                require(lines.get(k), lk);
                require(lines.get(k).csv(), lk + ".csv");
                require(lines.get(k).x(), lk + ".x");
                require(lines.get(k).y(), lk + ".y");
                require(lines.get(k).label(), lk + ".label");
            }
            validateHLines(h.hlines(), key);
        }
    }

    /** A figure's id: present, of the allowed characters, and not used by an earlier figure or heatmap. */
    private void validateId(String id, String key, Set<String> ids) throws ReportException {
        require(id, key + ".id");
        if (!FIGURE_ID.matcher(id).matches()) {
            throw fail(key + ".id", "\"" + id + "\" may hold only letters, digits, '.', '_' and '-'");
        }
        if (!ids.add(id)) {
            throw fail(key + ".id", "\"" + id + "\" is used by an earlier figure");
        }
    }

    /** The horizontal lines of a figure or heatmap: each with a finite y and a label. */
    private void validateHLines(List<ReportSpec.HLine> lines, String key) throws ReportException {
        List<ReportSpec.HLine> hlines = orEmpty(lines);
        for (int k = 0; k < hlines.size(); k++) {
            String hk = key + ".hlines[" + k + "]";
            require(hlines.get(k), hk);
            require(hlines.get(k).y(), hk + ".y");
            require(hlines.get(k).label(), hk + ".label");
            if (!Double.isFinite(hlines.get(k).y())) {
                throw fail(hk + ".y", "is not finite");
            }
        }
    }

    private void validateTables(List<ReportSpec.Table> tables, String sectionKey) throws ReportException {
        List<ReportSpec.Table> list = orEmpty(tables);
        for (int j = 0; j < list.size(); j++) {
            ReportSpec.Table t = list.get(j);
            String key = sectionKey + ".tables[" + j + "]";
            require(t, key);
            require(t.columns(), key + ".columns");
            require(t.rows(), key + ".rows");
            for (int r = 0; r < t.rows().size(); r++) {
                List<String> row = t.rows().get(r);
                require(row, key + ".rows[" + r + "]");
                if (row.size() != t.columns().size()) {
                    throw fail(key + ".rows[" + r + "]",
                            "has " + row.size() + " cells but the table has " + t.columns().size() + " columns");
                }
            }
        }
    }

    static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private void require(Object value, String key) throws ReportException {
        if (value == null) {
            throw fail(key, "missing required key");
        }
    }

    private ReportException fail(String key, String problem) {
        return new ReportException(file + ": " + key + ": " + problem);
    }
}
