package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The structure of the Grafana dashboards in deploy/grafana, without Grafana (not installable here): plain
 * dashboard JSON as the Helm chart's sidecar ConfigMaps need it, stable unique uids, a datasource and a
 * place on the grid for every panel, the {@code datasource} and {@code run} variables, cross-links, the Fleet's
 * recorded series only. Their PromQL is evaluated against a real Prometheus in {@link GatewayApiTest}, and the
 * Fleet's over a thousand runs in {@link FleetOfAThousandRunsOnARealPrometheus}.
 */
class DashboardsTest {
    private static final Map<String, String> DATASOURCE = Map.of("type", "prometheus", "uid", "${datasource}");

    @Test
    void fourDashboardsWithStableUniqueUidsAndNoImportWrapper() {
        List<JsonObject> all = Dashboards.load();
        assertThat(all.stream().map(d -> d.get("uid").getAsString()).toList())
                .containsExactlyInAnyOrderElementsOf(Dashboards.UIDS);
        assertThat(all.stream().map(d -> d.get("title").getAsString()).distinct()).hasSize(4);
        for (JsonObject d : all) {
            String uid = d.get("uid").getAsString();
            assertThat(d.has("__inputs")).as(uid + ": a plain dashboard, not an import wrapper").isFalse();
            assertThat(d.has("dashboard")).as(uid).isFalse();
            assertThat(d.get("schemaVersion").getAsInt()).as(uid).isBetween(36, 41);
            assertThat(d.get("id").isJsonNull()).as(uid + ": no database id").isTrue();
            assertThat(d.get("tags").getAsJsonArray().toString()).as(uid).contains("\"eoscope\"");
            assertThat(d.toString()).as(uid + ": no datasource uid of one Grafana").doesNotContain("${DS_");
        }
    }

    @Test
    void everyPanelHasAUniqueIdAGridPlaceAndTheDatasourceVariable() {
        for (JsonObject d : Dashboards.load()) {
            String uid = d.get("uid").getAsString();
            Set<Integer> ids = new HashSet<>();
            Set<String> titles = new HashSet<>();
            List<int[]> boxes = new ArrayList<>();
            for (JsonObject p : Dashboards.panels(d)) {
                String name = uid + " / " + p.get("title").getAsString();
                assertThat(ids.add(p.get("id").getAsInt())).as(name + ": unique panel id").isTrue();
                assertThat(titles.add(p.get("title").getAsString())).as(name + ": unique title").isTrue();
                JsonObject g = p.getAsJsonObject("gridPos");
                assertThat(g).as(name + ": gridPos").isNotNull();
                int x = g.get("x").getAsInt();
                int y = g.get("y").getAsInt();
                int w = g.get("w").getAsInt();
                int h = g.get("h").getAsInt();
                assertThat(x).as(name).isBetween(0, 23);
                assertThat(x + w).as(name + ": inside the 24-column grid").isBetween(1, 24);
                assertThat(h).as(name).isPositive();
                for (int[] b : boxes) {
                    boolean overlap = x < b[0] + b[2] && b[0] < x + w && y < b[1] + b[3] && b[1] < y + h;
                    assertThat(overlap).as(name + ": overlaps another panel").isFalse();
                }
                boxes.add(new int[] {x, y, w, h});
                if (p.get("type").getAsString().equals("row")) {
                    continue;
                }
                assertThat(p.get("type").getAsString()).as(name).isIn("timeseries", "stat", "table", "heatmap");
                assertThat(datasource(p.getAsJsonObject("datasource"))).as(name).isEqualTo(DATASOURCE);
                assertThat(p.getAsJsonArray("targets")).as(name + ": targets").isNotEmpty();
                for (JsonElement t : p.getAsJsonArray("targets")) {
                    JsonObject o = t.getAsJsonObject();
                    assertThat(datasource(o.getAsJsonObject("datasource"))).as(name).isEqualTo(DATASOURCE);
                    assertThat(o.get("expr").getAsString()).as(name).isNotBlank();
                }
                assertThat(p.getAsJsonObject("fieldConfig").getAsJsonObject("defaults").has("unit")
                        || p.get("type").getAsString().equals("table")).as(name + ": a unit").isTrue();
            }
        }
    }

