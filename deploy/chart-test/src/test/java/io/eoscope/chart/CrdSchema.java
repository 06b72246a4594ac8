package io.eoscope.chart;

import com.marcnuri.helm.Helm;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A CustomResourceDefinition's openAPIV3Schema (a test resource), applied to a rendered object by the JSON Schema
 * validator the chart tests already rely on: Helm's own, behind values.schema.json. The object becomes the values
 * of a scratch chart whose values.schema.json is the CRD's schema, and {@code helm template} reports what does not
 * match, with its path. Two adjustments make the schema judge as the API server does: every object schema that
 * lists its properties (and neither has additionalProperties nor x-kubernetes-preserve-unknown-fields) refuses
 * other fields, as the server's strict field validation (kubectl's default) refuses an unknown field; the
 * x-kubernetes-* keys, which JSON Schema does not know, are left out. Not checked: the CRD's CEL rules
 * (x-kubernetes-validations) and the formats (int32, date-time).
 */
final class CrdSchema {
    private final String name;
    private final Map<String, Object> schema;

    private CrdSchema(String name, Map<String, Object> schema) {
        this.name = name;
        this.schema = schema;
    }

    /** The schema in the test resource {@code resource} (YAML: the openAPIV3Schema itself). */
    static CrdSchema load(String resource) {
        try (InputStream in = CrdSchema.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + resource);
            }
            Map<String, Object> openApi = Chart.yaml().load(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            return new CrdSchema(resource, asJsonSchema(openApi));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the schema finds wrong in {@code object} (Helm's message, one line per problem), or "" when it matches. */
    String problems(Map<String, Object> object, Path scratch) {
        try {
            Path chart = Files.createTempDirectory(scratch, "crd-schema");
            Files.createDirectories(chart.resolve("templates"));
            Files.writeString(chart.resolve("Chart.yaml"), "apiVersion: v2\nname: crd-schema\nversion: 0.0.0\n");
            Files.writeString(chart.resolve("values.schema.json"), json(schema));
            Path values = chart.resolve("object.yaml");
            Files.writeString(values, Chart.yaml().dump(object));
            new Helm(chart).template().withName("crd-schema").withValuesFile(values).call();
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            if (e.getMessage() == null || !e.getMessage().contains("schema")) {
                throw e;
            }
            return e.getMessage();
        }
    }

    @Override
    public String toString() {
        return name;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asJsonSchema(Map<String, Object> openApi) {
        Map<String, Object> out = new LinkedHashMap<>();
        openApi.forEach((key, value) -> {
            if (key.startsWith("x-kubernetes-")) {
                return;
            }
            if (key.equals("properties") && value instanceof Map<?, ?> properties) {
                Map<String, Object> converted = new LinkedHashMap<>();
                ((Map<String, Object>) properties).forEach((p, s) -> converted.put(p, asJsonSchema((Map<String, Object>) s)));
                out.put(key, converted);
            } else if (value instanceof Map<?, ?> sub) {
                out.put(key, asJsonSchema((Map<String, Object>) sub));
            } else if (value instanceof List<?> list && (key.equals("anyOf") || key.equals("allOf") || key.equals("oneOf"))) {
                out.put(key, list.stream().map(s -> asJsonSchema((Map<String, Object>) s)).toList());
            } else {
                out.put(key, value);
            }
        });
        if (openApi.containsKey("properties") && !openApi.containsKey("additionalProperties")
                && !Boolean.TRUE.equals(openApi.get("x-kubernetes-preserve-unknown-fields"))) {
            out.put("additionalProperties", false);
        }
        return out;
    }

    /** JSON of YAML-loaded data: maps, lists, strings, numbers, booleans and null. */
    static String json(Object value) {
        StringBuilder out = new StringBuilder();
        writeJson(value, out);
        return out.toString();
    }

    private static void writeJson(Object value, StringBuilder out) {
        if (value == null || value instanceof Boolean || value instanceof Number) {
            out.append(value);
        } else if (value instanceof String s) {
            out.append('"');
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            String separator = "";
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.append(separator);
                writeJson(String.valueOf(e.getKey()), out);
                out.append(':');
                writeJson(e.getValue(), out);
                separator = ",";
            }
            out.append('}');
        } else if (value instanceof List<?> list) {
            out.append('[');
            String separator = "";
            for (Object o : list) {
                out.append(separator);
                writeJson(o, out);
                separator = ",";
            }
            out.append(']');
        } else {
            throw new IllegalArgumentException("not JSON data: " + value.getClass().getName());
        }
    }
}
