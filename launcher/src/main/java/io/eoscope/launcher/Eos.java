package io.eoscope.launcher;

import io.eoscope.curvature.io.InputException;
import java.io.PrintWriter;
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
            io.eoscope.launcher.reproduce.ReproduceCommand.class, io.eoscope.launcher.reproduce.ReportCommand.class,
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

    /** Runs the command line and returns the exit status (used by tests too). */
    static int execute(String... args) {
        CommandLine cli = new CommandLine(new Eos());
        cli.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            String name = ex.getCommandLine().getCommandSpec().qualifiedName();
            err.println(name + ": " + ex.getMessage() + (ex.getMessage().contains("--help") ? "" : " (see " + name + " --help)"));
            err.flush();
            return BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((ex, line, parsed) -> {
            PrintWriter err = line.getErr();
            if (ex instanceof InputException || ex instanceof IllegalArgumentException) {
                err.println(line.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
                err.flush();
                return BAD_INPUT;
            }
            if (ex instanceof io.eoscope.trainer.solve.TrainingStopped
                    || ex instanceof io.eoscope.curvature.eigen.EigenSolveException) {
                err.println(line.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
                err.flush();
                return INTERNAL;
            }
            err.println(line.getCommandSpec().qualifiedName() + ": internal error: " + ex
                    + (System.getenv("EOS_DEBUG") == null ? " (set EOS_DEBUG=1 for the stack trace)" : ""));
            if (System.getenv("EOS_DEBUG") != null) {
                ex.printStackTrace(err);
            }
            err.flush();
            return INTERNAL;
        });
        return cli.execute(args);
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
