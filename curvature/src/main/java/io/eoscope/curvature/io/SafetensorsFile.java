package io.eoscope.curvature.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The content of a safetensors file: named tensors (in file order) and string metadata.
 *
 * @param tensors by name
 * @param metadata the {@code __metadata__} entries
 */
public record SafetensorsFile(Map<String, Tensor> tensors, Map<String, String> metadata) {

    /** Copies both maps, keeping their order. */
    public SafetensorsFile {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }
}
