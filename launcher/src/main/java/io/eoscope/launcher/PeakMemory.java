package io.eoscope.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** The peak resident memory of this process (Linux's {@code VmHWM}), which {@code eos analyze} reports. */
final class PeakMemory {
    private PeakMemory() {}

    /** The most resident memory this process has held, in MiB; empty where /proc/self/status is not there (not Linux). */
    static OptionalLong mebibytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }
}