    /** The dashboards of chosen runs (all but the Fleet, see {@link #theFleetReadsOnlyRecordedSeriesAndEveryOneOfThem}). */
    @Test
    void datasourceAndRunVariablesAndOnlyKnownVariablesInQueries() {
        Pattern variable = Pattern.compile("\\$\\{?(\\w+)");
        for (JsonObject d : Dashboards.load()) {
            String uid = d.get("uid").getAsString();
            if (uid.equals(Dashboards.FLEET)) {
                continue;
            }
            Map<String, JsonObject> vars = new java.util.HashMap<>();
            for (JsonElement v : d.getAsJsonObject("templating").getAsJsonArray("list")) {
                vars.put(v.getAsJsonObject().get("name").getAsString(), v.getAsJsonObject());
            }
            JsonObject ds = vars.get("datasource");
            assertThat(ds).as(uid + ": datasource variable").isNotNull();
            assertThat(ds.get("type").getAsString()).isEqualTo("datasource");
            assertThat(ds.get("query").getAsString()).isEqualTo("prometheus");
            JsonObject run = vars.get("run");
            assertThat(run).as(uid + ": run variable").isNotNull();
            assertThat(run.get("type").getAsString()).isEqualTo("query");
            assertThat(run.get("definition").getAsString()).isEqualTo("label_values(eos_run_sharpness, run)");
            assertThat(run.get("multi").getAsBoolean()).as(uid + ": several runs at once").isTrue();
            assertThat(run.get("includeAll").getAsBoolean()).as(uid + ": All").isTrue();
            assertThat(datasource(run.getAsJsonObject("datasource"))).isEqualTo(DATASOURCE);
            for (Dashboards.Target t : Dashboards.targets()) {
                if (!t.dashboard().equals(uid)) {
                    continue;
                }
                Matcher m = variable.matcher(t.expr());
                while (m.find()) {
                    assertThat(vars.containsKey(m.group(1)) || m.group(1).startsWith("__")).as(t.name() + ": $" + m.group(1))
                            .isTrue();
                }
                if (t.expr().matches("(?s).*\\beos_(run_|layer_|spectral_density|trace).*")) {
                    // every per-run series follows the run picker (multi-valued, hence =~)
                    assertThat(t.expr()).as(t.name()).contains("run=~\"$run\"");
                }
                if (t.expr().contains("by (run, layer)")) {
                    assertThat(legend(d, t)).as(t.name() + ": per-layer legend").contains("{{run}}").contains("{{layer}}");
                }
            }
        }
    }

    /**
     * The spectral density heatmap (issue 27): one panel per run (a heatmap of several runs' buckets would mix their
     * spectra), its stable id, the cumulative buckets as Grafana's heatmap format reads them (rows by le, not re-bucketed),
     * and the trace panels beside it. Its query is evaluated with data against a real Prometheus in {@link GatewayApiTest}.
     */
    @Test
    void theSpectralDensityIsAHeatmapOfTheCumulativeBucketsPerRun() {
        JsonObject overview = Dashboards.load().stream().filter(d -> d.get("uid").getAsString().equals("eoscope-overview")).findFirst()
                .orElseThrow();
        JsonObject heatmap = Dashboards.panels(overview).stream().filter(p -> p.get("id").getAsInt() == 18).findFirst().orElseThrow();
        assertThat(heatmap.get("type").getAsString()).isEqualTo("heatmap");
        assertThat(heatmap.get("title").getAsString()).isEqualTo("Spectral density of 𝓗 over training");
        assertThat(heatmap.get("repeat").getAsString()).as("one heatmap per run").isEqualTo("run");
        JsonObject target = heatmap.getAsJsonArray("targets").get(0).getAsJsonObject();
        assertThat(target.get("expr").getAsString())
                .isEqualTo("max by (le) (eos_spectral_density_bucket{run=~\"$run\", operator=\"hessian\"})");
        assertThat(target.get("format").getAsString()).as("cumulative buckets to bands").isEqualTo("heatmap");
        assertThat(target.get("legendFormat").getAsString()).isEqualTo("{{le}}");
        JsonObject options = heatmap.getAsJsonObject("options");
        assertThat(options.get("calculate").getAsBoolean()).as("the buckets as they are, not re-bucketed").isFalse();
        assertThat(options.getAsJsonObject("rowsFrame").get("layout").getAsString()).isEqualTo("le");
        assertThat(heatmap.getAsJsonObject("fieldConfig").getAsJsonObject("defaults").get("unit").getAsString()).isEqualTo("percentunit");
        List<String> traces = new ArrayList<>();
        for (Dashboards.Target t : Dashboards.targets()) {
            if (t.expr().contains("eos_trace")) {
                traces.add(t.panel() + " " + t.refId());
            }
        }
        assertThat(traces).containsExactlyInAnyOrder("Traces: tr(𝓗) with its interval, and tr(G) A",
                "Traces: tr(𝓗) with its interval, and tr(G) B", "Traces: tr(𝓗) with its interval, and tr(G) C",
                "Share of the trace in G: tr(G)/tr(𝓗) A");
    }

