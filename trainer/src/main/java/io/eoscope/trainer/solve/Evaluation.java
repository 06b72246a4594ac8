package io.eoscope.trainer.solve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.HostArrays;
import io.eoscope.curvature.net.Network;

/** Loss and accuracy of a network over a whole dataset, in chunks. */
public final class Evaluation {
    private Evaluation() {}

    /** {L̃(θ), accuracy}. */
    public static double[] lossAndAccuracy(Network network, DeviceData data) {
        double loss = 0;
        double correct = 0;
        for (int c = 0; c < data.chunks(); c++) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray logits = network.logits(data.inputs(c));
                NDArray targets = data.targets(c);
                loss += HostArrays.scalar(network.model().loss().perSample(logits, targets).sum());
                correct += HostArrays.scalar(logits.argMax(1).eq(targets.argMax(1)).sum());
            }
        }
        return new double[] {loss / data.size(), correct / data.size()};
    }
}
