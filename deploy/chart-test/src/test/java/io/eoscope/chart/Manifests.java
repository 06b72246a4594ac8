package io.eoscope.chart;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The documents of a rendered chart, parsed, with lookups by kind and name. */
record Manifests(String text, List<Map<String, Object>> documents) {

    @SuppressWarnings("unchecked")
    static Manifests parse(String text) {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object o : Chart.yaml().loadAll(text)) {
            if (o != null) {
                docs.add((Map<String, Object>) o);
            }
        }
        return new Manifests(text, docs);
    }

    List<Map<String, Object>> ofKind(String kind) {
        return documents.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    Map<String, Object> get(String kind, String name) {
        return documents.stream().filter(d -> kind.equals(d.get("kind")) && name.equals(Yamls.at(d, "metadata.name")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + names()));
    }

    List<String> names() {
        return documents.stream().map(d -> d.get("kind") + "/" + Yamls.at(d, "metadata.name")).toList();
    }

    boolean has(String kind, String name) {
        return documents.stream().anyMatch(d -> kind.equals(d.get("kind")) && Objects.equals(name, Yamls.at(d, "metadata.name")));
    }
}
