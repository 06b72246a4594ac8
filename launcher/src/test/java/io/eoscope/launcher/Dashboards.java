package io.eoscope.launcher;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The Grafana dashboards of deploy/grafana, read as plain JSON: their panels and the PromQL of every target. */
final class Dashboards {
    static final Path DIR = Path.of("..", "deploy", "grafana").toAbsolutePath().normalize();
    /** The dashboards this project ships, by uid (stable: links and the Helm chart's ConfigMaps name them). */
    static final List<String> UIDS = List.of("eoscope-overview", "eoscope-layers", "eoscope-operations", "eoscope-fleet");
    /** The dashboard of every run at once: it reads only the recorded series of the eoscope-fleet rules, no run's own. */
    static final String FLEET = "eoscope-fleet";
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::\\w+)?}|\\[\\[(\\w+)]]|\\$(\\w+)");

    private Dashboards() {}

    /** One query of one panel. */
    record Target(String dashboard, String panel, String refId, String expr, boolean instant) {
        String name() {
            return dashboard + " / " + panel + " / " + refId;
        }
    }

    /** Every dashboard file of deploy/grafana, parsed. */
    static List<JsonObject> load() {
        try (Stream<Path> files = Files.list(DIR)) {
            List<JsonObject> out = new ArrayList<>();
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                out.add(JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonObject());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every panel, those nested in collapsed rows included, rows included. */
    static List<JsonObject> panels(JsonObject dashboard) {
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement e : dashboard.getAsJsonArray("panels")) {
            JsonObject p = e.getAsJsonObject();
            out.add(p);
            if (p.has("panels")) {
                p.getAsJsonArray("panels").forEach(n -> out.add(n.getAsJsonObject()));
            }
        }
        return out;
    }

    /** Every target with an {@code expr} in every dashboard. */
    static List<Target> targets() {
        List<Target> out = new ArrayList<>();
        for (JsonObject d : load()) {
            for (JsonObject p : panels(d)) {
                if (!p.has("targets")) {
                    continue;
                }
                for (JsonElement t : p.getAsJsonArray("targets")) {
                    JsonObject o = t.getAsJsonObject();
                    if (o.has("expr")) {
                        out.add(new Target(d.get("uid").getAsString(), p.get("title").getAsString(), o.get("refId").getAsString(),
                                o.get("expr").getAsString(), o.has("instant") && o.get("instant").getAsBoolean()));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Replaces Grafana's variables ({@code $x}, {@code ${x}}, {@code ${x:format}}, {@code [[x]]}) by {@code values};
     * a variable without a value is an error, so a dashboard cannot use one the test does not know.
     */
    static String substitute(String expr, Map<String, String> values) {
        Matcher m = VARIABLE.matcher(expr);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            String value = values.get(name);
            if (value == null) {
                throw new AssertionError("no value for the Grafana variable $" + name + " in " + expr);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
