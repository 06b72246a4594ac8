package io.eoscope.chart;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** helm lint --strict, helm template and helm package through helm-java, for the chart and every ci/ values file. */
class ChartLintTest {
    @TempDir
    Path scratch;

    static List<Path> ciValues() {
        return Chart.ciValues();
    }

    private static void assertClean(LintResult result, String what) {
        // --strict turns warnings into failures; INFO lines (the icon) stay informational
        assertThat(result.isFailed()).as(what + ": " + result.getMessages()).isFalse();
        assertThat(result.getMessages()).as(what).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    @Test
    void theChartLintsStrictWithItsLinkedFiles() {
        assertClean(Chart.lint(), "helm lint --strict " + Chart.DIR);
    }

    @Test
    void theCiValuesCoverTheMainCombinations() {
        assertThat(Chart.ciValues()).extracting(p -> p.getFileName().toString()).contains("default-values.yaml",
                "strimzi-values.yaml", "monitoring-values.yaml", "gpu-values.yaml", "kafka-tls-sasl-values.yaml",
                "training-values.yaml", "autoscaling-values.yaml");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ciValues")
    void everyCiValuesFileLintsStrictAndRenders(Path values) throws IOException {
        assertClean(Chart.lint(values, scratch), "helm lint --strict -f " + values.getFileName());
        Manifests m = Chart.template(values);
        assertThat(m.documents()).as(values.getFileName().toString()).isNotEmpty();
        assertThat(m.documents()).allSatisfy(d -> {
            assertThat(d).containsKeys("apiVersion", "kind", "metadata");
            assertThat((String) Yamls.at(d, "metadata.name")).matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?").hasSizeLessThanOrEqualTo(63);
        });
        assertThat(m.names()).as("no duplicate resources").doesNotHaveDuplicates();
    }

    @Test
    void packagingFollowsTheLinksAndCopiesTheirFiles() throws IOException {
        new Helm(Chart.DIR).packageIt().withDestination(scratch).call();
        Path tgz = scratch.resolve("eoscope-" + chartVersion() + ".tgz");
        Map<String, byte[]> entries = untar(tgz);
        assertThat(entries).containsKeys("eoscope/Chart.yaml", "eoscope/values.yaml", "eoscope/values.schema.json",
                "eoscope/templates/tests/test-gateway.yaml");
        assertThat(entries.get("eoscope/files/eoscope-rules.yaml")).as("the rules file, through its link")
                .isEqualTo(Files.readAllBytes(Chart.RULES));
        List<Path> dashboards = dashboards();
        for (Path d : dashboards) {
            assertThat(entries.get("eoscope/files/dashboards/" + d.getFileName())).as(d.toString())
                    .isEqualTo(Files.readAllBytes(d));
        }
        assertThat(entries.keySet().stream().filter(k -> k.startsWith("eoscope/files/dashboards/") && k.endsWith(".json")))
                .hasSize(dashboards.size());
    }

    static List<Path> dashboards() throws IOException {
        if (!Files.isDirectory(Chart.DASHBOARDS)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(Chart.DASHBOARDS)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        }
    }

    static String chartVersion() throws IOException {
        Map<String, Object> chart = Chart.yaml().load(Files.readString(Chart.DIR.resolve("Chart.yaml")));
        return String.valueOf(chart.get("version"));
    }

    /** Regular files of a gzipped ustar archive (what helm package writes); a link entry fails the test. */
    private static Map<String, byte[]> untar(Path tgz) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tgz))) {
            byte[] header = new byte[512];
            while (in.readNBytes(header, 0, 512) == 512 && header[0] != 0) {
                String name = field(header, 0, 100);
                String prefix = field(header, 345, 155);
                String full = prefix.isEmpty() ? name : prefix + "/" + name;
                long size = Long.parseLong(field(header, 124, 12).trim(), 8);
                char type = (char) header[156];
                assertThat(type).as(full + " is stored as a link, not its content").isNotIn('1', '2');
                byte[] data = in.readNBytes((int) size);
                in.readNBytes((int) ((512 - size % 512) % 512));
                if (type == '0' || type == 0) {
                    out.put(full, data);
                }
            }
        }
        return out;
    }

    private static String field(byte[] header, int offset, int length) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = offset; i < offset + length && header[i] != 0; i++) {
            b.write(header[i]);
        }
        return b.toString(StandardCharsets.UTF_8);
    }
}
