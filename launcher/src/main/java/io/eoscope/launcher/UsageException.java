package io.eoscope.launcher;

import java.util.function.Supplier;

/**
 * The user's mistake: a bad option, a bad combination of options, or a path or port the command cannot use.
 * The message is one line naming the option (or file) and the problem; {@code eos} prints it and exits with
 * status 2. Only this, {@link io.eoscope.curvature.io.InputException} (a bad file) and picocli's own parse
 * errors mean "bad input": any other exception, an {@link IllegalArgumentException} included, is an internal
 * failure (status 1, logged with its stack trace), never reported as the user's fault.
 */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message one line naming the option and the problem */
    public UsageException(String message) {
        super(message);
    }

    /** @param message one line naming the option and the problem; {@code cause} the underlying failure */
    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Builds a configuration record from the user's options. The project's configuration records (such as
     * {@code RunConfig}, {@code AnalyzerConfig}, {@code GatewayConfig}) validate in their constructors and throw
     * an {@link IllegalArgumentException} whose message names the option; here, and only around such a
     * construction, that is the user's mistake.
     */
    public static <T> T fromOptions(Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }
}
