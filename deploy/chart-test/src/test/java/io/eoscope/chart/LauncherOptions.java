package io.eoscope.chart;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The options the {@code eos} subcommands really have, read from the launcher's picocli sources. */
final class LauncherOptions {
    static final Path SOURCES = Chart.DEPLOY.resolve("../launcher/src/main/java/io/eoscope/launcher").normalize();
    private static final Pattern NAMES = Pattern.compile("@Option\\(names\\s*=\\s*(\\{[^}]*}|\"[^\"]*\")");
    private static final Pattern NAME = Pattern.compile("\"(-[^\"]+)\"");

    private LauncherOptions() {}

    /** Option names declared in these classes (a command and its mixins). */
    static Set<String> of(String... classes) throws IOException {
        Set<String> names = new TreeSet<>();
        for (String c : classes) {
            String source = Files.readString(SOURCES.resolve(c + ".java"));
            Matcher m = NAMES.matcher(source);
            while (m.find()) {
                Matcher n = NAME.matcher(m.group(1));
                while (n.find()) {
                    names.add(n.group(1));
                }
            }
        }
        if (names.isEmpty()) {
            throw new AssertionError("no @Option found in " + String.join(", ", classes) + " under " + SOURCES);
        }
        return names;
    }
}
