package io.eoscope.curvature.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The content of a safetensors file: named tensors, in file (or insertion) order, and the string
 * entries of {@code __metadata__}, in order. Immutable.
 *
 * @param tensors by name; no name may be {@value Safetensors#METADATA}
 * @param metadata the {@code __metadata__} entries (empty if the file has none)
 */
public record SafetensorsFile(Map<String, Tensor> tensors, Map<String, String> metadata) {

    /**
     * Copies both maps, keeping their order.
     *
     * @throws NullPointerException for a null map, key or value
     * @throws IllegalArgumentException for a tensor named {@value Safetensors#METADATA}
     */
    public SafetensorsFile {
        tensors = Collections.unmodifiableMap(copy(tensors));
        metadata = Collections.unmodifiableMap(copy(metadata));
        if (tensors.containsKey(Safetensors.METADATA)) {
            throw new IllegalArgumentException("a tensor cannot be named " + Safetensors.METADATA);
        }
    }

    /** A file with tensors and no metadata. */
    public SafetensorsFile(Map<String, Tensor> tensors) {
        this(tensors, Map.of());
    }

    private static <V> Map<String, V> copy(Map<String, V> map) {
        Map<String, V> out = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new NullPointerException("null name or value in a safetensors file");
            }
            out.put(k, v);
        });
        return out;
    }
}