    @Test
    void eachDashboardLinksToTheOthersKeepingTimeAndVariables() {
        for (JsonObject d : Dashboards.load()) {
            String uid = d.get("uid").getAsString();
            Set<String> targets = new HashSet<>();
            for (JsonElement l : d.getAsJsonArray("links")) {
                JsonObject o = l.getAsJsonObject();
                assertThat(o.get("includeVars").getAsBoolean()).as(uid).isTrue();
                assertThat(o.get("keepTime").getAsBoolean()).as(uid).isTrue();
                targets.add(o.get("url").getAsString());
            }
            Set<String> expected = new HashSet<>();
            Dashboards.UIDS.stream().filter(u -> !u.equals(uid)).forEach(u -> expected.add("/d/" + u));
            assertThat(targets).as(uid).isEqualTo(expected);
        }
    }

    /**
     * The Fleet dashboard stays fast over a thousand runs by reading only what the eoscope-fleet recording rules record:
     * no run's own series, no variable but the data source, no function over a range; it shows every recorded series
     * and every band of the ratio's distribution, and its top-10 table links each run to the run's Overview.
     */
    @Test
    void theFleetReadsOnlyRecordedSeriesAndEveryOneOfThem() throws Exception {
        JsonObject fleet = Dashboards.load().stream().filter(d -> d.get("uid").getAsString().equals(Dashboards.FLEET)).findFirst()
                .orElseThrow();
        List<String> variables = new ArrayList<>();
        fleet.getAsJsonObject("templating").getAsJsonArray("list")
                .forEach(v -> variables.add(v.getAsJsonObject().get("name").getAsString()));
        assertThat(variables).as("the Fleet's variables").containsExactly("datasource");
        Set<String> recorded = new java.util.TreeSet<>();
        Set<String> bands = new java.util.TreeSet<>();
        for (String line : java.nio.file.Files.readAllLines(RealPrometheus.RULES)) {
            if (line.strip().startsWith("- record:")) {
                recorded.add(line.strip().substring("- record:".length()).strip());
            } else if (line.strip().startsWith("band:")) {
                bands.add(line.strip().substring("band:".length()).strip());
            }
        }
        assertThat(recorded).isNotEmpty();
        assertThat(bands).hasSize(6);
        Pattern selector = Pattern.compile("(eos:[a-z0-9_]+:[a-z0-9_]+)(\\{band=\"([^\"]+)\"})?");
        Set<String> shown = new java.util.TreeSet<>();
        Set<String> bandsShown = new java.util.TreeSet<>();
        for (Dashboards.Target t : Dashboards.targets()) {
            if (!t.dashboard().equals(Dashboards.FLEET)) {
                continue;
            }
            Matcher m = selector.matcher(t.expr());
            assertThat(m.matches()).as(t.name() + ": one recorded series, no computation over raw series: " + t.expr()).isTrue();
            assertThat(recorded).as(t.name() + ": recorded by " + RealPrometheus.RULES).contains(m.group(1));
            shown.add(m.group(1));
            if (m.group(3) != null) {
                bandsShown.add(m.group(3));
            }
        }
        assertThat(shown).as("every recorded series on the Fleet").isEqualTo(recorded);
        assertThat(bandsShown).as("every band of the distribution on the Fleet").isEqualTo(bands);
        JsonObject top = Dashboards.panels(fleet).stream().filter(p -> p.get("type").getAsString().equals("table")).findFirst()
                .orElseThrow();
        assertThat(top.getAsJsonObject("fieldConfig").toString()).as("the top-10 table links a run to its Overview")
                .contains("/d/eoscope-overview?var-run=${__value.raw}");
    }

