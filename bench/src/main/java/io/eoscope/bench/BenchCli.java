package io.eoscope.bench;

import java.io.PrintWriter;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The command line shared by the benchmark harnesses: picocli parses the options of a harness, prints
 * {@code --help}, and reports a bad option or value in one line followed by the usage, with exit code 2.
 */
final class BenchCli {

    private BenchCli() {
    }

    /** Options every harness takes. */
    static final class Common {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "this text")
        boolean help;

        @Option(names = "--threads", paramLabel = "T",
                description = "libtorch intra-op threads (default: $OMP_NUM_THREADS, else 2)")
        Integer threads;

        @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "seed (default: ${DEFAULT-VALUE})")
        long seed;

        int threads() {
            if (threads != null) {
                return positive("--threads", threads);
            }
            String env = System.getenv("OMP_NUM_THREADS");
            return env != null && env.matches("\\d+") && Integer.parseInt(env) > 0 ? Integer.parseInt(env) : 2;
        }
    }

    /**
     * Parses {@code args} into {@code options} and builds the harness's configuration from them.
     *
     * @return the configuration, or null when help was asked for (and printed)
     */
    static <C> C parse(String[] args, Object options, Supplier<C> config) {
        CommandLine cli = new CommandLine(options);
        try {
            cli.parseArgs(args);
            if (cli.isUsageHelpRequested()) {
                cli.usage(System.out);
                return null;
            }
            return config.get();
        } catch (CommandLine.ParameterException | IllegalArgumentException e) {
            PrintWriter err = new PrintWriter(System.err, true);
            err.println(cli.getCommandName() + ": " + e.getMessage());
            cli.usage(err);
            System.exit(2);
            return null;
        }
    }

    static int positive(String option, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(option + " must be a positive integer, got " + value);
        }
        return value;
    }
}
