package io.eoscope.report;

/**
 * A report directory that cannot be rendered: a missing or malformed {@code report.json}, a
 * missing required key, a missing CSV file or column, or a figure with no plottable point. The
 * message names the offending file and key.
 */
public final class ReportException extends Exception {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the file and the key */
    public ReportException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong, naming the file and the key
     * @param cause the underlying parse or I/O failure
     */
    public ReportException(String message, Throwable cause) {
        super(message, cause);
    }
}
