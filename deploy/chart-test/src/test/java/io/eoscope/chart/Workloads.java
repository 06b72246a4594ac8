package io.eoscope.chart;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The pods a chart renders: Deployments' and Jobs' pod templates. */
final class Workloads {
    private Workloads() {}

    /** Deployments and Jobs. */
    static List<Map<String, Object>> of(Manifests m) {
        List<Map<String, Object>> out = new ArrayList<>(m.ofKind("Deployment"));
        out.addAll(m.ofKind("Job"));
        return out;
    }

    static Map<String, Object> podSpec(Map<String, Object> workload) {
        return Yamls.map(workload, "spec.template.spec");
    }

    /** Init containers and containers of a workload. */
    static List<Map<String, Object>> allContainers(Map<String, Object> workload) {
        List<Map<String, Object>> out = new ArrayList<>();
        Object init = Yamls.at(workload, "spec.template.spec.initContainers");
        if (init != null) {
            out.addAll(Yamls.list(workload, "spec.template.spec.initContainers"));
        }
        out.addAll(Yamls.list(workload, "spec.template.spec.containers"));
        return out;
    }

    static Map<String, Object> container(Map<String, Object> workload, String name) {
        return allContainers(workload).stream().filter(c -> name.equals(c.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name + " in " + Yamls.at(workload, "metadata.name")));
    }

    static List<String> args(Map<String, Object> container) {
        return Yamls.list(container, "args");
    }

    /** The value after {@code option} in args (the option must occur once). */
    static String option(List<String> args, String option) {
        int i = args.indexOf(option);
        if (i < 0 || i + 1 >= args.size() || args.lastIndexOf(option) != i) {
            throw new AssertionError(option + " not once with a value in " + args);
        }
        return args.get(i + 1);
    }

    /** Plain env values by name. */
    static Map<String, Object> env(Map<String, Object> container) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        for (Map<String, Object> e : Yamls.<Map<String, Object>>list(container, "env")) {
            out.put((String) e.get("name"), e.containsKey("value") ? e.get("value") : e.get("valueFrom"));
        }
        return out;
    }
}
