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
import io.eoscope.curvature.analysis.BatchSharpness;
import io.eoscope.curvature.eigen.ScaledOperator;
import io.eoscope.curvature.eigen.ShiftedOperator;
import io.eoscope.curvature.net.DifferentiableModel;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.OptimizerState;
import io.eoscope.curvature.optim.Preconditioner;
import io.eoscope.curvature.optim.StabilityQuantity;
import java.util.HashMap;
import java.util.Map;

/**
 * Training by one of the solvers of docs/science.md#solvers, one {@link #step()} at a time. Solver {@code gd}
 * steps by one of PyTorch's update rules ({@link OptimizerStep}, docs/science.md#other-optimizers), on the full
 * batch or on the mini-batches of a {@link BatchOrder}; the other solvers are full-batch gradient methods. Holds θ
 * on the device, the continuous time t (advanced by the step size η per step, mini-batch steps included: t counts
 * steps, not epochs), the step count, the optimizer's state and the previous step's eigenvectors (each step's
 * eigen-solve is warm-started from them). Plain Java and DJL: no I/O, no io.vertx.
 */
public final class Trainer implements AutoCloseable {
    /**
     * The trainer's own batch-sharpness estimate, on its {@code --sharpness-every} steps: a 95% interval of ±5%, 10 to
     * 100 batches. Coarser than the analyzers' (±1%, up to 500 batches), so that training is not held up by it.
     */
    public static final BatchSharpness.Options BATCH_SHARPNESS = new BatchSharpness.Options(0.05, 10, 100);
    private final SolverSettings settings;
    private final DeviceData data;
    private final NDManager manager;
    private final int eigenCount;
    private final OptimizerStep optimizer;
    private final BatchOrder batches;
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
        this(model, data, parent, type, settings, step, time, warmStart,
                new OptimizerStep(OptimizerSettings.gd(settings.learningRate()), parent, step, Map.of()), null);
    }

    /**
     * @param model the initial parameters
     * @param data the training set on the device (not closed here)
     * @param parent the manager (device) that holds θ and the eigenvectors
     * @param step the step count to start from (0, or a resumed run's)
     * @param time the continuous time to start from
     * @param warmStart eigenvectors to warm-start the first eigen-solve from, or null
     * @param optimizer solver gd's update rule and its state, owned (and closed) by this trainer from here on; its
     *     step size replaces {@code settings.learningRate()}; other solvers require plain gd
     * @param batches the mini-batches of solver gd, or null for full batch
     * @throws IllegalArgumentException when another solver than gd is given another optimizer or mini-batches
     */
    public Trainer(MlpModel model, DeviceData data, NDManager parent, DataType type, SolverSettings settings, long step,
            double time, NDArray warmStart, OptimizerStep optimizer, BatchOrder batches) {
        if (settings.kind() != SolverKind.GD && (optimizer.settings().kind() != io.eoscope.curvature.optim.OptimizerKind.GD
                || batches != null)) {
            optimizer.close();
            throw new IllegalArgumentException("--solver " + settings.kind().id() + " is full-batch gradient descent:"
                    + " --optimizer and --batch-size apply to --solver gd only");
        }
        this.optimizer = optimizer;
        this.batches = batches;
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
        DeviceData batchData = null;
        CurvatureProducts batchProducts = null;
        try (NDScope scope = new NDScope();
                CurvatureProducts products = new CurvatureProducts(network, data)) {
            scope.suppressNotUsedWarning();
            double[] lossAndAccuracy = Evaluation.lossAndAccuracy(network, data);
            if (!Double.isFinite(lossAndAccuracy[0])) {
                throw new DivergedException(step, time, lossAndAccuracy[0]);
            }
            NDArray gradient;
            if (batches == null) {
                gradient = products.gradient();
            } else {
                batchData = data.rows(batches.batch(step));
                batchProducts = new CurvatureProducts(network, batchData);
                gradient = batchProducts.gradient();
            }
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
                    stepSize = optimizer.settings().lr();
                    next = optimizer.apply(theta, gradient);
                    break;
                case ADAPTIVE_GD:
                    stepSize = Math.min(s * settings.etaMax(), 1 / Math.abs(eigen.eigenvalues()[0]));
                    next = theta.sub(gradient.mul(stepSize));
                    break;
                default:
                    stepSize = Math.min(s * settings.etaMax(), 1 / Math.abs(eigen.eigenvalues()[eigenCount - 1]));
                    next = ExponentialEuler.update(theta, gradient, eigen, eigenCount - 1, stepSize);
            }
            double threshold = settings.kind() == SolverKind.GD ? optimizer.settings().threshold() : 2 / stepSize;
            StepRecord record = new StepRecord(step, time, lossAndAccuracy[0], lossAndAccuracy[1], stepSize, sharpness,
                    products.products() + (batchProducts == null ? 0 : batchProducts.products()),
                    stability(sharpness, wantsEigen, products), threshold, batches == null ? -1 : batches.epoch(step));
            Network updated = network.withParameters(next);
            network.close();
            network = updated;
            step++;
            time += stepSize;
            return record;
        } finally {
            if (batchProducts != null) {
                batchProducts.close();
            }
            if (batchData != null) {
                batchData.close();
            }
        }
    }

    /**
     * The value of this run's stability quantity ({@link OptimizerSettings#quantity}) at the step (NaN on the steps
     * without a sharpness estimate): λmax(𝓗) itself for full-batch gd, momentum and Nesterov (and for the other
     * solvers); λmax(P⁻¹𝓗) for the adaptive rules; the batch sharpness of mini-batch runs ({@link #BATCH_SHARPNESS}).
     * Called after the update, so the optimizer's buffers hold the state of the step just taken from θ_u (the v that
     * built its P), while the network and {@code products} are still at θ_u.
     */
    private double stability(double sharpness, boolean measured, CurvatureProducts products) {
        StabilityQuantity quantity = stabilityQuantity();
        if (quantity == StabilityQuantity.SHARPNESS || !measured) {
            return quantity == StabilityQuantity.SHARPNESS ? sharpness : Double.NaN;
        }
        OptimizerSettings rule = optimizer.settings();
        if (quantity == StabilityQuantity.BATCH_SHARPNESS) {
            BatchSharpness.Estimate e = BatchSharpness.estimate(network, data, batches.batchSize(), BATCH_SHARPNESS,
                    settings.seed() + step, done -> { });
            return e.failure() == null ? e.value() : Double.NaN;
        }
        String buffer = rule.kind() == OptimizerKind.RMSPROP ? OptimizerState.SQUARE_AVG : OptimizerState.EXP_AVG_SQ;
        double[] v = optimizer.buffers().get(buffer).toType(DataType.FLOAT64, false).toDoubleArray();
        Map<String, double[]> state = new HashMap<>();
        for (DifferentiableModel.ParameterGroup p : network.parameterRanges()) {
            state.put(OptimizerState.tensorName(buffer, p.name()),
                    java.util.Arrays.copyOfRange(v, Math.toIntExact(p.from()), Math.toIntExact(p.to())));
        }
        Preconditioner preconditioner = Preconditioner.of(rule, optimizer.steps(), state, network.parameterRanges());
        try (ScaledOperator scaled = new ScaledOperator(CurvatureOperator.of(products, Curvature.HESSIAN),
                preconditioner.inverseSqrt(), manager)) {
            // a cold start from the step's seeded vector: a warm start from the previous estimate would make the value
            // depend on whether the run was resumed in between (its vector is not in the snapshot)
            EigenOptions one = new EigenOptions(1, settings.tolerance(), 20_000, settings.seed() + step);
            EigenResult e = new LanczosSolver().solve(scaled, one, null, manager);
            try {
                if (e.failed()) {
                    return Double.NaN; // a diagnostic that failed is no value (an empty cell), and stops no training
                }
                // ranked by magnitude: when that one is negative, λmax comes from a shifted solve
                return ShiftedOperator.largestAlgebraic(scaled, e.eigenvalues()[0], new LanczosSolver(), one, manager)[0];
            } finally {
                e.vectors().close();
            }
        }
    }

    /** The stability quantity this run reports ({@link OptimizerSettings#quantity}; sharpness for adaptive-gd and exp-euler). */
    public StabilityQuantity stabilityQuantity() {
        return settings.kind() == SolverKind.GD ? optimizer.settings().quantity(batches != null) : StabilityQuantity.SHARPNESS;
    }

    /** The update rule and its state (steps taken, buffers). */
    public OptimizerStep optimizer() {
        return optimizer;
    }

    /** The mini-batches, or null for a full-batch run. */
    public BatchOrder batches() {
        return batches;
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
        optimizer.close();
        manager.close();
    }
}
