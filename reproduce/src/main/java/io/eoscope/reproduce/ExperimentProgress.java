package io.eoscope.reproduce;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * One progress bar per experiment on stderr (in per mille of its runs' work: training, then analysis);
 * off a terminal, one line every ten seconds and one when it ends.
 */
final class ExperimentProgress implements AutoCloseable {
    private static final long UNITS = 1000;
    private final boolean terminal = System.console() != null;
    private final PrintStream err;
    private final String name;
    private final int runs;
    private final long started = System.nanoTime();
    private ProgressBar bar;
    private long lastLine;
    private double done;
    private String current = "";

    ExperimentProgress(PrintStream err, String name, int runs) {
        this.err = err;
        this.name = name;
        this.runs = Math.max(1, runs);
        if (terminal) {
            bar = new ProgressBarBuilder().setTaskName(name).setInitialMax(UNITS * this.runs)
                    .setStyle(ProgressBarStyle.ASCII).setUnit("‰ of a run", 1).showSpeed()
                    .setConsumer(new ConsoleProgressBarConsumer(err)).build();
        }
    }

    /** Run {@code index} (0-based) named {@code label} is {@code fraction} done. */
    void update(int index, String label, double fraction) {
        done = index + Math.max(0, Math.min(1, fraction));
        current = label;
        if (bar != null) {
            bar.stepTo(Math.round(done * UNITS));
            bar.setExtraMessage(label);
        } else if (System.nanoTime() - lastLine > 10_000_000_000L) {
            lastLine = System.nanoTime();
            line();
        }
    }

    private void line() {
        err.printf(Locale.ROOT, "eos reproduce: %s %5.1f%% (%s, %.0f s)%n", name, 100 * done / runs, current,
                (System.nanoTime() - started) / 1e9);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        } else {
            line();
        }
    }
}
