package io.eoscope.reproduce;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The software versions and the machine a report was made with. */
public final class Versions {
    private Versions() {}

    static JsonObject collect() {
        JsonObject v = new JsonObject();
        String own = Versions.class.getPackage().getImplementationVersion();
        v.addProperty("eoscope", own == null ? "development build" : own);
        v.addProperty("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                + System.getProperty("java.vendor") + ")");
        v.addProperty("djl", safe(ai.djl.engine.Engine::getDjlVersion));
        v.addProperty("libtorch", safe(() -> ai.djl.engine.Engine.getInstance().getEngineName() + " "
                + ai.djl.engine.Engine.getInstance().getVersion()));
        v.addProperty("kafka-clients", safe(() -> resource("/kafka/kafka-version.properties", true)));
        v.addProperty("vertx", safe(() -> resource("/META-INF/vertx/vertx-version.txt", false)));
        v.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        v.addProperty("cpu", cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores available");
        return v;
    }

    private static String resource(String name, boolean properties) {
        try (java.io.InputStream in = Versions.class.getResourceAsStream(name)) {
            if (in == null) {
                return "unknown";
            }
            if (properties) {
                java.util.Properties p = new java.util.Properties();
                p.load(in);
                return p.getProperty("version", "unknown");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The CPU model from /proc/cpuinfo, or the architecture where there is none. */
    public static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the architecture is all we know
        }
        return System.getProperty("os.arch");
    }

    private static String safe(java.util.function.Supplier<String> s) {
        try {
            return s.get();
        } catch (RuntimeException | LinkageError e) {
            return "unknown (" + e.getClass().getSimpleName() + ")";
        }
    }
}
