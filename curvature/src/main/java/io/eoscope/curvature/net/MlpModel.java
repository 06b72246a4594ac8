package io.eoscope.curvature.net;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Host-side (plain Java, float64) description and parameters of an MLP with L affine layers
 * (docs/science.md#network-and-loss). {@code widths} holds d_0 (input) … d_L (= C, the number of outputs);
 * {@code weights.get(l)} is Aˡ⁺¹ row-major with shape [d_{l+1}, d_l], {@code biases.get(l)} is bˡ⁺¹.
 *
 * @param widths d_0 … d_L
 * @param activation hidden nonlinearity
 * @param loss per-sample criterion
 * @param weights per layer, row-major [d_l, d_{l-1}]
 * @param biases per layer, [d_l]
 * @param metadata the safetensors metadata this model came with (run, step, time, …), never null
 * @param optimizerState the optimizer's state tensors by name (see {@link ModelState#optimizerState()}), never null
 */
public record MlpModel(int[] widths, Activation activation, Loss loss, List<double[]> weights,
        List<double[]> biases, Map<String, String> metadata, Map<String, double[]> optimizerState) implements ModelState {

    /** A model without optimizer state. */
    public MlpModel(int[] widths, Activation activation, Loss loss, List<double[]> weights, List<double[]> biases,
            Map<String, String> metadata) {
        this(widths, activation, loss, weights, biases, metadata, Map.of());
    }

    /** Validates shapes; every file reader and initialiser goes through here. */
    public MlpModel {
        if (widths.length < 2) {
            throw new IllegalArgumentException("an MLP needs at least one layer");
        }
        for (int w : widths) {
            if (w <= 0) {
                throw new IllegalArgumentException("layer widths must be positive: " + Arrays.toString(widths));
            }
        }
        int layers = widths.length - 1;
        if (weights.size() != layers || biases.size() != layers) {
            throw new IllegalArgumentException("expected " + layers + " weight and bias tensors");
        }
        for (int l = 0; l < layers; l++) {
            if (weights.get(l).length != (long) widths[l + 1] * widths[l] || biases.get(l).length != widths[l + 1]) {
                throw new IllegalArgumentException("layer " + (l + 1) + " has the wrong number of values");
            }
        }
        widths = widths.clone();
        weights = List.copyOf(weights);
        biases = List.copyOf(biases);
        metadata = Map.copyOf(metadata);
        optimizerState = Map.copyOf(optimizerState);
    }

    /** L, the number of affine layers. */
    public int layers() {
        return widths.length - 1;
    }

    /** d_0. */
    public int inputWidth() {
        return widths[0];
    }

    /** C = d_L. */
    public int classes() {
        return widths[widths.length - 1];
    }

    /** P, the number of parameters. */
    public long parameterCount() {
        long p = 0;
        for (int l = 0; l < layers(); l++) {
            p += (long) widths[l + 1] * widths[l] + widths[l + 1];
        }
        return p;
    }

    /** The widths as an architecture string, for example {@code 784-512-512-10}. */
    public String architecture() {
        StringBuilder sb = new StringBuilder();
        for (int w : widths) {
            sb.append(sb.length() == 0 ? "" : "-").append(w);
        }
        return sb.toString();
    }

    /** A copy with other metadata (and the same optimizer state). */
    public MlpModel withMetadata(Map<String, String> newMetadata) {
        return new MlpModel(widths, activation, loss, weights, biases, newMetadata, optimizerState);
    }

    /** A copy with other optimizer state tensors (see {@link ModelState#optimizerState()}). */
    public MlpModel withOptimizerState(Map<String, double[]> newState) {
        return new MlpModel(widths, activation, loss, weights, biases, metadata, newState);
    }

    /** {@link Init#XAVIER}, the default initialisation: see {@link #initialise(int[], Activation, Loss, Init, long)}. */
    public static MlpModel initialise(int[] widths, Activation activation, Loss loss, long seed) {
        return initialise(widths, activation, loss, Init.XAVIER, seed);
    }

    /**
     * A fresh network initialised by {@code init} (docs/science.md#initialisation), deterministic in {@code seed};
     * the scheme is recorded in the metadata as {@code init}.
     */
    public static MlpModel initialise(int[] widths, Activation activation, Loss loss, Init init, long seed) {
        Random random = new Random(seed);
        List<double[]> w = new java.util.ArrayList<>();
        List<double[]> b = new java.util.ArrayList<>();
        for (int l = 0; l + 1 < widths.length; l++) {
            double[] a = new double[widths[l + 1] * widths[l]];
            double[] bias = new double[widths[l + 1]];
            init.fill(a, bias, widths[l], widths[l + 1], random);
            w.add(a);
            b.add(bias);
        }
        return new MlpModel(widths, activation, loss, w, b, Map.of("init", init.id()));
    }

    /** Parses an architecture string such as {@code 784-512-512-10}. */
    public static int[] parseArchitecture(String text) {
        String[] parts = text.trim().split("-");
        int[] widths = new int[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                widths[i] = Integer.parseInt(parts[i].trim());
                if (widths[i] <= 0) {
                    throw new NumberFormatException();
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("architecture '" + text + "' is not a list of positive widths like 784-512-10");
        }
        if (widths.length < 2) {
            throw new IllegalArgumentException("architecture '" + text + "' needs an input and an output width");
        }
        return widths;
    }
}
