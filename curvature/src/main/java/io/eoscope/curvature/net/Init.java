package io.eoscope.curvature.net;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * The two initialisation schemes of docs/science.md#initialisation. Both are deterministic in the seed: layer by
 * layer, the weights (row-major) and then the biases are drawn from one {@link Random}.
 */
public enum Init {
    /**
     * The first author's reimplementation: weights Xavier-normal with gain √2, std = √2·√(2/(fan_in + fan_out));
     * biases 0. On wide image inputs it starts at a sharpness of 10³–10⁴.
     */
    XAVIER("xavier"),
    /**
     * PyTorch's {@code nn.Linear} default (what the EoS literature's reference code trains): weights and
     * biases uniform in (−1/√fan_in, 1/√fan_in).
     */
    PYTORCH("pytorch");

    private final String id;

    Init(String id) {
        this.id = id;
    }

    /** The name used in files and on the command line. */
    public String id() {
        return id;
    }

    /** Parses a file or command-line name; the message names the option and the accepted names. */
    public static Init parse(String name) {
        for (Init i : values()) {
            if (i.id.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
                return i;
            }
        }
        throw new IllegalArgumentException("--init must be one of " + Arrays.toString(Arrays.stream(values()).map(Init::id).toArray())
                + ", got '" + name + "'");
    }

    /** Fills the weights [fanOut·fanIn] and biases [fanOut] of one layer. */
    void fill(double[] weights, double[] biases, int fanIn, int fanOut, Random random) {
        switch (this) {
            case XAVIER -> {
                double std = Math.sqrt(2.0) * Math.sqrt(2.0 / (fanIn + fanOut));
                for (int i = 0; i < weights.length; i++) {
                    weights[i] = std * random.nextGaussian();
                }
                Arrays.fill(biases, 0);
            }
            case PYTORCH -> {
                double bound = 1 / Math.sqrt(fanIn);
                for (int i = 0; i < weights.length; i++) {
                    weights[i] = bound * (2 * random.nextDouble() - 1);
                }
                for (int i = 0; i < biases.length; i++) {
                    biases[i] = bound * (2 * random.nextDouble() - 1);
                }
            }
        }
    }
}