    /**
     * The Fleet over a thousand runs, on a real Prometheus: two exporters (as two gateway replicas, which serve identical
     * series) publish the per-run and analyzer series of 1,000 runs with known values, Prometheus scrapes both and
     * evaluates the recording rules of deploy/prometheus, and every query of the Fleet returns data: the counts, the
     * bands, the top 10 and the lag quantiles the runs imply, each run counted once.
     */
    @Nested
    @Tag("integration")
    @Timeout(180)
    class FleetOfAThousandRunsOnARealPrometheus {
        @TempDir
        Path dir;

        @Test
        void everyFleetQueryReturnsWhatTheRunsImply() throws Exception {
            SyntheticFleet fleet = new SyntheticFleet(1000);
            List<HttpServer> exporters = List.of(fleet.serve(0), fleet.serve(1));
            try (RealPrometheus p = RealPrometheus.start(dir, exporters.stream().map(e -> e.getAddress().getPort()).toList())) {
                List<Dashboards.Target> targets = Dashboards.targets().stream().filter(t -> t.dashboard().equals(Dashboards.FLEET))
                        .toList();
                List<String> empty = new ArrayList<>();
                try {
                    Poll.until(Duration.ofSeconds(90), "every query of the Fleet returns data", () -> {
                        empty.clear();
                        for (Dashboards.Target t : targets) {
                            JsonObject o;
                            try {
                                o = t.instant() ? p.instant(t.expr()) : p.range(t.expr(), 60, 5);
                            } catch (RuntimeException notReadyYet) { // Prometheus still starting: refused, or not JSON yet
                                empty.add(t.name());
                                continue;
                            }
                            if (!"success".equals(o.get("status").getAsString())
                                    || o.getAsJsonObject("data").getAsJsonArray("result").isEmpty()) {
                                empty.add(t.name());
                            }
                        }
                        return empty.isEmpty();
                    });
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "; still empty: " + empty, e);
                }
                assertThat(p.query("count(eos_run_step)").get(0).getAsJsonObject().getAsJsonArray("value").get(1).getAsDouble())
                        .as("each run scraped twice, once per exporter").isEqualTo(2000);
                assertThat(value(p, "eos:runs:count")).isEqualTo(1000);
                assertThat(value(p, "eos:runs_at_edge:count")).isEqualTo(fleet.ratios().filter(r -> r >= 1).count());
                assertThat(value(p, "eos:runs_beyond_edge:count")).isEqualTo(fleet.ratios().filter(r -> r >= 1.3).count());
                assertThat(value(p, "eos:runs_stale:count")).isEqualTo(fleet.stale());
                Map<String, Long> bands = fleet.bands();
                for (Map.Entry<String, Long> b : bands.entrySet()) {
                    assertThat(value(p, "eos:runs_by_ratio_band:count{band=\"" + b.getKey() + "\"}")).as(b.getKey())
                            .isEqualTo(b.getValue().doubleValue());
                }
                assertThat(bands.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(1000);
                Map<String, Double> top = new java.util.HashMap<>();
                for (JsonElement e : p.query("eos:run_stability_ratio:top10")) {
                    JsonObject o = e.getAsJsonObject();
                    top.put(o.getAsJsonObject("metric").get("run").getAsString(), o.getAsJsonArray("value").get(1).getAsDouble());
                }
                assertThat(top).as("the top 10 by ratio").isEqualTo(fleet.top(10));
                assertThat(value(p, "eos:run_analysis_lag_steps:max")).isEqualTo(fleet.lagQuantile(1));
                assertThat(value(p, "eos:run_analysis_lag_steps:p50")).isCloseTo(fleet.lagQuantile(0.5), within(1e-9));
                assertThat(value(p, "eos:run_analysis_lag_steps:p95")).isCloseTo(fleet.lagQuantile(0.95), within(1e-9));
                assertThat(value(p, "eos:gateway_view_runs:max")).isEqualTo(SyntheticFleet.HELD);
                assertThat(value(p, "eos:gateway_runs_without_series:max")).isEqualTo(SyntheticFleet.HELD - 1000);
                // one series per group, summed over the members (one per exporter): lag 5 + 10 records; the rate is
                // checked by value in the promtool test (here the counters are younger than its minute)
                assertThat(p.query("eos:analyzer_lag_records:sum")).hasSize(1);
                assertThat(value(p, "eos:analyzer_lag_records:sum{group=\"fleet\"}")).isEqualTo(15);
                assertThat(p.query("eos:analyzer_snapshots:rate1m")).hasSize(1);
                assertThat(value(p, "eos:analyzer_snapshots:rate1m{group=\"fleet\"}")).isPositive();
            } finally {
                exporters.forEach(e -> e.stop(0));
            }
        }

