package io.eoscope.curvature.io;

import static io.eoscope.curvature.io.IoTesting.assertInputError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes replace their target atomically and leave nothing behind when they fail. */
class AtomicFilesTest {
    private static final SafetensorsFile SMALL = new SafetensorsFile(
            Map.of("a", Tensor.ofDoubles(DType.F64, new long[] {2}, new double[] {1, 2})), Map.of("k", "v"));

    @TempDir
    Path dir;

    @Test
    void failedWriteUnderAFileLeavesNoPartialOrTemporaryFile() throws Exception {
        Path blocker = dir.resolve("file");
        Files.writeString(blocker, "x");
        Path target = blocker.resolve("model.safetensors");
        assertInputError(() -> Safetensors.write(target, SMALL), target, "cannot write (");
        assertThat(names(dir)).containsExactly("file");
        assertThat(Files.readString(blocker)).isEqualTo("x");
    }

    @Test
    void failedWriteIntoAMissingDirectoryCreatesNothing() throws Exception {
        Path target = dir.resolve("missing").resolve("m.safetensors");
        assertInputError(() -> Safetensors.write(target, SMALL), target, "cannot write (no such directory)");
        assertThat(names(dir)).isEmpty();
    }

    @Test
    void refusesToReplaceADirectory() throws Exception {
        Path target = dir.resolve("out");
        Files.createDirectories(target.resolve("inside"));
        assertInputError(() -> Safetensors.write(target, SMALL), target, "cannot write (it is a directory)");
        assertThat(names(dir)).containsExactly("out");
        assertThat(names(target)).containsExactly("inside");
    }

    @Test
    void failedWriteInAReadOnlyDirectoryKeepsTheOldFile() throws Exception {
        Path target = dir.resolve("m.safetensors");
        Safetensors.write(target, new SafetensorsFile(Map.of()));
        byte[] before = Files.readAllBytes(target);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-x------"));
        try {
            assumeFalse(Files.isWritable(dir), "running as root: permissions are not enforced");
            assertInputError(() -> Safetensors.write(target, SMALL), target, "cannot write (permission denied)");
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        assertThat(Files.readAllBytes(target)).isEqualTo(before);
        assertThat(names(dir)).containsExactly("m.safetensors");
    }

    @Test
    void replacesAnExistingFileWholeAndLeavesNoTemporaryFile() throws Exception {
        Path target = dir.resolve("m.safetensors");
        Files.writeString(target, "old content that is longer than the new file will be ".repeat(20));
        Safetensors.write(target, SMALL);
        assertThat(Files.readAllBytes(target)).isEqualTo(Safetensors.encode(SMALL));
        assertThat(Safetensors.read(target)).isEqualTo(SMALL);
        assertThat(names(dir)).containsExactly("m.safetensors");
    }

    @Test
    void writesWithTheDefaultPermissionsNotThoseOfATemporaryFile() throws Exception {
        Path plain = Files.createFile(dir.resolve("plain"));
        Path target = dir.resolve("m.safetensors");
        Safetensors.write(target, SMALL);
        assertThat(Files.getPosixFilePermissions(target)).isEqualTo(Files.getPosixFilePermissions(plain));
    }

    @Test
    void writesToARelativePath() throws Exception {
        Path relative = Path.of("target", "atomic-files-test-" + ProcessHandle.current().pid() + ".safetensors");
        Files.createDirectories(relative.getParent());
        try {
            Safetensors.write(relative, SMALL);
            assertThat(Safetensors.read(relative)).isEqualTo(SMALL);
        } finally {
            Files.deleteIfExists(relative);
        }
    }

    private static List<String> names(Path directory) throws Exception {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }
}
