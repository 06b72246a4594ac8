package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The structure of the Grafana dashboards in deploy/grafana, without Grafana (not installable here): plain
 * dashboard JSON as the Helm chart's sidecar ConfigMaps need it, stable unique uids, a datasource and a
 * place on the grid for every panel, the {@code datasource} and {@code run} variables, cross-links. Their
 * PromQL is evaluated against a real Prometheus in {@link GatewayApiTest}.
 */
class DashboardsTest {
    private static final Map<String, String> DATASOURCE = Map.of("type", "prometheus", "uid", "${datasource}");

    @Test
    void threeDashboardsWithStableUniqueUidsAndNoImportWrapper() {
        List<JsonObject> all = Dashboards.load();
        assertThat(all.stream().map(d -> d.get("uid").getAsString()).toList())
                .containsExactlyInAnyOrderElementsOf(Dashboards.UIDS);
        assertThat(all.stream().map(d -> d.get("title").getAsString()).distinct()).hasSize(3);
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
                assertThat(p.get("type").getAsString()).as(name).isIn("timeseries", "stat", "table");
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

    @Test
    void datasourceAndRunVariablesAndOnlyKnownVariablesInQueries() {
        Pattern variable = Pattern.compile("\\$\\{?(\\w+)");
        for (JsonObject d : Dashboards.load()) {
            String uid = d.get("uid").getAsString();
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
                if (t.expr().matches("(?s).*\\beos_(run|layer)_.*")) {
                    // every per-run series follows the run picker (multi-valued, hence =~)
                    assertThat(t.expr()).as(t.name()).contains("run=~\"$run\"");
                }
                if (t.expr().contains("by (run, layer)")) {
                    assertThat(legend(d, t)).as(t.name() + ": per-layer legend").contains("{{run}}").contains("{{layer}}");
                }
            }
        }
    }

    @Test
    void eachDashboardLinksToTheOtherTwoKeepingTimeAndVariables() {
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