        private static double value(RealPrometheus p, String promql) {
            JsonArray r = p.query(promql);
            assertThat(r).as(promql).hasSize(1);
            return r.get(0).getAsJsonObject().getAsJsonArray("value").get(1).getAsDouble();
        }
    }

    /**
     * The series of {@code runs} runs in the Prometheus text format, as a gateway with analyzers in its JVM exports
     * them, with known values: run i has the stability ratio ((7919·i) mod 1000)/500 (0 to 1.998, in no order of i),
     * none (NaN) when i is a multiple of 97; it is stale when i mod 40 is 3; its analysis lag is (37·i) mod 200 steps,
     * NaN (never analysed) when i is a multiple of 10.
     */
    static final class SyntheticFleet {
        /** Runs the gateway holds: more than have series, as when runs exceed its --max-runs. */
        static final int HELD = 1200;
        private final int runs;
        private final long started = System.nanoTime();

        SyntheticFleet(int runs) {
            this.runs = runs;
        }

        static String name(int i) {
            return String.format("run-%04d", i);
        }

        double ratio(int i) {
            return i % 97 == 0 ? Double.NaN : ((7919L * i) % 1000) / 500.0;
        }

        double lag(int i) {
            return i % 10 == 0 ? Double.NaN : (37 * i) % 200;
        }

        boolean stale(int i) {
            return i % 40 == 3;
        }

        java.util.stream.DoubleStream ratios() {
            return java.util.stream.IntStream.range(0, runs).mapToDouble(this::ratio).filter(r -> !Double.isNaN(r));
        }

        long stale() {
            return java.util.stream.IntStream.range(0, runs).filter(this::stale).count();
        }

        /** Runs per band of the ratio, as the rules define the bands. */
        Map<String, Long> bands() {
            Map<String, Long> out = new java.util.TreeMap<>();
            for (int i = 0; i < runs; i++) {
                double r = ratio(i);
                String band = Double.isNaN(r) ? "no_value" : r < 0.5 ? "below_0.5" : r < 0.9 ? "0.5_to_0.9" : r < 1 ? "0.9_to_1"
                        : r < 1.3 ? "1_to_1.3" : "1.3_and_above";
                out.merge(band, 1L, Long::sum);
            }
            return out;
        }

        /** The k runs of highest ratio (the ratios are distinct, so there are no ties). */
        Map<String, Double> top(int k) {
            Map<String, Double> out = new java.util.HashMap<>();
            java.util.stream.IntStream.range(0, runs).filter(i -> !Double.isNaN(ratio(i))).boxed()
                    .sorted((a, b) -> Double.compare(ratio(b), ratio(a))).limit(k).forEach(i -> out.put(name(i), ratio(i)));
            return out;
        }

