package io.eoscope.reproduce;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Judges the paper's claims (docs/science.md#the-papers-claims) against this run's numbers, each by an explicit criterion that the
 * report prints beside the verdict. Verdicts: agrees, partly, disagrees, not measured.
 */
final class Claims {
    private Claims() {}

    /** One row of the claims table. */
    record Claim(String claim, String paper, String measured, String verdict, String criterion) {}

    /** A GD run's sharpness trace: step size η, times and sharpness (NaN where not computed). */
    record Trace(double eta, double[] t, double[] sharpness) {}

    static final String C1 = "agrees when for every η the largest sharpness reaches at least 0.9·2/η and its median over the"
            + " second half of the run lies within [0.85, 1.1]·2/η; partly when that holds for some η; disagrees otherwise";

    /** Claim 1: under GD, sharpness rises to 2/η and stays there. */
    static Claim edgeOfStability(List<Trace> runs) {
        List<String> parts = new ArrayList<>();
        int ok = 0;
        for (Trace r : runs) {
            double max = 0;
            List<Double> late = new ArrayList<>();
            double end = r.t()[r.t().length - 1];
            for (int i = 0; i < r.t().length; i++) {
                double ratio = r.sharpness()[i] * r.eta() / 2;
                if (Double.isFinite(ratio)) {
                    max = Math.max(max, ratio);
                    if (r.t()[i] >= end / 2) {
                        late.add(ratio);
                    }
                }
            }
            double median = median(late);
            boolean good = max >= 0.9 && median >= 0.85 && median <= 1.1;
            ok += good ? 1 : 0;
            parts.add(String.format(Locale.ROOT, "η = %s: max sharpness = %.3g·(2/η), second-half median %.3g·(2/η)",
                    r.eta(), max, median));
        }
        String verdict = ok == runs.size() ? "agrees" : ok > 0 ? "partly" : "disagrees";
        return new Claim("1. Under GD, sharpness rises to 2/η (edge of stability)",
                "sharpness rises until it reaches 2/η and hovers there; GD then no longer follows the gradient flow",
                String.join("; ", parts), verdict, C1);
    }

    static final String C2 = "agrees when exponential Euler's largest relative loss deviation from the RK4 gradient flow is"
            + " at most 5% and smaller than every GD run's; partly when it is only smaller than every GD run's;"
            + " disagrees otherwise";

    /** Claim 2: exponential Euler follows the gradient flow; GD does not. */
    static Claim exponentialEuler(double eeDeviation, double[] gdDeviations, double[] gdEtas, double eeMaxRatio) {
        if (!Double.isFinite(eeDeviation)) {
            return new Claim("2. Exponential Euler follows the gradient flow without entering EoS",
                    "exponential Euler tracks the true gradient flow", "no gradient-flow reference", "not measured", C2);
        }
        boolean belowAll = true;
        StringBuilder gd = new StringBuilder();
        for (int i = 0; i < gdDeviations.length; i++) {
            belowAll &= eeDeviation < gdDeviations[i];
            gd.append(String.format(Locale.ROOT, "%sGD η = %s: %.3g", i == 0 ? "" : ", ", gdEtas[i], gdDeviations[i]));
        }
        String verdict = belowAll && eeDeviation <= 0.05 ? "agrees" : belowAll ? "partly" : "disagrees";
        return new Claim("2. Exponential Euler follows the gradient flow without entering EoS",
                "exponential Euler tracks the true gradient flow; GD leaves it at the edge of stability",
                String.format(Locale.ROOT, "largest relative loss deviation from the RK4 flow: exponential Euler %.3g; %s."
                        + " Exponential Euler's largest sharpness = %.3g·(2/η_max)", eeDeviation, gd, eeMaxRatio),
                verdict, C2);
    }

    static final String C3G = "agrees when the median of λmax(G)/λmax(𝓗) over the second half of the run is at least 0.9;"
            + " partly when at least 0.6; disagrees otherwise";

    /** Claim 3a: the sharpness is that of the Gauss-Newton part. */
    static Claim gaussNewton(double[] t, double[] hessian, double[] gaussNewton, double[] residual) {
        List<Double> late = new ArrayList<>();
        double end = t[t.length - 1];
        for (int i = 0; i < t.length; i++) {
            if (t[i] >= end / 2 && hessian[i] != 0 && Double.isFinite(gaussNewton[i] / hessian[i])) {
                late.add(gaussNewton[i] / hessian[i]);
            }
        }
        double m = median(late);
        int last = t.length - 1;
        String verdict = m >= 0.9 ? "agrees" : m >= 0.6 ? "partly" : "disagrees";
        return new Claim("3a. The rise of sharpness comes from the Gauss-Newton part G",
                "λmax(𝓗) is carried by G; the residual H is small",
                String.format(Locale.ROOT, "median λmax(G)/λmax(𝓗) over the second half = %.3g; at the end λmax(𝓗) = %.4g,"
                        + " λmax(G) = %.4g, top |λ(H)| = %.3g", m, hessian[last], gaussNewton[last], Math.abs(residual[last])),
                verdict, C3G);
    }

