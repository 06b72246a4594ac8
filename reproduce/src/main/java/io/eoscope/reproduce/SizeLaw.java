package io.eoscope.reproduce;

import io.eoscope.gateway.PowerLaw;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Experiment 5's statistics (docs/science.md#power-law-in-n): the points of every run at each measurement moment, and
 * for each loss, moment and alignment quantity the fit log y = log a + β log N over every seed's point, with β's 95%
 * interval from the fit's standard error and, beside it, from a bootstrap over seeds.
 */
final class SizeLaw {
    private SizeLaw() {}

    /** Bootstrap replicates of β; its percentile interval moves by well under 1% of its width between seeds at this count. */
    static final int REPLICATES = 2000;

    /** A layer-1 quantity of the metrics that a power law in N is fitted to. */
    record Quantity(String column, String symbol) {}

    /** The quantities, the documented default {@link #DEFAULT} among them. */
    static final List<Quantity> QUANTITIES = List.of(new Quantity("layer1.pi_chi", "Π_χ¹"),
            new Quantity("layer1.p_chi_delta", "P_{χ,Δ/χ}¹"), new Quantity("layer1.pi_J", "Π_J¹"),
            new Quantity("layer1.p_delta_J", "P_{Δ,J}¹"), new Quantity("layer1.K_max_sq_mean", "E‖K¹‖²_max"),
            new Quantity("layer1.gauss_newton_top", "λmax(G¹)"));
    /** P_{Δ,J}¹, the layerwise Jacobian alignment: the quantity claim 4 is judged on. */
    static final Quantity DEFAULT = QUANTITIES.get(3);

    /** When a run is measured. */
    enum Moment {
        /** The final snapshot: the same continuous time t = steps·η for every N of a loss. */
        END("end", "end of training"),
        /** The snapshot right after the trainer's sharpness estimate first reached 2/η. */
        EDGE("edge", "first reaching 2/η");

        final String id;
        final String label;

        Moment(String id, String label) {
            this.id = id;
            this.label = label;
        }
    }

    /**
     * One run measured at one moment.
     *
     * @param loss the run's loss
     * @param n its dataset size
     * @param seed its data and initialisation seed
     * @param moment when
     * @param step the snapshot's step
     * @param t the snapshot's continuous time
     * @param trainingLoss the training loss there
     * @param values the value of each of {@link #QUANTITIES}, in that order
     */
    record Point(String loss, int n, long seed, Moment moment, long step, double t, double trainingLoss, double[] values) {}

    /**
     * One fit, or the reason there is none.
     *
     * @param law the least-squares fit, or null
     * @param bootstrap β's 95% percentile interval over seeds (NaN with one seed per N)
     * @param runs how many runs of this loss there were (points = runs measured at this moment)
     * @param reason why there is no fit, or null
     */
    record Fit(String loss, Moment moment, Quantity quantity, PowerLaw law, double[] bootstrap, int runs, String reason) {

        /** β's 95% interval from the fit's standard error (Student's t). */
        double[] interval() {
            return law == null ? new double[] {Double.NaN, Double.NaN} : law.betaInterval(0.95);
        }

        /** Good by claim 4's criterion: R² of the per-N means ≥ 0.74 and β's interval excludes 0. */
        boolean good() {
            return law != null && law.hasInterval() && law.r2Means() >= 0.74 && !law.flat();
        }

        /** No verdict possible: no fit, or two points (no interval). */
        boolean undetermined() {
            return law == null || !law.hasInterval();
        }

        /** How the fit fails claim 4's criterion, or "good". */
        String diagnosis() {
            if (law == null) {
                return "no fit: " + reason;
            }
            if (!law.hasInterval()) {
                return "undetermined: " + law.points() + " points leave β no interval";
            }
            if (law.flat()) {
                return "flat: β's 95% interval contains 0";
            }
            if (!(law.r2Means() >= 0.74)) {
                return String.format(Locale.ROOT, "noisy: β is clear but R² of the per-N means %.3g < 0.74", law.r2Means());
            }
            return "good";
        }

