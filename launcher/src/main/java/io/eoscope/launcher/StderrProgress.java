package io.eoscope.launcher;

import io.eoscope.curvature.analysis.AnalysisProgress;
import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Analysis progress on stderr (never stdout, which carries the JSON): a progress bar per stage on a
 * terminal, one summary line per finished stage otherwise (logs, CI).
 */
final class StderrProgress implements AnalysisProgress, AutoCloseable {
    private final boolean quiet;
    private final boolean terminal = System.console() != null;
    private final PrintStream err = System.err;
    private final long started = System.nanoTime();
    private String stage;
    private long lastDone;
    private ProgressBar bar;

    StderrProgress(boolean quiet) {
        this.quiet = quiet;
    }

    @Override
    public void update(String newStage, long done, long total) {
        if (quiet) {
            return;
        }
        if (!newStage.equals(stage)) {
            finishStage();
            stage = newStage;
            if (terminal) {
                bar = new ProgressBarBuilder().setTaskName(label(newStage)).setInitialMax(total)
                        .setStyle(ProgressBarStyle.ASCII).setUnit(total < 0 ? " products" : " steps", 1)
                        .setConsumer(new ConsoleProgressBarConsumer(err)).build();
            }
        }
        lastDone = done;
        if (bar != null) {
            bar.stepTo(done);
        }
    }

    private static String label(String stage) {
        switch (stage) {
            case "hessian":
                return "Hessian";
            case "gauss_newton":
                return "Gauss-Newton";
            case "residual":
                return "residual H";
            default:
                return stage;
        }
    }

    private void finishStage() {
        if (stage == null) {
            return;
        }
        if (bar != null) {
            bar.close();
            bar = null;
        } else {
            err.printf("eos analyze: %s done (%d %s, %.1f s elapsed)%n", label(stage), lastDone,
                    stage.equals("alignment") ? "steps" : "products", (System.nanoTime() - started) / 1e9);
        }
        stage = null;
    }

    @Override
    public void close() {
        if (!quiet) {
            finishStage();
        }
    }
}
