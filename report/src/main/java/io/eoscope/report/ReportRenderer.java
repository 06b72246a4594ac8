package io.eoscope.report;

import java.io.IOException;
import java.nio.file.Path;

/** Renders a reproduction report directory into PNG figures and one self-contained HTML page. */
public final class ReportRenderer {
  private ReportRenderer() {}

  /**
   * Reads {@code dir/report.json}, writes {@code dir/figures/<id>.png} for every figure and
   * {@code dir/report.html}.
   *
   * @param dir the report directory
   * @return the path of the written {@code report.html}
   * @throws IOException on an I/O failure
   * @throws ReportException when the report description or one of its files is unusable
   */
  public static Path render(Path dir) throws IOException, ReportException {
    throw new ReportException("not implemented yet: " + dir);
  }
}