        /** PromQL's quantile(q, …) of the analysed runs' lags: linear interpolation at rank q·(n − 1) of the sorted values. */
        double lagQuantile(double q) {
            double[] v = java.util.stream.IntStream.range(0, runs).mapToDouble(this::lag).filter(x -> !Double.isNaN(x)).sorted().toArray();
            double rank = q * (v.length - 1);
            int lo = (int) Math.floor(rank);
            return lo + 1 < v.length ? v[lo] + (v[lo + 1] - v[lo]) * (rank - lo) : v[lo];
        }

        /** An exporter on a free port: every run's series, the gateway's run counts and analyzer member {@code member}'s. */
        HttpServer serve(int member) throws java.io.IOException {
            HttpServer server = HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/metrics", exchange -> {
                byte[] body = exposition(member).getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (var out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
            return server;
        }

        private String exposition(int member) {
            StringBuilder out = new StringBuilder(256 * runs);
            gauge(out, "eos_run_step", i -> 1000 + i);
            gauge(out, "eos_run_stability_ratio", this::ratio);
            gauge(out, "eos_run_stale", i -> stale(i) ? 1 : 0);
            gauge(out, "eos_run_analysis_lag_steps", this::lag);
            out.append("# TYPE eos_gateway_view_runs gauge\neos_gateway_view_runs ").append(HELD).append('\n');
            out.append("# TYPE eos_gateway_series_runs gauge\neos_gateway_series_runs ").append(runs).append('\n');
            out.append("# TYPE eos_gateway_runs_without_series gauge\neos_gateway_runs_without_series ").append(HELD - runs).append('\n');
            // this member's analyzer: 2 or 4 snapshots a second since the start, 5 or 10 records behind
            double seconds = (System.nanoTime() - started) / 1e9;
            out.append("# TYPE eos_analyzer_snapshots_total counter\neos_analyzer_snapshots_total{group=\"fleet\"} ")
                    .append(2 * (member + 1) * seconds).append('\n');
            out.append("# TYPE eos_analyzer_lag_records gauge\neos_analyzer_lag_records{group=\"fleet\",member=\"m").append(member)
                    .append("\"} ").append(5 * (member + 1)).append('\n');
            return out.toString();
        }

        private void gauge(StringBuilder out, String name, java.util.function.IntToDoubleFunction value) {
            out.append("# TYPE ").append(name).append(" gauge\n");
            for (int i = 0; i < runs; i++) {
                double v = value.applyAsDouble(i);
                out.append(name).append("{run=\"").append(name(i)).append("\"} ").append(Double.isNaN(v) ? "NaN" : Double.toString(v))
                        .append('\n');
            }
        }
    }

    @Test
    void substitutionReplacesEveryVariableForm() {
        Map<String, String> v = Map.of("run", "a|b", "__rate_interval", "30s");
        assertThat(Dashboards.substitute("rate(x{run=~\"$run\"}[$__rate_interval]) + y{run=~\"${run}\"} + z{run=~\"[[run]]\"}"
                + " + w{run=~\"${run:regex}\"}", v))
                .isEqualTo("rate(x{run=~\"a|b\"}[30s]) + y{run=~\"a|b\"} + z{run=~\"a|b\"} + w{run=~\"a|b\"}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Dashboards.substitute("x{a=\"$unknown\"}", v))
                .isInstanceOf(AssertionError.class).hasMessageContaining("$unknown");
    }

    private static String legend(JsonObject d, Dashboards.Target t) {
        for (JsonObject p : Dashboards.panels(d)) {
            if (p.get("title").getAsString().equals(t.panel())) {
                for (JsonElement e : p.getAsJsonArray("targets")) {
                    if (e.getAsJsonObject().get("refId").getAsString().equals(t.refId())) {
                        return e.getAsJsonObject().get("legendFormat").getAsString();
                    }
                }
            }
        }
        return "";
    }

    private static Map<String, String> datasource(JsonObject o) {
        return o == null ? Map.of() : Map.of("type", o.get("type").getAsString(), "uid", o.get("uid").getAsString());
    }
}
