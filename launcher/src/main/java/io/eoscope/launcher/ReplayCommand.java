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
            "bit-identical numbers. A snapshot that cannot be read or analysed is dead-lettered with the reason",
            "and the replay goes on; the exit status is then 1. Snapshots that have expired (--snapshot-retention)",
            "are named in a warning; when none is left the replay exits 1 saying which steps expired."})
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

    @Mixin
    LimitsOptions limits;

    @Override
    public Integer call() throws Exception {
        KafkaSettings settings = kafka.required();
        if (from < 0 || from > to) {
            throw new UsageException("need 0 ≤ --from-step ≤ --to-step, got " + from + " and " + to);
        }
        if (analysis.analysisId.equals("default")) {
            analysis.analysisId = "replay-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        }
        io.eoscope.analyzer.AnalyzerConfig config = analysis.config();
        io.eoscope.analyzer.AnalyzerLimits bounds = limits.limits();
        kafka.reach(settings, "eos-replay"); // an unreachable cluster is said as such, before the topics are read
        ProgressBar[] bar = new ProgressBar[1];
        Replay.Result r;
        try {
            r = Replay.run(settings, config, bounds, run, from, to, (done, total) -> {
                if (bar[0] == null) {
                    bar[0] = new ProgressBarBuilder().setTaskName("replay " + run).setInitialMax(total)
                            .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
                }
                bar[0].stepTo(done);
            });
        } catch (Replay.SnapshotsExpired e) {
            closeBar(bar);
            System.err.println("eos replay: " + e.getMessage()); // not the user's mistake: the snapshots are gone
            return Eos.INTERNAL;
        } catch (Replay.NothingToReplay e) {
            throw new UsageException(e.getMessage(), e);
        } finally {
            closeBar(bar);
        }
        System.err.println("eos replay: " + r.analysed() + " snapshots of " + run + " analysed as '" + analysis.analysisId
                + "' into " + settings.topics().metrics());
        r.warning().ifPresent(w -> System.err.println("eos replay: warning: " + w));
        if (r.failed() > 0) {
            System.err.println("eos replay: " + r.failed() + " could not be analysed and went to " + settings.topics().deadletter()
                    + ", for example: " + r.failures().get(0));
            return Eos.INTERNAL;
        }
        return 0;
    }

    private static void closeBar(ProgressBar[] bar) {
        if (bar[0] != null) {
            bar[0].close();
            bar[0] = null;
        }
    }
}
