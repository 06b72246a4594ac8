package io.eoscope.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * deploy/prometheus: promtool check rules and promtool test rules (Debian package prometheus), and that the rules test
 * covers every recording rule.
 */
@Tag("integration")
class PrometheusRulesTest {
    static final Path RULES = Path.of("..", "deploy", "prometheus").toAbsolutePath().normalize();

    @Test
    void rulesAreValidAndTheirUnitTestsPass() throws Exception {
        // without the package the test is skipped with this reason; .ci/run sets EOS_REQUIRE_TOOLS, so there it fails instead
        assumeTrue(java.nio.file.Files.exists(Path.of("/usr/bin/promtool")) || System.getenv("EOS_REQUIRE_TOOLS") != null,
                "skipped: promtool is not installed (apt-get install prometheus; .ci/run installs it)");
        assertThat(Path.of("/usr/bin/promtool")).as("promtool, from the Debian package prometheus (.ci/run installs it)").exists();
        String check = promtool("check", "rules", "eoscope-rules.yaml");
        assertThat(check).contains("SUCCESS: 25 rules found"); // 7 alerts, 18 recording rules (eoscope-fleet)
        String test = promtool("test", "rules", "eoscope-rules-test.yaml");
        assertThat(test).contains("SUCCESS").doesNotContain("FAILED");
    }

    /** Every recording rule of eoscope-fleet has its expected values in the promtool test: no recorded series goes untested. */
    @Test
    void everyRecordedSeriesIsCheckedByTheRulesTest() throws Exception {
        Set<String> recorded = new TreeSet<>();
        for (String line : Files.readAllLines(RULES.resolve("eoscope-rules.yaml"))) {
            if (line.strip().startsWith("- record:")) {
                recorded.add(line.strip().substring("- record:".length()).strip());
            }
        }
        assertThat(recorded).hasSize(13).allMatch(name -> name.startsWith("eos:"));
        Set<String> tested = new TreeSet<>();
        Pattern name = Pattern.compile("eos:[a-z0-9_]+:[a-z0-9_]+");
        for (String line : Files.readAllLines(RULES.resolve("eoscope-rules-test.yaml"))) {
            if (line.strip().startsWith("- expr:")) {
                Matcher m = name.matcher(line);
                while (m.find()) {
                    tested.add(m.group());
                }
            }
        }
        assertThat(tested).as("recorded series with a promql_expr_test case").containsAll(recorded);
    }

    private static String promtool(String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = "/usr/bin/promtool";
        System.arraycopy(args, 0, command, 1, args.length);
        Process p = new ProcessBuilder(command).directory(RULES.toFile()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
