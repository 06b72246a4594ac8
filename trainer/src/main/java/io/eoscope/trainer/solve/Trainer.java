package io.eoscope.trainer.solve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.eigen.EigenOptions;
import io.eoscope.curvature.eigen.EigenResult;
import io.eoscope.curvature.eigen.LanczosSolver;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.hessian.CurvatureOperator;
import io.eoscope.curvature.hessian.CurvatureProducts;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;

/**
 * Full-batch training by one of the solvers of docs/science.md#solvers, one {@link #step()} at a time.
 * Holds θ on the device, the continuous time t, the step count and the previous step's eigenvectors
 * (each step's eigen-solve is warm-started from them). Plain Java and DJL: no I/O, no io.vertx.
 */
public final class Trainer implements AutoCloseable {
    private final SolverSettings settings;
    private final DeviceData data;
    private final NDManager manager;
    private final int eigenCount;
    private Network network;
    private NDArray eigenvectors;
    private long step;
    private double time;

    /**
     * @param model the initial parameters
     * @param data the training set on the device (not closed here)
     * @param parent the manager (device) that holds θ and the eigenvectors
     * @param step the step count to start from (0, or a resumed run's)
     * @param time the continuous time to start from
     * @param warmStart eigenvectors to warm-start the first eigen-solve from, or null
     */
    public Trainer(MlpModel model, DeviceData data, NDManager parent, DataType type, SolverSettings settings, long step,
            double time, NDArray warmStart) {
        this.settings = settings;
        this.data = data;
        this.manager = parent.newSubManager();
        this.network = Network.upload(model, manager, type);
        int classes = model.classes();
        // k = C for MSE and C − 1 for cross-entropy (the stiff directions); exponential Euler needs k + 1
        int k = model.loss() == Loss.MSE ? classes : classes - 1;
        this.eigenCount = settings.kind() == SolverKind.EXP_EULER ? (int) Math.min(k + 1, network.parameterCount()) : 1;
        this.step = step;
        this.time = time;
        if (warmStart != null) {
            this.eigenvectors = warmStart.duplicate();
            NDScope.unregister(this.eigenvectors); // owned by this trainer
            this.eigenvectors.attach(manager);
        }
    }

    /**
     * Takes one step and returns its record (the state before it, and the step size taken).
     *
     * @throws DivergedException when the loss at the current θ is not finite (nothing is updated)
     */
    public StepRecord step() {
        try (NDScope scope = new NDScope();
                CurvatureProducts products = new CurvatureProducts(network, data)) {
            scope.suppressNotUsedWarning();
            double[] lossAndAccuracy = Evaluation.lossAndAccuracy(network, data);
            if (!Double.isFinite(lossAndAccuracy[0])) {
                throw new DivergedException(step, time, lossAndAccuracy[0]);
            }
            NDArray gradient = products.gradient();
            double s = settings.warmup(step);
            double sharpness = Double.NaN;
            double stepSize;
            NDArray theta = network.flatParameters();
            NDArray next;
            EigenResult eigen = null;
            boolean wantsEigen = settings.kind() != SolverKind.GD
                    || settings.sharpnessEvery() > 0 && step % settings.sharpnessEvery() == 0;
            if (wantsEigen) {
                eigen = new LanczosSolver().solve(CurvatureOperator.of(products, Curvature.HESSIAN),
                        new EigenOptions(eigenCount, settings.tolerance(), 20_000, settings.seed() + step), eigenvectors,
                        manager);
                if (eigen.failed()) {
                    eigen.vectors().close();
                    eigen.orThrow("the Hessian eigen-solve at step " + step); // never step on a failed solve
                }
                if (eigenvectors != null) {
                    eigenvectors.close();
                }
                eigenvectors = eigen.vectors();
                NDScope.unregister(eigenvectors);
                sharpness = largestAlgebraic(eigen.eigenvalues());
            }
            switch (settings.kind()) {
                case GD:
                    stepSize = settings.learningRate();
                    next = theta.sub(gradient.mul(stepSize));
                    break;
                case ADAPTIVE_GD:
                    stepSize = Math.min(s * settings.etaMax(), 1 / Math.abs(eigen.eigenvalues()[0]));
                    next = theta.sub(gradient.mul(stepSize));
                    break;
                default:
                    stepSize = Math.min(s * settings.etaMax(), 1 / Math.abs(eigen.eigenvalues()[eigenCount - 1]));
                    next = ExponentialEuler.update(theta, gradient, eigen, eigenCount - 1, stepSize);
            }
            StepRecord record = new StepRecord(step, time, lossAndAccuracy[0], lossAndAccuracy[1], stepSize, sharpness,
                    products.products());
            Network updated = network.withParameters(next);
            network.close();
            network = updated;
            step++;
            time += stepSize;
            return record;
        }
    }

    /** Loss and accuracy at the current θ (after the last step). */
    public double[] evaluate() {
        return Evaluation.lossAndAccuracy(network, data);
    }

    /** The current parameters on the host. */
    public MlpModel model() {
        return network.download();
    }

    /** Steps taken so far (including those of a resumed run). */
    public long stepCount() {
        return step;
    }

    /** Continuous time t. */
    public double time() {
        return time;
    }

    /** The last eigenvectors computed (rows), or null; owned by this trainer. */
    public NDArray eigenvectors() {
        return eigenvectors;
    }

    /** The number of eigenpairs each step computes (1, or k + 1 for exponential Euler). */
    public int eigenCount() {
        return eigenCount;
    }

    private static double largestAlgebraic(double[] values) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            max = Math.max(max, v);
        }
        return max;
    }

    @Override
    public void close() {
        network.close();
        manager.close();
    }
}