        /** β [t-interval] (bootstrap [..]), R² of the means, points: one phrase for the claims table. */
        String summary() {
            if (law == null) {
                return "no fit (" + reason + ")";
            }
            double[] ci = interval();
            String boot = Double.isNaN(bootstrap[0]) ? "" : String.format(Locale.ROOT, ", bootstrap over seeds [%+.3g, %+.3g]",
                    bootstrap[0], bootstrap[1]);
            String interval = law.hasInterval() ? String.format(Locale.ROOT, "95%% interval [%+.3g, %+.3g]", ci[0], ci[1])
                    : "no interval";
            return String.format(Locale.ROOT, "β = %+.3g, %s%s; R² of the per-N means %s (%d points at %d sizes%s)", law.beta(),
                    interval, boot, r2(law.r2Means()), law.points(), law.sizes(),
                    law.points() < runs ? ", " + (runs - law.points()) + " of " + runs + " runs never reached the moment" : "");
        }
    }

    /** An R² for text: "undefined" where it is NaN (means that are all equal). */
    static String r2(double r2) {
        return Double.isNaN(r2) ? "undefined" : String.format(Locale.ROOT, "%.3g", r2);
    }

    /** Fits every quantity at every moment for {@code loss}; points of other losses are ignored. */
    static List<Fit> fits(String loss, List<Point> points, int runs, long seed) {
        List<Fit> fits = new ArrayList<>();
        for (Moment m : Moment.values()) {
            List<Point> at = points.stream().filter(p -> p.loss().equals(loss) && p.moment() == m).toList();
            for (int q = 0; q < QUANTITIES.size(); q++) {
                fits.add(fit(loss, m, q, at, runs, seed));
            }
        }
        return fits;
    }

    static Fit fit(String loss, Moment moment, int q, List<Point> at, int runs, long seed) {
        Quantity quantity = QUANTITIES.get(q);
        double[] n = at.stream().mapToDouble(Point::n).toArray();
        double[] y = at.stream().mapToDouble(p -> p.values()[q]).toArray();
        try {
            PowerLaw law = PowerLaw.fit(n, y);
            return new Fit(loss, moment, quantity, law, bootstrap(n, y, REPLICATES, seed), runs, null);
        } catch (IllegalArgumentException e) {
            String why = at.size() < 2 ? at.size() + " of " + runs + " runs reached this moment" : e.getMessage();
            return new Fit(loss, moment, quantity, null, new double[] {Double.NaN, Double.NaN}, runs, why);
        }
    }

    /**
     * β's 95% percentile interval over {@code replicates} bootstrap samples that redraw, at each N, that N's points
     * with replacement (the seeds are the unit of resampling; the N grid is fixed). NaN when no N has two points:
     * with one seed there is nothing to resample.
     */
    static double[] bootstrap(double[] n, double[] y, int replicates, long seed) {
        Map<Double, List<Double>> byN = new LinkedHashMap<>();
        for (int i = 0; i < n.length; i++) {
            byN.computeIfAbsent(n[i], k -> new ArrayList<>()).add(y[i]);
        }
        if (byN.values().stream().allMatch(v -> v.size() < 2)) {
            return new double[] {Double.NaN, Double.NaN};
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] betas = new double[replicates];
        double[] xs = new double[n.length];
        double[] ys = new double[n.length];
        for (int r = 0; r < replicates; r++) {
            int k = 0;
            for (Map.Entry<Double, List<Double>> e : byN.entrySet()) {
                List<Double> v = e.getValue();
                for (int j = 0; j < v.size(); j++) {
                    xs[k] = e.getKey();
                    ys[k++] = v.get(random.nextInt(v.size()));
                }
            }
            betas[r] = PowerLaw.fit(xs, ys).beta();
        }
        java.util.Arrays.sort(betas);
        return new double[] {quantile(betas, 0.025), quantile(betas, 0.975)};
    }

    /** The q-quantile of sorted values, linear between order statistics. */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
