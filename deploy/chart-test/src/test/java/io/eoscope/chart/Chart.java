package io.eoscope.chart;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The chart under test, rendered and linted through helm-java (the Helm library, no binary). */
final class Chart {
    /** This module's directory is deploy/chart-test; Surefire runs in it. */
    static final Path DEPLOY = Path.of("..").toAbsolutePath().normalize();
    static final Path DIR = DEPLOY.resolve("helm/eoscope");
    static final Path CI = DIR.resolve("ci");
    static final Path RULES = DEPLOY.resolve("prometheus/eoscope-rules.yaml");
    static final Path DASHBOARDS = DEPLOY.resolve("grafana");
    static final String RELEASE = "eos";
    static final String NAMESPACE = "eoscope";
    /** The chart asks for 1.25 or later; helm template pretends 1.20 unless told. */
    static final String KUBE_VERSION = "v1.31.0";

    private Chart() {}

    /** The ci/*-values.yaml files. */
    static List<Path> ciValues() {
        try (Stream<Path> files = Files.list(CI)) {
            return files.filter(p -> p.getFileName().toString().endsWith("-values.yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Yaml yaml() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(20 << 20);
        return new Yaml(new SafeConstructor(options));
    }

    /** {@code helm template} with these values files (in order) and --set pairs. */
    static Manifests template(List<Path> valuesFiles, Map<String, Object> set) {
        return template(DIR, valuesFiles, set);
    }

    /** {@code helm template} of the chart in {@code chart} (a copy). */
    static Manifests template(Path chart, List<Path> valuesFiles, Map<String, Object> set) {
        TemplateCommand command = new Helm(chart).template().withName(RELEASE).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION);
        valuesFiles.forEach(command::withValuesFile);
        set.forEach(command::set);
        return Manifests.parse(command.call());
    }

    static Manifests template(Path valuesFile) {
        return template(List.of(valuesFile), Map.of());
    }

    static Manifests template(Map<String, Object> set) {
        return template(List.of(), set);
    }

    /**
     * {@code helm lint --strict -f values}: helm-java's lint takes no values files, so this lints a copy of the
     * chart (links resolved) whose values.yaml is the chart's defaults coalesced with {@code valuesFile} as Helm
     * coalesces them (maps merge, everything else replaces, null deletes).
     */
    @SuppressWarnings("unchecked")
    static LintResult lint(Path valuesFile, Path scratch) throws IOException {
        Path copy = copy(scratch);
        Map<String, Object> defaults = yaml().load(Files.readString(DIR.resolve("values.yaml")));
        Map<String, Object> overrides = yaml().load(Files.readString(valuesFile));
        Map<String, Object> merged = coalesce(defaults, overrides == null ? Map.of() : overrides);
        Files.writeString(copy.resolve("values.yaml"), yaml().dump(merged), StandardCharsets.UTF_8);
        return new Helm(copy).lint().strict().call();
    }

    /** helm lint --strict of the chart itself, links and all. */
    static LintResult lint() {
        return new Helm(DIR).lint().strict().call();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> coalesce(Map<String, Object> base, Map<String, Object> over) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        over.forEach((key, value) -> {
            if (value == null) {
                out.remove(key);
            } else if (value instanceof Map<?, ?> m && out.get(key) instanceof Map<?, ?> b) {
                out.put(key, coalesce((Map<String, Object>) b, (Map<String, Object>) m));
            } else {
                out.put(key, value);
            }
        });
        return out;
    }

    /** A copy of the chart under {@code scratch}, its links replaced by what they point to. */
    static Path copy(Path scratch) throws IOException {
        Path copy = scratch.resolve("eoscope");
        copyResolvingLinks(DIR, copy);
        return copy;
    }

    private static void copyResolvingLinks(Path from, Path to) throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(from, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
            walk.forEach(all::add);
        }
        for (Path p : all) {
            Path target = to.resolve(from.relativize(p).toString());
            if (Files.isDirectory(p)) {
                Files.createDirectories(target);
            } else {
                Files.copy(p, target);
            }
        }
    }
}
