package io.eoscope.curvature.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files so that nothing half-written is ever visible: the bytes go to a temporary file in
 * the target's directory, are forced to disk, and the temporary file is renamed over the target
 * (atomically where the file system can). On any failure the temporary file is removed and the
 * target is left as it was.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /**
     * Replaces {@code path} with {@code bytes} atomically.
     *
     * @throws InputException "{@code <path>: cannot write (<reason>)"} if the file cannot be written
     */
    public static void write(Path path, byte[] bytes) throws InputException {
        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || target.getFileName() == null) {
            throw new InputException(path + ": cannot write (not a file path)");
        }
        if (Files.isDirectory(target)) {
            throw new InputException(path + ": cannot write (it is a directory)");
        }
        Path tmp = null;
        try {
            tmp = createTemporary(dir, target.getFileName().toString());
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    out.write(b);
                }
                out.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new InputException(path + ": cannot write (" + reason(e) + ")", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the write already failed; that failure is the one to report
                }
            }
        }
    }

    /** A new empty file {@code .<name>.<random>.tmp} in {@code dir}, with the default permissions. */
    private static Path createTemporary(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                if (attempt == 100) {
                    throw e;
                }
            }
        }
    }

    /** A short reason for an I/O failure, without repeating the path. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such directory";
        } else if (e instanceof AccessDeniedException) {
            return "permission denied";
        } else if (e instanceof NotDirectoryException) {
            return "a parent is not a directory";
        } else if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return Messages.firstLine(fs.getReason());
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : Messages.firstLine(e.getMessage());
    }
}
