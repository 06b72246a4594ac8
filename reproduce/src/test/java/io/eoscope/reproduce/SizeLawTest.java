package io.eoscope.reproduce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.eoscope.gateway.PowerLaw;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Experiment 5's bootstrap over seeds and its fits, on hand-computed cases. */
class SizeLawTest {

    @Test
    void aPerfectLawHasAZeroWidthBootstrapInterval() {
        double[] n = {16, 16, 32, 32, 64, 64};
        double[] y = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            y[i] = 3 * Math.pow(n[i], 0.5);
        }
        double[] ci = SizeLaw.bootstrap(n, y, 500, 1);
        assertThat(ci[0]).isCloseTo(0.5, within(1e-12));
        assertThat(ci[1]).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void oneSeedPerNHasNothingToResample() {
        assertThat(SizeLaw.bootstrap(new double[] {16, 32, 64}, new double[] {1, 2, 3}, 500, 1)).containsOnly(Double.NaN);
    }

    @Test
    void twoSeedsPerNSpanTheSlopesOfEveryChoice() {
        // at each of two N, two seeds: the bootstrap can only draw (a, a), (a, b), (b, b) at each N, so every
        // replicate's β is the slope between two of the three possible means at N = 10 and at N = 100
        double[] n = {10, 10, 100, 100};
        double[] y = {1, Math.E, Math.E, Math.exp(3)};
        double[] ci = SizeLaw.bootstrap(n, y, 4000, 3);
        double decade = Math.log(10);
        // smallest slope: mean log y 1 at N = 10 (both seeds e), 1 at N = 100 (both e): 0; largest: 0 → 3: 3/ln 10
        assertThat(ci[0]).isGreaterThanOrEqualTo(0 - 1e-12);
        assertThat(ci[1]).isLessThanOrEqualTo(3 / decade + 1e-12);
        // the point estimate (means 0.5 and 2) lies inside
        double beta = PowerLaw.fit(n, y).beta();
        assertThat(beta).isCloseTo(1.5 / decade, within(1e-12)).isBetween(ci[0], ci[1]);
        // and the interval is not degenerate: the draws differ
        assertThat(ci[1] - ci[0]).isGreaterThan(0.5 / decade);
    }

    @Test
    void theBootstrapIntervalCoversTheTrueExponentAboutAsOftenAsStated() {
        // 300 experiments of 6 N × 5 seeds with lognormal seed noise; a percentile bootstrap with few seeds is known
        // to under-cover somewhat, so the bound is loose (≥ 85%) but it would catch an interval of the wrong scale
        Random r = new Random(21);
        double[] sizes = {16, 32, 64, 128, 256, 512};
        int covered = 0;
        for (int rep = 0; rep < 300; rep++) {
            double[] n = new double[30];
            double[] y = new double[30];
            for (int i = 0; i < 30; i++) {
                n[i] = sizes[i / 5];
                y[i] = Math.pow(n[i], 0.2) * Math.exp(0.3 * r.nextGaussian());
            }
            double[] ci = SizeLaw.bootstrap(n, y, 400, rep);
            covered += ci[0] <= 0.2 && 0.2 <= ci[1] ? 1 : 0;
        }
        assertThat(covered).isBetween(255, 300);
    }

    @Test
    void aMomentThatTooFewRunsReachedHasNoFitAndSaysWhy() {
        List<SizeLaw.Point> points = new ArrayList<>();
        points.add(new SizeLaw.Point("mse", 64, 0, SizeLaw.Moment.EDGE, 300, 12, 0.2, new double[] {1, 1, 1, 1, 1, 1}));
        SizeLaw.Fit f = SizeLaw.fit("mse", SizeLaw.Moment.EDGE, 3, points, 12, 1);
        assertThat(f.law()).isNull();
        assertThat(f.good()).isFalse();
        assertThat(f.diagnosis()).isEqualTo("no fit: 1 of 12 runs reached this moment");
    }
}
