package io.eoscope.launcher.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eoscope.gateway.PowerLaw;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The claims' criteria on hand-made traces whose verdicts are known, edges included. */
class ClaimsTest {

    private static Claims.Trace trace(double eta, double... ratios) {
        double[] t = new double[ratios.length];
        double[] s = new double[ratios.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = i;
            s[i] = ratios[i] * 2 / eta;
        }
        return new Claims.Trace(eta, t, s);
    }

    @Test
    void edgeOfStabilityNeedsEveryStepSizeToReachAndHoverAtTwoOverEta() {
        Claims.Trace hovers = trace(0.05, 0.5, 0.8, 1.05, 0.95, 1.0, 0.98);
        Claims.Trace below = trace(0.04, 0.5, 0.6, 0.7, 0.8, 0.8, 0.8);
        Claims.Trace overshoots = trace(0.02, 0.5, 0.9, 1.3, 1.2, 1.25, 1.3);
        assertEquals("agrees", Claims.edgeOfStability(List.of(hovers, trace(0.1, 0.9, 1, 1, 1, 1, 1))).verdict());
        assertEquals("partly", Claims.edgeOfStability(List.of(hovers, below)).verdict());
        assertEquals("disagrees", Claims.edgeOfStability(List.of(below, overshoots)).verdict());
        // NaN (steps without a sharpness) are skipped, not counted
        Claims.Trace gaps = new Claims.Trace(0.05, new double[] {0, 1, 2, 3}, new double[] {Double.NaN, 40, Double.NaN, 40});
        assertEquals("agrees", Claims.edgeOfStability(List.of(gaps)).verdict());
    }

    @Test
    void exponentialEulerMustBeCloserToTheFlowThanEveryGdRun() {
        double[] etas = {0.05, 0.04};
        assertEquals("agrees", Claims.exponentialEuler(0.01, new double[] {0.5, 0.2}, etas, 1.5).verdict());
        assertEquals("partly", Claims.exponentialEuler(0.08, new double[] {0.5, 0.2}, etas, 1.5).verdict());
        assertEquals("disagrees", Claims.exponentialEuler(0.3, new double[] {0.5, 0.2}, etas, 1.5).verdict());
        assertEquals("not measured", Claims.exponentialEuler(Double.NaN, new double[] {0.5, 0.2}, etas, 1.5).verdict());
    }

    @Test
    void gaussNewtonShareIsJudgedOnTheSecondHalf() {
        double[] t = {0, 1, 2, 3};
        double[] h = {10, 10, 10, 10};
        // the first half does not count: G is small there and large after
        assertEquals("agrees", Claims.gaussNewton(t, h, new double[] {1, 1, 9.5, 9.9}, new double[] {9, 9, 0.5, 0.1}).verdict());
        assertEquals("partly", Claims.gaussNewton(t, h, new double[] {9, 9, 7, 7}, new double[] {1, 1, 3, 3}).verdict());
        assertEquals("disagrees", Claims.gaussNewton(t, h, new double[] {9, 9, 5, 5}, new double[] {1, 1, 5, 5}).verdict());
    }

    @Test
    void firstLayerMustLeadInMostLateSnapshots() {
        double[] t = {0, 1, 2, 3, 4};
        double[] g = {10, 10, 10, 10, 10};
        double[][] leads = {{1, 1, 5, 5, 5}, {2, 2, 1, 1, 1}};
        double[][] lastOnly = {{1, 1, 1, 1, 5}, {2, 2, 2, 2, 1}};
        double[][] never = {{1, 1, 1, 1, 1}, {2, 2, 2, 2, 2}};
        assertEquals("agrees", Claims.firstLayer(t, leads, g).verdict());
        assertEquals("partly", Claims.firstLayer(t, lastOnly, g).verdict());
        assertEquals("disagrees", Claims.firstLayer(t, never, g).verdict());
    }

    @Test
    void alignmentMustRiseAndTrackTheGaussNewtonSharpness() {
        double[] g = {10, 20, 40, 80};
        double[] rho = {1, 1, 1, 1};
        double[] k = {2, 2, 2, 2};
        assertEquals("agrees", Claims.alignment(new double[] {0.1, 0.2, 0.4, 0.8}, g, rho, k).verdict());
        assertEquals("partly", Claims.alignment(new double[] {0.1, 0.05, 0.03, 0.2}, g, rho, k).verdict());
        assertEquals("disagrees", Claims.alignment(new double[] {0.8, 0.4, 0.2, 0.1}, g, rho, k).verdict());
        assertEquals(1.0, Claims.pearsonLog(new double[] {1, 2, 4, 8}, new double[] {3, 6, 12, 24}), 1e-12);
    }

    @Test
    void powerLawVerdictUsesThePapersLowerR2() {
        double[] n = {16, 32, 64, 128, 256, 512};
        double[] exact = new double[n.length];
        double[] noisy = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            exact[i] = 2 * Math.pow(n[i], -0.3);
            noisy[i] = i % 2 == 0 ? 1 : 2; // no trend: R² near 0
        }
        PowerLaw good = PowerLaw.fit(n, exact);
        PowerLaw bad = PowerLaw.fit(n, noisy);
        assertEquals(-0.3, good.beta(), 1e-12);
        assertEquals(1.0, good.r2(), 1e-12);
        assertTrue(bad.r2() < 0.74);
        List<String> losses = List.of("cross_entropy", "mse");
        assertEquals("agrees", Claims.powerLaw(losses, List.of(good, good)).verdict());
        assertEquals("partly", Claims.powerLaw(losses, List.of(good, bad)).verdict());
        assertEquals("disagrees", Claims.powerLaw(losses, List.of(bad, bad)).verdict());
    }

    @Test
    void deviationComparesAtTheSolversOwnTimes() {
        double[] flowT = {0, 0.5, 1, 1.5, 2};
        double[] flowL = {4, 2, 1, 0.5, 0.25};
        // exact at every own time: no deviation, although a straight line between t = 0 and 1 is far off at 0.5
        assertEquals(0, Reproduction.deviation(new double[] {0, 1, 2}, new double[] {4, 1, 0.25}, flowT, flowL), 1e-15);
        assertEquals(0.5, Reproduction.deviation(new double[] {0, 1}, new double[] {4, 1.5}, flowT, flowL), 1e-15);
        // a time between reference times interpolates the reference; times past its end are skipped
        assertEquals(0.0, Reproduction.deviation(new double[] {0.25, 9}, new double[] {3, 100}, flowT, flowL), 1e-15);
    }
}
