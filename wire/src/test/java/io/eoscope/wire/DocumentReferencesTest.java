package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No file of the repository names a markdown document that the repository does not hold, and every citation
 * with an anchor (docs/science.md#solvers, say) points at a heading of that document. A user has only the repository: a help text, error message or comment that sends them to a
 * document they cannot open is a defect. Scans every text file under the repository root except build output
 * ({@code target}, {@code node_modules}, hidden folders); web addresses are left out, since they name other
 * sites' documents.
 */
class DocumentReferencesTest {
    /** A markdown file name, with an optional #anchor; the name is not part of a longer word or path segment. */
    private static final Pattern REFERENCE =
            Pattern.compile("(?<![A-Za-z0-9_.-])([A-Za-z0-9_-]+)\\.md(?![A-Za-z0-9_])(?:#([A-Za-z0-9_-]+))?");
    private static final Pattern URL = Pattern.compile("https?://\\S+");
    private static final Set<String> SKIPPED_DIRECTORIES = Set.of("target", "node_modules", "__pycache__");
    private static final long LARGEST_TEXT_FILE = 4L << 20;

    @Test
    void everyNamedMarkdownDocumentExistsWithItsAnchors() throws IOException {
        Path root = repositoryRoot();
        List<Path> files = files(root);
        Map<String, Set<String>> anchorsByName = new HashMap<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            if (name.endsWith(".md")) {
                anchorsByName.computeIfAbsent(name, n -> new HashSet<>()).addAll(anchors(Files.readString(f)));
            }
        }
        assertThat(anchorsByName).as("the repository's markdown documents").containsKeys("README.md", "science.md",
                "contracts.md");
        List<String> broken = new ArrayList<>();
        int references = 0;
        for (Path f : files) {
            String text = text(f);
            if (text == null) {
                continue;
            }
            String[] lines = URL.matcher(text).replaceAll(" ").split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                Matcher m = REFERENCE.matcher(lines[i]);
                while (m.find()) {
                    references++;
                    String name = m.group(1) + ".md";
                    String where = root.relativize(f) + ":" + (i + 1) + ": ";
                    Set<String> anchors = anchorsByName.get(name);
                    if (anchors == null) {
                        broken.add(where + name + " is not in the repository");
                    } else if (m.group(2) != null && !anchors.contains(m.group(2))) {
                        broken.add(where + name + " has no heading whose anchor is #" + m.group(2));
                    }
                }
            }
        }
        assertThat(references).as("markdown references found (the scan must see the code's citations)").isGreaterThan(50);
        assertThat(broken).as("references to markdown documents or anchors that the repository lacks").isEmpty();
    }

    /** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
    @Test
    void anchorsAreTheOnesGitHubGivesHeadings() {
        assertThat(anchors("# Top\n## The paper's claims\n### eos analyze JSON\n```\n## not a heading\n```\n### trajectory.csv\n"))
                .containsExactlyInAnyOrder("top", "the-papers-claims", "eos-analyze-json", "trajectorycsv");
    }

    /** The topmost folder, from the module's, that holds a pom.xml: the repository root. */
    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        Path root = null;
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml"))) {
                root = p;
            }
        }
        assertThat(root).as("a folder holding pom.xml above %s", dir).isNotNull();
        return root;
    }

    private static List<Path> files(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> root.relativize(p).getNameCount() == 1 || !skipped(root.relativize(p.getParent())))
                    .sorted()
                    .toList();
        }
    }

    private static boolean skipped(Path relativeDir) {
        for (Path part : relativeDir) {
            String name = part.toString();
            if (SKIPPED_DIRECTORIES.contains(name) || name.startsWith(".") && !name.equals(".ci")) {
                return true;
            }
        }
        return false;
    }

    /** The file as UTF-8 text, or null when it is binary (holds a zero byte) or too large to be source. */
    private static String text(Path file) throws IOException {
        if (Files.size(file) > LARGEST_TEXT_FILE) {
            return null;
        }
        byte[] bytes = Files.readAllBytes(file);
        for (byte b : bytes) {
            if (b == 0) {
                return null;
            }
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static Set<String> anchors(String markdown) {
        Set<String> out = new HashSet<>();
        boolean fenced = false;
        for (String line : markdown.split("\n")) {
            if (line.startsWith("```")) {
                fenced = !fenced;
            } else if (!fenced && line.matches("#{1,6} .*")) {
                String heading = line.replaceFirst("^#+ ", "").strip();
                out.add(heading.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
            }
        }
        return out;
    }
}
