package io.eoscope.trainer.run;

import io.eoscope.curvature.io.InputException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before any work, that a directory the user named can be created and written: it is created
 * if missing, and a probe file is created in it and removed. The error names the option, the path and
 * the system's reason ("Not a directory", "Read-only file system", "No space left on device", …).
 */
public final class WritableDirectory {
    private WritableDirectory() {}

    /**
     * @param option the option that named {@code dir} (for the message), such as {@code --out}
     * @throws InputException {@code "<option> <dir>: cannot write there (<reason>)"}
     */
    public static void require(String option, Path dir) throws InputException {
        Path blocker = nonDirectoryAncestor(dir.toAbsolutePath().normalize());
        if (blocker != null) {
            throw new InputException(option + " " + dir + ": cannot write there (" + blocker + " is not a directory)");
        }
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".eos-probe-", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new InputException(option + " " + dir + ": cannot write there (" + reason(e) + ")");
        }
    }

    /** The first existing path on the way to {@code dir} (itself included) that is not a directory, or null. */
    private static Path nonDirectoryAncestor(Path dir) {
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                return Files.isDirectory(p) ? null : p;
            }
        }
        return null;
    }

    /** The system's reason of a failed file operation, without the path Java repeats. */
    static String reason(IOException e) {
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
