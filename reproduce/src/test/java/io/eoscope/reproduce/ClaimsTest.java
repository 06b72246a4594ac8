package io.eoscope.reproduce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
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

    /** Layer 1 at time t whose measured E‖K¹‖²_max is the five factors' product, as the identity makes it. */
    private static Claims.Layer1 layer1(double t, double piChi, double pChiDelta, double piJ, double pDeltaJ, double deltaL,
            double gaussNewtonTop) {
        return new Claims.Layer1(t, piChi, pChiDelta, piJ, pDeltaJ, deltaL, piChi * pChiDelta * piJ * pDeltaJ * deltaL,
                gaussNewtonTop);
    }

    @Test
    void alignmentAgreesWhenItHasTheLargestShareOfTheRiseOfTheFirstLayersTop() {
        Claims.Layer1 start = layer1(0, 1, 1, 10, 0.1, 2, 1.5);
        Claims.Layer1 end = layer1(80, 1.02, 1, 12, 0.4, 2, 7);
        double[] s = Claims.shares(start, end);
        double total = Math.log(1.02) + Math.log(1.2) + Math.log(4);
        // Δ log of the product is Δ log E‖K¹‖²_max: here 1 × 1 × 10 × 0.1 × 2 = 2 → 1.02 × 1 × 12 × 0.4 × 2 = 9.792
        assertThat(Math.log(end.kMaxSq() / start.kMaxSq())).isCloseTo(total, within(1e-12));
        assertThat(s).containsExactly(new double[] {100 * Math.log(1.02) / total, 0, 100 * Math.log(1.2) / total,
            100 * Math.log(4) / total, 0}, within(1e-9));
        assertThat(Arrays.stream(s).sum()).isCloseTo(100, within(1e-9));
        Claims.Claim c = Claims.alignment(start, end);
        assertThat(c.verdict()).isEqualTo("agrees");
        assertThat(c.measured()).contains("from t = 0.000 to t = 80.00", "P_{Δ,J}¹ 0.100 → 0.400 (+300.0%)", "P_{Δ,J}¹ +87.3%",
                "Π_J¹ +11.5%", "within a relative 0.0e+00", "λmax(G¹) 1.500 → 7.000 (Δ log +1.54");
    }

    @Test
    void alignmentRisingSevenPercentWhileTheJacobianNormsCarryTheRiseIsOnlyPartly() {
        // the numbers: P_ΔJ¹ 0.328 → 0.351 (+7%) while Π_J¹ doubles
        Claims.Layer1 start = layer1(0, 1.5, 0.9, 10, 0.328, 2, 5);
        Claims.Layer1 end = layer1(80, 1.5, 0.9, 20, 0.351, 2, 9);
        double[] s = Claims.shares(start, end);
        double rise = Math.log(0.351 / 0.328);
        double total = Math.log(2) + rise;
        assertThat(s[2]).isCloseTo(100 * Math.log(2) / total, within(1e-9)).isCloseTo(91.1, within(0.05));
        assertThat(s[Claims.ALIGNMENT]).isCloseTo(100 * rise / total, within(1e-9)).isCloseTo(8.9, within(0.05));
        assertThat(s[0]).isZero();
        assertThat(Arrays.stream(s).sum()).isCloseTo(100, within(1e-9));
        Claims.Claim c = Claims.alignment(start, end);
        assertThat(c.verdict()).isEqualTo("partly");
        assertThat(c.measured()).contains("(+7.0%)", "Π_J¹ +91.1%", "P_{Δ,J}¹ +8.9%");
    }

    @Test
    void alignmentThatFallsDisagreesWhateverElseRises() {
        Claims.Layer1 start = layer1(0, 1, 1, 10, 0.4, 2, 5);
        Claims.Layer1 end = layer1(80, 1, 1.5, 40, 0.3, 2, 20);
        double[] s = Claims.shares(start, end);
        double total = Math.log(1.5) + Math.log(4) + Math.log(0.75);
        assertThat(s[Claims.ALIGNMENT]).isCloseTo(100 * Math.log(0.75) / total, within(1e-9)).isNegative();
        assertThat(Arrays.stream(s).sum()).isCloseTo(100, within(1e-9));
        assertThat(Claims.alignment(start, end).verdict()).isEqualTo("disagrees");
        // no change of E‖K¹‖²_max to apportion (P_ΔJ¹ doubles, Π_J¹ halves): no shares, so a rising alignment is not
        // the largest
        Claims.Layer1 same = layer1(80, 1, 1, 5, 0.8, 2, 5);
        assertThat(Claims.shares(start, same)).containsOnly(Double.NaN);
        assertThat(Claims.alignment(start, same).verdict()).isEqualTo("partly");
    }

    @Test
    void alignmentReportsHowFarTheFactorsAreFromTheMeasuredTop() {
        Claims.Layer1 start = layer1(0, 1, 1, 10, 0.1, 2, 1.5);
        Claims.Layer1 end = layer1(80, 1.02, 1, 12, 0.4, 2, 7);
        Claims.Layer1 off = new Claims.Layer1(80, 1.02, 1, 12, 0.4, 2, end.kMaxSq() * 1.001, 7);
        assertThat(end.product()).isCloseTo(end.kMaxSq(), within(1e-12));
        // the shares come from the factors; the measured E‖K¹‖²_max only shows the identity's gap
        assertThat(Claims.shares(start, off)).containsExactly(Claims.shares(start, end), within(0.0));
        assertThat(Claims.alignment(start, off).measured()).contains("within a relative 1.0e-03");
    }

    /** A fit of P_ΔJ¹ at the end for {@code loss}: three seeds at each of six N, y = 2·N^β·exp(noise). */
    private static SizeLaw.Fit fit(String loss, double beta, double[] noise) {
        double[] sizes = {16, 32, 64, 128, 256, 512};
        List<SizeLaw.Point> points = new java.util.ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            for (int k = 0; k < 3; k++) {
                double[] v = new double[SizeLaw.QUANTITIES.size()];
                Arrays.fill(v, 2 * Math.pow(sizes[i], beta) * Math.exp(noise[(3 * i + k) % noise.length]));
                points.add(new SizeLaw.Point(loss, (int) sizes[i], k, SizeLaw.Moment.END, 1000, 10, 0.1, v));
            }
        }
        return SizeLaw.fit(loss, SizeLaw.Moment.END, SizeLaw.QUANTITIES.indexOf(SizeLaw.DEFAULT), points, 18, 7);
    }

    @Test
    void powerLawAgreesOnlyWhenEveryLossHasAClearExponentAndAGoodFitOfItsMeans() {
        double[] none = {0};
        double[] seedNoise = {0.05, -0.05, 0}; // the same scatter at every N: the means lie on the law
        SizeLaw.Fit rising = fit("cross_entropy", 0.3, seedNoise);
        SizeLaw.Fit falling = fit("mse", -0.3, none);
        assertThat(rising.law().r2Means()).isCloseTo(1, within(1e-12));
        assertThat(rising.good()).isTrue();
        Claims.Claim both = Claims.powerLaw(List.of(rising, falling), List.of());
        assertThat(both.verdict()).isEqualTo("agrees"); // no sign is required
        assertThat(both.measured()).startsWith("P_{Δ,J}¹ at the end of training: cross_entropy: β = +0.300, 95% interval [")
                .contains("R² of the per-N means 1.00 (18 points at 6 sizes) — good")
                .contains("mse: β = -0.300");

        // flat: the per-N means alternate without a trend, so β's interval contains 0
        double[] alternating = {0.4, 0.4, 0.4, -0.4, -0.4, -0.4, -0.4, -0.4, -0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, -0.4, -0.4, -0.4};
        SizeLaw.Fit flat = fit("mse", 0, alternating);
        assertThat(flat.law().flat()).isTrue();
        assertThat(flat.diagnosis()).isEqualTo("flat: β's 95% interval contains 0");
        Claims.Claim partly = Claims.powerLaw(List.of(rising, flat), List.of());
        assertThat(partly.verdict()).isEqualTo("partly");
        assertThat(partly.measured()).contains("mse: β = ").contains("— flat: β's 95% interval contains 0");
        assertThat(Claims.powerLaw(List.of(flat, flat), List.of()).verdict()).isEqualTo("disagrees");

        // noisy: a clear slope (18 points pin it down) but means that stray from the line: R² of the means below 0.74
        double[] wobble = {0.35, 0.35, 0.35, -0.35, -0.35, -0.35, 0.35, 0.35, 0.35, -0.35, -0.35, -0.35, 0.35, 0.35, 0.35,
            -0.35, -0.35, -0.35};
        SizeLaw.Fit noisy = fit("mse", 0.3, wobble);
        assertThat(noisy.law().flat()).isFalse();
        assertThat(noisy.law().r2Means()).isLessThan(0.74);
        assertThat(noisy.diagnosis()).startsWith("noisy: β is clear but R² of the per-N means");
        assertThat(Claims.powerLaw(List.of(rising, noisy), List.of()).verdict()).isEqualTo("partly");

        // a fit that cannot be judged is no evidence: one run reached the moment, or two points leave no interval
        SizeLaw.Point one = new SizeLaw.Point("mse", 64, 0, SizeLaw.Moment.END, 10, 1, 0.1, new double[] {1, 1, 1, 1, 1, 1});
        SizeLaw.Fit unfitted = SizeLaw.fit("mse", SizeLaw.Moment.END, 3, List.of(one), 12, 1);
        assertThat(unfitted.undetermined()).isTrue();
        assertThat(Claims.powerLaw(List.of(flat, unfitted), List.of()).verdict()).isEqualTo("partly");
        assertThat(Claims.powerLaw(List.of(unfitted, unfitted), List.of()).verdict()).isEqualTo("not measured");
        SizeLaw.Point other = new SizeLaw.Point("mse", 128, 0, SizeLaw.Moment.END, 10, 1, 0.1, new double[] {2, 2, 2, 2, 2, 2});
        SizeLaw.Fit two = SizeLaw.fit("mse", SizeLaw.Moment.END, 3, List.of(one, other), 12, 1);
        assertThat(two.diagnosis()).isEqualTo("undetermined: 2 points leave β no interval");
        assertThat(two.summary()).contains("no interval").doesNotContain("NaN");
    }

    @Test
    void eachOptimizerIsJudgedOnItsOwnRatioAfterStepZero() {
        long[] steps = {0, 25, 50, 75, 100, 125, 150, 175};
        // Adam: far past its edge at step 0 (P of one squared gradient), then at it
        Claims.Claim adam = Claims.optimizerEdge('e', "adam η = 0.002", "λmax(P⁻¹𝓗)", "(2+2β1)/((1−β1)η) = 19000", "Cohen",
                steps, new double[] {100, 0.5, 0.92, 1.05, 0.97, 1.02, 0.95, 1.0}, 199);
        assertThat(adam.verdict()).isEqualTo("agrees");
        assertThat(adam.claim()).isEqualTo("6e. adam η = 0.002: λmax(P⁻¹𝓗) rises to (2+2β1)/((1−β1)η) = 19000 and hovers there");
        assertThat(adam.measured()).isEqualTo("largest ratio 1.05; second-half median 0.985 (7 estimates after step 0)");
        // step 0 alone past the edge is not reaching it
        assertThat(Claims.optimizerEdge('a', "x", "q", "f", "s", steps, new double[] {100, 0.5, 0.6, 0.7, 0.7, 0.8, 0.8, 0.8},
                199).verdict()).isEqualTo("disagrees");
        // touched, then trained away from it (heavy-ball momentum on Fashion-MNIST): partly
        assertThat(Claims.optimizerEdge('b', "x", "q", "f", "s", steps, new double[] {0.5, 0.7, 1.02, 0.9, 0.76, 0.75, 0.75,
            0.76}, 199).verdict()).isEqualTo("partly");
        // no estimate after step 0: not measured, never a number
        Claims.Claim none = Claims.optimizerEdge('d', "x", "q", "f", "s", new long[] {0}, new double[] {100}, 199);
        assertThat(none.verdict()).isEqualTo("not measured");
        assertThat(none.measured()).isEqualTo("no estimate of the quantity after step 0");
        // a median 16% above 1 is past the edge, not at it
        assertThat(Claims.optimizerEdge('c', "x", "q", "f", "s", steps, new double[] {0.5, 1.1, 1.16, 1.16, 1.16, 1.17, 1.16,
            1.16}, 199).verdict()).isEqualTo("partly");
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
