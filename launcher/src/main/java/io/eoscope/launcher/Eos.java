package io.eoscope.launcher;

import io.eoscope.broker.BrokerConflictException;
import io.eoscope.curvature.io.InputException;
import java.io.PrintWriter;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code eos} command line. Exit status 0 on success; 2 on bad input or options, with one line on
 * stderr naming the file, field or option; 1 on an internal failure (docs/contracts.md#exit-status).
 */
@Command(name = "eos", mixinStandardHelpOptions = true, versionProvider = Eos.Version.class,
        description = "eoscope: watch the curvature of neural-network training (edge of stability).",
        subcommands = {DemoCommand.class, BrokerCommand.class, AnalyzeCommand.class, TrainCommand.class, DatasetCommand.class,
            TrainerCommand.class, AnalyzerCommand.class, GatewayCommand.class, ReplayCommand.class,
            ReproduceCommand.class, ReportCommand.class,
            CommandLine.HelpCommand.class})
public final class Eos implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Exit status for bad input or options. */
    static final int BAD_INPUT = 2;
    /** Exit status for an internal failure. */
    static final int INTERNAL = 1;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (see eos --help)");
    }

    public static void main(String[] args) {
        if ("json".equals(System.getenv("EOS_LOG_FORMAT")) && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-json.xml"); // before the first logger exists
        }
        System.exit(execute(args));
    }

    /** Runs the command line on the process' stdout and stderr and returns the exit status. */
    static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /**
     * Runs the command line and returns the exit status; picocli's help and the one-line errors go to {@code out}
     * and {@code err} (tests read them). Exit 2 only for the user's mistakes: picocli's parse errors, a
     * {@link UsageException} (an option), an {@link InputException} (a file) and a {@link BrokerConflictException} (a data
     * directory or port of {@code eos broker} in use). Anything else is an internal
     * failure: exit 1, one line on {@code err}, the stack trace in the log.
     */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        return commandLine(out, err).execute(args);
    }

    /** The command line with its exit-status mapping (see {@link #execute(PrintWriter, PrintWriter, String...)}). */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return withExitStatuses(new CommandLine(new Eos()), out, err);
    }

    /** Gives {@code cli} and its subcommands the exit-status mapping and the streams. */
    static CommandLine withExitStatuses(CommandLine cli, PrintWriter out, PrintWriter err) {
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((ex, a) -> {
            String name = ex.getCommandLine().getCommandSpec().qualifiedName();
            err.println(name + ": " + ex.getMessage() + (ex.getMessage().contains("--help") ? "" : " (see " + name + " --help)"));
            err.flush();
            return BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((ex, line, parsed) -> {
            PrintWriter to = err;
            String name = line.getCommandSpec().qualifiedName();
            try {
                if (ex instanceof UsageException || ex instanceof InputException || ex instanceof BrokerConflictException) {
                    to.println(name + ": " + ex.getMessage());
                    return BAD_INPUT;
                }
                if (ex instanceof io.eoscope.trainer.solve.TrainingStopped
                        || ex instanceof io.eoscope.curvature.eigen.EigenSolveException
                        || ex instanceof io.eoscope.wire.BrokerUnreachableException) {
                    to.println(name + ": " + ex.getMessage());
                    return INTERNAL;
                }
                // the logger is made here, not at class load: main chooses the log format first
                LoggerFactory.getLogger(Eos.class).error("{}: internal error", name, ex);
                to.println(name + ": internal error: " + ex + " (the log above has the stack trace)");
                return INTERNAL;
            } finally {
                to.flush();
            }
        });
        return cli;
    }

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Eos.class.getPackage().getImplementationVersion();
            return new String[] {"eoscope " + (v == null ? "development build" : v)};
        }
    }
}
