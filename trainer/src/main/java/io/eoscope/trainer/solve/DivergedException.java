package io.eoscope.trainer.solve;

/** The loss became non-finite: the run stops here instead of producing a NaN trajectory. */
public final class DivergedException extends TrainingStopped {
    private static final long serialVersionUID = 1L;
    private final long step;
    private final double time;

    DivergedException(long step, double time, double loss) {
        super("training diverged: the loss is " + loss + " at step " + step + " (t = " + time
                + "); try a smaller --lr or --eta-max");
        this.step = step;
        this.time = time;
    }

    /** The step whose starting loss was not finite. */
    public long step() {
        return step;
    }

    /** Its continuous time. */
    public double time() {
        return time;
    }
}
