package io.eoscope.chart;

import java.util.List;
import java.util.Map;

/** Navigation in parsed YAML by dotted paths; a number segment indexes a list. */
final class Yamls {
    private Yamls() {}

    /** The value at {@code path} (such as {@code spec.template.spec.containers.0.args}), or null. */
    static Object at(Object node, String path) {
        Object current = node;
        for (String part : path.split("\\.")) {
            if (current instanceof Map<?, ?> m) {
                current = m.get(part);
            } else if (current instanceof List<?> l && part.matches("\\d+")) {
                int i = Integer.parseInt(part);
                current = i < l.size() ? l.get(i) : null;
            } else {
                return null;
            }
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node, String path) {
        Object o = at(node, path);
        if (!(o instanceof Map<?, ?>)) {
            throw new AssertionError(path + " is not a map: " + o);
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static <T> List<T> list(Object node, String path) {
        Object o = at(node, path);
        if (!(o instanceof List<?>)) {
            throw new AssertionError(path + " is not a list: " + o);
        }
        return (List<T>) o;
    }
}
