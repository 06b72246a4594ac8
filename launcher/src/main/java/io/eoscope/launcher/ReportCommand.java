package io.eoscope.launcher;

import io.eoscope.report.ReportException;
import io.eoscope.report.ReportRenderer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code eos report --dir DIR}: renders DIR/report.json and its CSVs again into DIR/report.html. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Renders an existing reproduction directory (report.json and its CSV files) into figures and report.html.")
public final class ReportCommand implements Callable<Integer> {

    @Option(names = "--dir", required = true, description = "the directory eos reproduce wrote")
    Path dir;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(dir.resolve("report.json"))) {
            throw new UsageException("--dir " + dir + ": has no report.json (run eos reproduce --out " + dir + ")");
        }
        try {
            System.out.println(ReportRenderer.render(dir).toAbsolutePath());
        } catch (ReportException e) {
            throw new UsageException("--dir " + dir + ": " + e.getMessage(), e);
        }
        return 0;
    }
}