    static final String C3L = "agrees when layer 1 has the largest λmax(Gˡ) in at least 80% of the second-half snapshots;"
            + " partly when it does at the last snapshot or in at least half of them; disagrees otherwise";

    /** Claim 3b: mostly from the first layer's block. layerTop[l][i] = λmax(G^{l+1}) at snapshot i. */
    static Claim firstLayer(double[] t, double[][] layerTop, double[] gaussNewton) {
        double end = t[t.length - 1];
        int late = 0;
        int first = 0;
        for (int i = 0; i < t.length; i++) {
            if (t[i] >= end / 2) {
                late++;
                first += argmax(layerTop, i) == 0 ? 1 : 0;
            }
        }
        int last = t.length - 1;
        int top = argmax(layerTop, last);
        double share = late == 0 ? Double.NaN : first / (double) late;
        String verdict = share >= 0.8 ? "agrees" : top == 0 || share >= 0.5 ? "partly" : "disagrees";
        StringBuilder end1 = new StringBuilder();
        for (int l = 0; l < layerTop.length; l++) {
            end1.append(String.format(Locale.ROOT, "%sλmax(G%d) = %.4g", l == 0 ? "" : ", ", l + 1, layerTop[l][last]));
        }
        return new Claim("3b. … mostly from the first layer's block of G",
                "the first-layer block G¹ dominates the Gauss-Newton sharpness",
                String.format(Locale.ROOT, "layer 1 has the largest λmax(Gˡ) in %.0f%% of the second-half snapshots; at the"
                        + " end %s (λmax(G) = %.4g; largest layer: %d)", 100 * share, end1, gaussNewton[last], top + 1),
                verdict, C3L);
    }

    static final String C3A = "compares the first snapshot (the initialisation) with the last one: the five factors of"
            + " docs/science.md#layerwise-alignment multiply to E‖K¹‖²_max, so the change of log E‖K¹‖²_max is the sum of the changes of"
            + " their logs, and each factor's share is Δ log factor / Δ log E‖K¹‖²_max (in percent, signs kept, summing to"
            + " 100%); agrees when the alignment P_{Δ,J}¹ rises and has the largest share of the five; partly when it"
            + " rises but another factor has a larger share; disagrees when it does not rise. λmax(G¹), the quantity"
            + " whose rise is to be explained, is E‖K¹‖²_max times ρ(K¹)/E‖K¹‖²_max ≤ 1 (how well the samples' top"
            + " directions agree); its change is shown beside, not judged";

    /** The names of the five factors of E‖K¹‖²_max, in the order of {@link Layer1#factors()}. */
    static final List<String> FACTORS = List.of("Π_χ¹", "P_{χ,Δ/χ}¹", "Π_J¹", "P_{Δ,J}¹", "E‖Δᴸ‖²_max");
    /** The index of the layerwise Jacobian alignment P_{Δ,J}¹ in {@link #FACTORS}. */
    static final int ALIGNMENT = 3;

    /**
     * Layer 1's quantities of docs/science.md#layerwise-alignment at one snapshot, as the metrics report them.
     *
     * @param t continuous time of the snapshot
     * @param piChi Π_χ¹ ({@code layer1.pi_chi})
     * @param pChiDelta P_{χ,Δ/χ}¹ ({@code layer1.p_chi_delta})
     * @param piJ Π_J¹ ({@code layer1.pi_J})
     * @param pDeltaJ P_{Δ,J}¹, the layerwise Jacobian alignment ({@code layer1.p_delta_J})
     * @param deltaLMaxSq E‖Δᴸ‖²_max ({@code layer1.delta_L_max_sq_mean})
     * @param kMaxSq E‖K¹‖²_max as measured ({@code layer1.K_max_sq_mean}); the five factors multiply to it
     * @param gaussNewtonTop λmax(G¹) = ρ(K¹) ({@code layer1.gauss_newton_top})
     */
    record Layer1(double t, double piChi, double pChiDelta, double piJ, double pDeltaJ, double deltaLMaxSq, double kMaxSq,
            double gaussNewtonTop) {
        /** The five factors, in the order of {@link #FACTORS}. */
        double[] factors() {
            return new double[] {piChi, pChiDelta, piJ, pDeltaJ, deltaLMaxSq};
        }

        /** Their product, E‖K¹‖²_max by the telescoping identity. */
        double product() {
            return piChi * pChiDelta * piJ * pDeltaJ * deltaLMaxSq;
        }
    }

