package io.eoscope.curvature.testing;

import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.io.SafetensorsFile;
import io.eoscope.curvature.io.ScriptedFile;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.ScriptedParameters;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The TorchScript fixtures of {@code src/test/resources/torchscript}, written by its {@code make_fixtures.py}
 * with PyTorch (float64): a module (traced in float64, and in float32 beside it), a snapshot of its parameters, a dataset and dense references.
 */
public record TorchScriptFixtures(byte[] module, ScriptedParameters parameters, LabeledData data, SafetensorsFile reference) {

    /** The fixture {@code name} ({@code cnn}, {@code resnet} or {@code mlp}). */
    public static TorchScriptFixtures load(String name) {
        try {
            return new TorchScriptFixtures(Files.readAllBytes(path(name + ".pt")), ScriptedFile.read(path(name + ".safetensors")),
                    DatasetFile.read(path(name + "-data.safetensors")), Safetensors.read(path(name + "-reference.safetensors")));
        } catch (IOException | InputException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The fixture's module traced in float32 ({@code NAME-float32.pt}). */
    public static byte[] moduleFloat32(String name) {
        try {
            return Files.readAllBytes(path(name + "-float32.pt"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A reference vector ({@code v}, {@code hv}, {@code gv}, {@code rv}, {@code tops}, {@code group_tops}, {@code loss}). */
    public double[] ref(String key) {
        return reference.tensors().get(key).toDoubles();
    }

    /** The names of the reference's parameter groups, in order. */
    public List<String> groups() {
        return List.of(reference.metadata().get("groups").split(","));
    }

    /** A fixture file. */
    public static Path path(String file) {
        try {
            return Path.of(TorchScriptFixtures.class.getResource("/torchscript/" + file).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
