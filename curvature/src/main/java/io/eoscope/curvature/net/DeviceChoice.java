package io.eoscope.curvature.net;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/** {@code --device auto|cpu|gpu}: where the tensors live. */
public enum DeviceChoice {
    /** The first GPU libtorch can see, else the CPU. */
    AUTO,
    CPU,
    /** The first GPU; an error when there is none (for example with the CPU build of libtorch). */
    GPU;

    /** Parses {@code auto}, {@code cpu} or {@code gpu}. */
    public static DeviceChoice parse(String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--device must be auto, cpu or gpu, got '" + text + "'");
        }
    }

    /** The DJL device for this choice. */
    public Device resolve() {
        int gpus = Engine.getEngine("PyTorch").getGpuCount();
        switch (this) {
            case CPU:
                return Device.cpu();
            case GPU:
                if (gpus == 0) {
                    throw new IllegalArgumentException("--device gpu: libtorch sees no CUDA device"
                            + " (this build uses the CPU libtorch; rebuild with 'mvn -Pcuda package' on a GPU machine)");
                }
                return Device.gpu();
            default:
                return gpus > 0 ? Device.gpu() : Device.cpu();
        }
    }
}
