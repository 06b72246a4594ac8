package io.eoscope.trainer.run;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.curvature.io.InputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory under a regular file can never be created, whoever runs the test (CI runs as root, for
 * whom a chmod'ed read-only directory is still writable): the error names the option, the path and why.
 */
class WritableDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void aPathUnderAFileIsRefusedWithTheReason() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> WritableDirectory.require("--out", file.resolve("sub")))
                .isInstanceOf(InputException.class)
                .hasMessage("--out " + file.resolve("sub") + ": cannot write there (" + file + " is not a directory)");
        assertThatThrownBy(() -> WritableDirectory.require("--out", file))
                .hasMessage("--out " + file + ": cannot write there (" + file + " is not a directory)");
        // /proc is read-only for everyone, root included
        assertThatThrownBy(() -> WritableDirectory.require("--data-dir", Path.of("/proc/eos-test")))
                .isInstanceOf(InputException.class).hasMessageStartingWith("--data-dir /proc/eos-test: cannot write there (");
    }

    @Test
    void aWritableDirectoryIsCreatedAndLeftEmpty() throws Exception {
        WritableDirectory.require("--out", dir.resolve("a/b"));
        try (var s = Files.list(dir.resolve("a/b"))) {
            org.assertj.core.api.Assertions.assertThat(s).isEmpty();
        }
    }
}
