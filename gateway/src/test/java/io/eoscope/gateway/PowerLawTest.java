package io.eoscope.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.eoscope.curvature.spectrum.StudentT;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The least-squares log-log fit of docs/science.md#power-law-in-n on known synthetic points. */
class PowerLawTest {

    @Test
    void exactPowerLawIsRecovered() {
        double[] n = {64, 128, 256, 512, 1024, 2048};
        double[] y = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            y[i] = 3.0 * Math.pow(n[i], -0.5);
        }
        PowerLaw fit = PowerLaw.fit(n, y);
        assertThat(fit.a()).isCloseTo(3.0, within(1e-12));
        assertThat(fit.beta()).isCloseTo(-0.5, within(1e-12));
        assertThat(fit.r2()).isCloseTo(1.0, within(1e-12));
        assertThat(fit.points()).isEqualTo(6);
    }

    @Test
    void noisyPointsMatchAnIndependentLeastSquaresAndLowerR2() {
        Random r = new Random(4);
        double[] n = {64, 128, 256, 512, 1024, 2048};
        double[] y = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            y[i] = 0.2 * Math.pow(n[i], 0.3) * Math.exp(0.1 * r.nextGaussian());
        }
        PowerLaw fit = PowerLaw.fit(n, y);
        // closed form on (log N, log y), computed here separately: β = cov/var, R² = corr²
        double[] lx = new double[n.length];
        double[] ly = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            lx[i] = Math.log(n[i]);
            ly[i] = Math.log(y[i]);
        }
        double mx = java.util.Arrays.stream(lx).average().orElseThrow();
        double my = java.util.Arrays.stream(ly).average().orElseThrow();
        double cov = 0;
        double vx = 0;
        double vy = 0;
        for (int i = 0; i < n.length; i++) {
            cov += (lx[i] - mx) * (ly[i] - my);
            vx += (lx[i] - mx) * (lx[i] - mx);
            vy += (ly[i] - my) * (ly[i] - my);
        }
        assertThat(fit.beta()).isCloseTo(cov / vx, within(1e-12));
        assertThat(fit.r2()).isCloseTo(cov * cov / (vx * vy), within(1e-12));
        assertThat(fit.r2()).isLessThan(1).isGreaterThan(0.5);
        assertThat(Math.log(fit.a())).isCloseTo(my - fit.beta() * mx, within(1e-12));
    }

    @Test
    void aPerfectLawHasAZeroWidthIntervalAndSeveralSeedsPerNAreFitted() {
        double[] n = {64, 64, 64, 128, 128, 128, 256, 256, 256};
        double[] y = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            y[i] = 0.7 * Math.pow(n[i], 0.25);
        }
        PowerLaw fit = PowerLaw.fit(n, y);
        assertThat(fit.beta()).isCloseTo(0.25, within(1e-12));
        assertThat(fit.r2()).isCloseTo(1, within(1e-12));
        assertThat(fit.r2Means()).isCloseTo(1, within(1e-12));
        assertThat(fit.betaStdError()).isCloseTo(0, within(1e-12));
        double[] ci = fit.betaInterval(0.95);
        assertThat(ci[1] - ci[0]).isCloseTo(0, within(1e-11));
        assertThat(fit.flat()).isFalse();
        assertThat(fit.points()).isEqualTo(9);
        assertThat(fit.sizes()).isEqualTo(3);
    }

    @Test
    void aFlatCloudHasAnIntervalContainingZero() {
        // per-N means 0.2, −0.2, 0, −0.2, 0.2 (symmetric in log N, so no trend), each N two seeds at mean ± 0.1
        double[] sizes = {64, 128, 256, 512, 1024};
        double[] means = {0.2, -0.2, 0, -0.2, 0.2};
        double[] n = new double[10];
        double[] y = new double[10];
        for (int i = 0; i < 5; i++) {
            n[2 * i] = sizes[i];
            n[2 * i + 1] = sizes[i];
            y[2 * i] = Math.exp(means[i] + 0.1);
            y[2 * i + 1] = Math.exp(means[i] - 0.1);
        }
        PowerLaw fit = PowerLaw.fit(n, y);
        assertThat(fit.beta()).isCloseTo(0, within(1e-12));
        double[] ci = fit.betaInterval(0.95);
        assertThat(ci[0]).isNegative();
        assertThat(ci[1]).isPositive();
        assertThat(fit.flat()).isTrue();
        // a flat line explains none of the means' variation, nor of the points'
        assertThat(fit.r2Means()).isCloseTo(0, within(1e-12));
        assertThat(fit.r2()).isCloseTo(0, within(1e-12));
    }

    @Test
    void standardErrorMatchesTheClosedFormAndTheIntervalCoversAsStated() {
        // SE by the textbook formula on (log N, log y), and the interval's coverage by simulation: 4,000 fits of a
        // noisy law; the count that covers the true β is binomial(4000, 0.95), standard deviation 13.8, so
        // [3740, 3860] is ±4.3 standard deviations
        double[] n = {16, 32, 64, 128, 256, 512};
        Random r = new Random(11);
        int covered = 0;
        for (int rep = 0; rep < 4000; rep++) {
            double[] y = new double[n.length];
            for (int i = 0; i < n.length; i++) {
                y[i] = 2 * Math.pow(n[i], -0.4) * Math.exp(0.2 * r.nextGaussian());
            }
            PowerLaw fit = PowerLaw.fit(n, y);
            double[] ci = fit.betaInterval(0.95);
            covered += ci[0] <= -0.4 && -0.4 <= ci[1] ? 1 : 0;
            if (rep == 0) {
                double mx = 0;
                for (double v : n) {
                    mx += Math.log(v) / n.length;
                }
                double sxx = 0;
                double ssr = 0;
                for (int i = 0; i < n.length; i++) {
                    sxx += (Math.log(n[i]) - mx) * (Math.log(n[i]) - mx);
                    double e = Math.log(y[i]) - Math.log(fit.a()) - fit.beta() * Math.log(n[i]);
                    ssr += e * e;
                }
                assertThat(fit.betaStdError()).isCloseTo(Math.sqrt(ssr / 4 / sxx), within(1e-12));
                assertThat(ci[1] - fit.beta()).isCloseTo(2.7764451051977987 * fit.betaStdError(), within(1e-9));
            }
        }
        assertThat(covered).isBetween(3740, 3860);
    }

    @Test
    void studentTQuantilesMatchTheTables() {
        // two-sided 95% quantiles (scipy.stats.t.ppf(0.975, dof))
        assertThat(StudentT.twoSided(0.95, 1)).isCloseTo(12.706204736174698, within(1e-9));
        assertThat(StudentT.twoSided(0.95, 4)).isCloseTo(2.7764451051977987, within(1e-10));
        assertThat(StudentT.twoSided(0.95, 10)).isCloseTo(2.2281388519649385, within(1e-10));
        assertThat(StudentT.twoSided(0.95, 34)).isCloseTo(2.032244509317718, within(1e-10));
        assertThat(StudentT.twoSided(0.99, 16)).isCloseTo(2.9207816223499967, within(1e-10));
        assertThat(StudentT.twoSided(0.95, 100000)).isCloseTo(1.959986, within(1e-5));
    }

    @Test
    void theMeansAreWeightedByTheirCountsWhenNsHaveDifferentNumbersOfPoints() {
        // N = 10: three points (log y 0, 0, 0.3), N = 100: one (log y 1), N = 1000: two (1.5, 2.1)
        double[] n = {10, 10, 10, 100, 1000, 1000};
        double[] ly = {0, 0, 0.3, 1, 1.5, 2.1};
        double[] y = java.util.Arrays.stream(ly).map(Math::exp).toArray();
        PowerLaw fit = PowerLaw.fit(n, y);
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n.length; i++) {
            mx += Math.log(n[i]) / n.length;
            my += ly[i] / n.length;
        }
        double[][] means = {{10, 0.1, 3}, {100, 1, 1}, {1000, 1.8, 2}}; // N, mean log y, count
        double tot = 0;
        double res = 0;
        for (double[] m : means) {
            double line = Math.log(fit.a()) + fit.beta() * Math.log(m[0]);
            tot += m[2] * (m[1] - my) * (m[1] - my);
            res += m[2] * (m[1] - line) * (m[1] - line);
        }
        assertThat(fit.r2Means()).isCloseTo(1 - res / tot, within(1e-12));
        assertThat(fit.r2Means()).isBetween(0.0, 1.0).isGreaterThan(fit.r2());
    }

    @Test
    void twoPointsHaveNoInterval() {
        PowerLaw fit = PowerLaw.fit(new double[] {10, 100}, new double[] {1, 2});
        assertThat(fit.betaStdError()).isNaN();
        assertThat(fit.betaInterval(0.95)).containsOnly(Double.NaN);
        assertThat(fit.hasInterval()).isFalse();
        assertThat(fit.flat()).as("no interval: undetermined, not flat").isFalse();
    }

    @Test
    void badInputIsRefused() {
        assertThatThrownBy(() -> PowerLaw.fit(new double[] {1}, new double[] {1})).hasMessageContaining("two points");
        assertThatThrownBy(() -> PowerLaw.fit(new double[] {2, 2}, new double[] {1, 3})).hasMessageContaining("different");
        assertThatThrownBy(() -> PowerLaw.fit(new double[] {2, 4}, new double[] {1, -3})).hasMessageContaining("positive");
    }
}
