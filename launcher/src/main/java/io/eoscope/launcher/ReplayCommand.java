package io.eoscope.launcher;

import io.eoscope.analyzer.Replay;
import io.eoscope.wire.KafkaSettings;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code eos replay}: re-analyses a stored run from Kafka under a new analysis id. */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reads a run's snapshots and dataset back from Kafka and re-analyses them (any analysis",
            "options) under a new analysis id, publishing to the metrics topic. Same options on the CPU give",
            "bit-identical numbers."})
final class ReplayCommand implements Callable<Integer> {

    @Option(names = "--run", required = true, description = "the run to re-analyse")
    String run;

    @Option(names = "--from-step", defaultValue = "0", description = "first step (default: ${DEFAULT-VALUE})")
    long from;

    @Option(names = "--to-step", defaultValue = "9223372036854775807", description = "last step (default: the last)")
    long to;

    @Mixin
    KafkaOptions kafka;

    @Mixin
    ServiceOptions analysis;

    @Override
    public Integer call() throws Exception {
        KafkaSettings settings = kafka.required();
        if (from > to) {
            throw new IllegalArgumentException("--from-step " + from + " is after --to-step " + to);
        }
        if (analysis.analysisId.equals("default")) {
            analysis.analysisId = "replay-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        }
        ProgressBar[] bar = new ProgressBar[1];
        Replay.Result r;
        try {
            r = Replay.run(settings, analysis.config(), run, from, to, (done, total) -> {
                if (bar[0] == null) {
                    bar[0] = new ProgressBarBuilder().setTaskName("replay " + run).setInitialMax(total)
                            .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
                }
                bar[0].stepTo(done);
            });
        } finally {
            if (bar[0] != null) {
                bar[0].close();
            }
        }
        System.err.println("eos replay: " + r.analysed() + " snapshots of " + run + " analysed as '" + analysis.analysisId
                + "' into " + settings.topics().metrics()
                + (r.skippedBadRecords() > 0 ? " (" + r.skippedBadRecords() + " unreadable records skipped)" : ""));
        return 0;
    }
}
