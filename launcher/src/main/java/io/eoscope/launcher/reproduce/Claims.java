package io.eoscope.launcher.reproduce;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Judges the claims of SCIENCE.md against this run's numbers, each by an explicit criterion that the
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

    static final String C3A = "agrees when P_{Δ,J}¹ at the end exceeds its initial value and log P_{Δ,J}¹ correlates with"
            + " log λmax(G) over the snapshots (Pearson r ≥ 0.5); partly when one of the two holds; disagrees otherwise";

    /** Claim 3c: caused by the layerwise Jacobians becoming aligned. */
    static Claim alignment(double[] pDeltaJ1, double[] gaussNewton, double[] rhoK, double[] kMaxSq) {
        int last = pDeltaJ1.length - 1;
        boolean rises = pDeltaJ1[last] > pDeltaJ1[0];
        double r = pearsonLog(pDeltaJ1, gaussNewton);
        boolean correlated = r >= 0.5;
        String verdict = rises && correlated ? "agrees" : rises || correlated ? "partly" : "disagrees";
        return new Claim("3c. … caused by the layerwise Jacobians becoming aligned",
                "the layerwise Jacobians align over training, so a small change of preactivations near the input makes a"
                        + " large change of the output",
                String.format(Locale.ROOT, "P_{Δ,J}¹ goes from %.3g to %.3g; Pearson r(log P_{Δ,J}¹, log λmax(G)) = %.3g;"
                        + " ρ(K)/E‖K‖²_max from %.3g to %.3g", pDeltaJ1[0], pDeltaJ1[last], r, rhoK[0] / kMaxSq[0],
                        rhoK[last] / kMaxSq[last]), verdict, C3A);
    }

    static final String C4 = "agrees when the log-log fit has R² ≥ 0.74 (the lower end of the paper's range) for both losses;"
            + " partly when for one; disagrees otherwise";

    /** Claim 4: a power law in N. */
    static Claim powerLaw(List<String> losses, List<io.eoscope.gateway.PowerLaw> fits) {
        int ok = 0;
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < fits.size(); i++) {
            io.eoscope.gateway.PowerLaw f = fits.get(i);
            ok += f.r2() >= 0.74 ? 1 : 0;
            parts.add(String.format(Locale.ROOT, "%s: β = %.3g, R² = %.3g (%d sizes)", losses.get(i), f.beta(), f.r2(),
                    f.points()));
        }
        String verdict = ok == fits.size() ? "agrees" : ok > 0 ? "partly" : "disagrees";
        return new Claim("4. The alignment scales with the dataset size N by a power law",
                "a power law in N with R² between 0.74 and 0.98", String.join("; ", parts), verdict, C4);
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

    static double pearsonLog(double[] a, double[] b) {
        double[] x = Arrays.stream(a).map(Math::log).toArray();
        double[] y = Arrays.stream(b).map(Math::log).toArray();
        double mx = 0;
        double my = 0;
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                mx += x[i];
                my += y[i];
                n++;
            }
        }
        if (n < 3) {
            return Double.NaN;
        }
        mx /= n;
        my /= n;
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                sxy += (x[i] - mx) * (y[i] - my);
                sxx += (x[i] - mx) * (x[i] - mx);
                syy += (y[i] - my) * (y[i] - my);
            }
        }
        return sxx == 0 || syy == 0 ? Double.NaN : sxy / Math.sqrt(sxx * syy);
    }
}
