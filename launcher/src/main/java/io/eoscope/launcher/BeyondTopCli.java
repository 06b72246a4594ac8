package io.eoscope.launcher;

import io.eoscope.curvature.analysis.BeyondTopOptions;
import io.eoscope.curvature.spectrum.DensityOptions;
import io.eoscope.curvature.spectrum.TraceOptions;
import picocli.CommandLine.Option;

/** The options of the spectral density and the traces, shared by {@code eos analyze} and the analysis services. */
final class BeyondTopCli {
    private static final DensityOptions DENSITY = DensityOptions.defaults();
    private static final TraceOptions TRACE = TraceOptions.defaults();

    @Option(names = "--density", description = "the spectral density of 𝓗 and G by stochastic Lanczos quadrature "
            + "(docs/science.md#spectral-density)")
    boolean density;

    @Option(names = "--density-probes", paramLabel = "N", description = "the density's random probes (default: "
            + "${DEFAULT-VALUE})")
    int probes = DENSITY.probes();

    @Option(names = "--density-steps", paramLabel = "M", description = "Lanczos steps per probe of the density (default: "
            + "${DEFAULT-VALUE})")
    int steps = DENSITY.steps();

    @Option(names = "--trace", description = "tr(𝓗) by Hutch++ and tr(G) with each layer's tr(Gˡ), exactly for an MLP "
            + "(docs/science.md#trace)")
    boolean trace;

    @Option(names = "--trace-products", paramLabel = "P", description = "operator products of each Hutch++ trace (default: "
            + "${DEFAULT-VALUE})")
    int traceProducts = TRACE.products();

    /** What the options ask for, computed on every {@code every}-th snapshot; a bad value names its option. */
    BeyondTopOptions options(int every, long seed) {
        return UsageException.fromOptions(() -> {
            DensityOptions d = new DensityOptions(probes, steps, seed);
            TraceOptions t = new TraceOptions(traceProducts, TRACE.coverage(), seed);
            return new BeyondTopOptions(density ? d : null, trace ? t : null, every);
        });
    }
}
