package io.eoscope.reproduce;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.curvature.io.AtomicFiles;
import io.eoscope.curvature.io.InputException;
import io.eoscope.report.ReportException;
import io.eoscope.report.ReportRenderer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * A whole reproduction in one output directory: trains the runs that are not complete there through the
 * {@link Pipeline}, judges the claims and renders {@code report.html}. Resumable: complete runs are kept, and
 * the directory's {@code reproduce.json} refuses a rerun with another preset.
 */
public final class Reproducer {
    private final Preset preset;
    private final Path out;
    private final KafkaAccess kafka;
    private final int analyzers;
    private final PrintStream err;

    /**
     * @param preset the validated preset
     * @param out the output directory (writable)
     * @param kafka the cluster, or none given: a broker in this process, its log in {@code out/kafka}
     * @param analyzers analyzer verticles in the consumer group, at least 1
     * @param err where the progress and the claims table go
     */
    public Reproducer(Preset preset, Path out, KafkaAccess kafka, int analyzers, PrintStream err) {
        if (analyzers < 1) {
            throw new IllegalArgumentException("analyzers must be at least 1, got " + analyzers);
        }
        this.preset = preset;
        this.out = out;
        this.kafka = kafka;
        this.analyzers = analyzers;
        this.err = err;
    }

    /**
     * Runs the reproduction and returns the path of {@code report.html}.
     *
     * @throws InputException when {@code out} holds a reproduction with another configuration (no cause), or a file
     *     of the reproduction cannot be read or written (its cause an {@link IOException})
     */
    public Path run() throws Exception {
        long started = System.nanoTime();
        checkFingerprint();
        Reproduction r = new Reproduction(preset, out, err);
        boolean complete = Pipeline.complete(out.resolve("runs/flow"));
        for (RunSpec s : concat(r.eosRuns(), r.sizeRuns(), r.optimizerRuns())) {
            complete &= Pipeline.complete(r.runDir(s));
        }
        boolean embedded = kafka.bootstrapServersGiven() == null;
        if (complete) {
            err.println("eos reproduce: every run is complete in " + out + "; rebuilding the report only");
        } else {
            err.println("eos reproduce: preset " + preset.name() + ", " + (embedded ? "starting a Kafka broker in this process"
                    + " (log in " + out.resolve("kafka") + ")" : "Kafka at " + kafka.bootstrapServersGiven()) + ", "
                    + analyzers + " analyzers");
            try (Pipeline pipeline = Pipeline.open(kafka, embedded, out.resolve("kafka"), analyzers)) {
                r.train(pipeline);
            }
        }
        r.examples();
        List<Claims.Claim> claims = r.assemble(configuration(r, embedded), Versions.collect());
        Path html;
        try {
            html = ReportRenderer.render(out);
        } catch (ReportException e) {
            throw new IllegalStateException("the report could not be rendered: " + e.getMessage(), e);
        }
        err.println();
        err.println("claim | verdict | measured");
        for (Claims.Claim c : claims) {
            err.println(c.claim() + " | " + c.verdict() + " | " + c.measured());
        }
        err.printf(Locale.ROOT, "eos reproduce: done in %.0f s%n", (System.nanoTime() - started) / 1e9);
        return html;
    }

    @SafeVarargs
    private static List<RunSpec> concat(List<RunSpec>... lists) {
        return Stream.of(lists).flatMap(List::stream).toList();
    }

    /** DIR/reproduce.json holds the preset: a rerun with another configuration in the same DIR is refused. */
    private void checkFingerprint() throws InputException {
        Path file = out.resolve("reproduce.json");
        JsonElement mine = JsonParser.parseString(Reproduction.GSON.toJson(preset));
        if (Files.exists(file)) {
            JsonElement theirs;
            try {
                theirs = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            } catch (IOException | RuntimeException e) {
                throw new InputException("--out " + out + ": reproduce.json is unreadable (" + e.getMessage() + ")");
            }
            if (!theirs.equals(mine)) {
                String name = theirs.isJsonObject() && theirs.getAsJsonObject().has("name")
                        ? theirs.getAsJsonObject().get("name").getAsString() : "?";
                throw new InputException("--out " + out + ": holds a reproduction with another configuration"
                        + " (preset " + name + "); use another --out or the same --preset/--dataset/--data-dir");
            }
            return;
        }
        AtomicFiles.write(file, Reproduction.GSON.toJson(preset).getBytes(StandardCharsets.UTF_8));
    }

    private JsonObject configuration(Reproduction r, boolean embedded) {
        JsonObject c = new JsonObject();
        c.add("preset", JsonParser.parseString(Reproduction.GSON.toJson(preset)));
        JsonObject pipeline = new JsonObject();
        pipeline.addProperty("broker", embedded ? "embedded (in-process KRaft)" : kafka.bootstrapServersGiven());
        pipeline.addProperty("analyzers", analyzers);
        pipeline.addProperty("analysis_id", Pipeline.ANALYSIS_ID);
        pipeline.add("analysis_options", JsonParser.parseString(Reproduction.GSON.toJson(Pipeline.options(false))));
        // experiment 1's GD runs: the same plus the density and the traces on one snapshot in DENSITY_EVERY
        pipeline.add("analysis_options_gd_density", JsonParser.parseString(Reproduction.GSON.toJson(Pipeline.options(true))));
        pipeline.addProperty("analysis_dtype", "float64");
        c.add("pipeline", pipeline);
        JsonArray runs = new JsonArray();
        for (RunSpec s : concat(r.eosRuns(), r.sizeRuns(), r.optimizerRuns())) {
            JsonObject o = JsonParser.parseString(s.config().toJson()).getAsJsonObject();
            o.remove("run");
            o.addProperty("id", s.id());
            runs.add(o);
        }
        c.add("runs", runs);
        return c;
    }
}