    /**
     * Each factor's share of the change of log E‖K¹‖²_max from {@code a} to {@code b}, in percent with signs kept:
     * 100·Δ log fᵢ / Σⱼ Δ log fⱼ. The denominator is Δ log of the factors' product, which is Δ log E‖K¹‖²_max by the
     * identity, so the shares sum to exactly 100 (up to rounding). All NaN when there is no change to apportion: the
     * change is not finite (a factor that is not positive) or at the level of rounding (within 1e-9 of the factors'
     * summed movement Σⱼ |Δ log fⱼ|, where factors that cancel would otherwise get shares of ±10¹⁷%).
     */
    static double[] shares(Layer1 a, Layer1 b) {
        double[] fa = a.factors();
        double[] fb = b.factors();
        double[] d = new double[fa.length];
        double total = 0;
        double movement = 0;
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.log(fb[i]) - Math.log(fa[i]);
            total += d[i];
            movement += Math.abs(d[i]);
        }
        boolean none = !Double.isFinite(total) || Math.abs(total) <= 1e-9 * movement;
        double[] shares = new double[d.length];
        for (int i = 0; i < d.length; i++) {
            shares[i] = none ? Double.NaN : 100 * d[i] / total;
        }
        return shares;
    }

    /**
     * Claim 3c: caused by the layerwise Jacobians becoming aligned. Judged by the alignment factor's share of the
     * change of E‖K¹‖²_max between the first and the last snapshot ({@link #C3A}).
     */
    static Claim alignment(Layer1 start, Layer1 end) {
        double[] shares = shares(start, end);
        boolean rises = end.pDeltaJ() > start.pDeltaJ();
        boolean largest = Double.isFinite(shares[ALIGNMENT]);
        for (int i = 0; i < shares.length; i++) {
            largest &= i == ALIGNMENT || shares[i] <= shares[ALIGNMENT];
        }
        String verdict = !rises ? "disagrees" : largest ? "agrees" : "partly";
        StringBuilder parts = new StringBuilder();
        for (int i = 0; i < shares.length; i++) {
            parts.append(String.format(Locale.ROOT, "%s%s %+.1f%%", i == 0 ? "" : ", ", FACTORS.get(i), shares[i]));
        }
        double gap = Math.max(Math.abs(start.product() / start.kMaxSq() - 1), Math.abs(end.product() / end.kMaxSq() - 1));
        return new Claim("3c. … caused by the layerwise Jacobians becoming aligned",
                "the layerwise Jacobians align over training, so a small change of preactivations near the input makes a"
                        + " large change of the output",
                String.format(Locale.ROOT, "from t = %.4g to t = %.4g: P_{Δ,J}¹ %.3g → %.3g (%+.1f%%); E‖K¹‖²_max %.4g → %.4g"
                        + " (Δ log %+.3g; the five factors multiply to it within a relative %.1e); shares of that change: %s;"
                        + " beside it λmax(G¹) %.4g → %.4g (Δ log %+.3g; λmax(G¹)/E‖K¹‖²_max %.3g → %.3g)",
                        start.t(), end.t(), start.pDeltaJ(), end.pDeltaJ(), 100 * (end.pDeltaJ() / start.pDeltaJ() - 1),
                        start.kMaxSq(), end.kMaxSq(), Math.log(end.kMaxSq() / start.kMaxSq()), gap, parts,
                        start.gaussNewtonTop(), end.gaussNewtonTop(), Math.log(end.gaussNewtonTop() / start.gaussNewtonTop()),
                        start.gaussNewtonTop() / start.kMaxSq(), end.gaussNewtonTop() / end.kMaxSq()),
                verdict, C3A);
    }

    static final String C4 = "judged on the documented default quantity P_{Δ,J}¹ at the end of training (the same continuous"
            + " time t for every N of a loss); a loss's fit is good when the R² of its per-N means (the seeds averaged) is at"
            + " least 0.74, the lower end of the paper's range, and β's 95% interval (from the fit's standard error) excludes"
            + " 0; agrees when every loss's fit is good; disagrees when every loss's fit is flat (β's interval contains 0: no"
            + " dependence on N); not measured when no fit can be judged (too few runs, or two points and so no interval);"
            + " partly otherwise, naming how each fit fails (flat; or noisy: R² low but β clear). The"
            + " paper's public text gives no sign, so none is required. The fits at the moment each run first reaches 2/η,"
            + " and those of the other alignment quantities, are in the section's table and do not enter the verdict";

    /**
     * Claim 4: a power law in N. {@code atEnd} holds each loss's fit of the default quantity at the end of training
     * (the verdict's), {@code atEdge} the same at the moment each run first reached 2/η (reported beside it).
     */
    static Claim powerLaw(List<SizeLaw.Fit> atEnd, List<SizeLaw.Fit> atEdge) {
        int good = 0;
        int flat = 0;
        int undetermined = 0;
        List<String> parts = new ArrayList<>();
        for (SizeLaw.Fit f : atEnd) {
            good += f.good() ? 1 : 0;
            undetermined += f.undetermined() ? 1 : 0;
            flat += !f.undetermined() && f.law().flat() ? 1 : 0;
            parts.add(f.loss() + ": " + f.summary() + " — " + f.diagnosis());
        }
        List<String> edge = new ArrayList<>();
        for (SizeLaw.Fit f : atEdge) {
            edge.add(f.law() == null ? f.loss() + ": " + f.summary()
                    : String.format(Locale.ROOT, "%s β = %+.3g, R² %s", f.loss(), f.law().beta(), SizeLaw.r2(f.law().r2Means())));
        }
        // a fit that could not be judged is no evidence either way: it neither agrees nor makes the law flat
        String verdict = undetermined == atEnd.size() ? "not measured" : good == atEnd.size() ? "agrees"
                : flat == atEnd.size() ? "disagrees" : "partly";
        return new Claim("4. The alignment scales with the dataset size N by a power law",
                "a power law in N with R² between 0.74 and 0.98 (no sign stated)",
                "P_{Δ,J}¹ at the end of training: " + String.join("; ", parts) + ". At first reaching 2/η: "
                        + String.join("; ", edge), verdict, C4);
    }

    static final String C6 = "judged on the trainer's estimates after step 0 (at step 0 an adaptive rule's P holds one squared"
            + " gradient, an artefact of its start); agrees when the run's largest stability ratio (its optimizer's quantity ÷"
            + " its threshold) is at least 0.9 and its median over the second half of the run lies within 15% of 1; partly when only the largest"
            + " reaches 0.9; disagrees otherwise";

    /**
     * Claim 6 for one optimizer: its own stability quantity rises to its own threshold and hovers there.
     *
     * @param letter the claim's letter (6a, 6b, …)
     * @param label the run, e.g. "adam η = 0.002"
     * @param quantity the quantity's symbol, e.g. λmax(P⁻¹𝓗)
     * @param formula the threshold's formula
     * @param source where the edge is established
     * @param steps the steps with an estimate
     * @param ratios the ratio at each of them
     * @param lastStep the run's last step (the second half starts at its half)
     */
    static Claim optimizerEdge(char letter, String label, String quantity, String formula, String source, long[] steps,
            double[] ratios, long lastStep) {
        double max = 0;
        List<Double> late = new ArrayList<>();
        int judged = 0;
        for (int i = 0; i < steps.length; i++) {
            if (steps[i] > 0 && Double.isFinite(ratios[i])) {
                judged++;
                max = Math.max(max, ratios[i]);
                if (steps[i] >= lastStep / 2.0) {
                    late.add(ratios[i]);
                }
            }
        }
        String claim = "6" + letter + ". " + label + ": " + quantity + " rises to " + formula + " and hovers there";
        if (judged == 0 || late.isEmpty()) {
            return new Claim(claim, source, judged == 0 ? "no estimate of the quantity after step 0"
                    : "no estimate in the second half of the run", "not measured", C6);
        }
        double median = median(late);
        String verdict = max >= 0.9 && Math.abs(median - 1) <= 0.15 ? "agrees" : max >= 0.9 ? "partly" : "disagrees";
        return new Claim(claim, source, String.format(Locale.ROOT, "largest ratio %.3g; second-half median %.3g (%d estimates"
                + " after step 0)", max, median, judged), verdict, C6);
    }

    static int argmax(double[][] rows, int i) {
        int best = 0;
        for (int l = 1; l < rows.length; l++) {
            if (rows[l][i] > rows[best][i]) {
                best = l;
            }
        }
        return best;
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
