package io.eoscope.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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
    void badInputIsRefused() {
        assertThatThrownBy(() -> PowerLaw.fit(new double[] {1}, new double[] {1})).hasMessageContaining("two points");
        assertThatThrownBy(() -> PowerLaw.fit(new double[] {2, 2}, new double[] {1, 3})).hasMessageContaining("different");
        assertThatThrownBy(() -> PowerLaw.fit(new double[] {2, 4}, new double[] {1, -3})).hasMessageContaining("positive");
    }
}
