package io.eoscope.curvature.analysis;

/** Told how a long analysis advances; implementations draw progress bars (never on stdout). */
@FunctionalInterface
public interface AnalysisProgress {

    /** Progress that goes nowhere. */
    AnalysisProgress NONE = (stage, done, total) -> { };

    /**
     * @param stage what is being computed, for example {@code hessian} or {@code alignment}
     * @param done steps done in this stage (operator products for a spectrum)
     * @param total steps in this stage, or -1 when unknown in advance
     */
    void update(String stage, long done, long total);
}
