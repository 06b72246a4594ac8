package io.eoscope.curvature.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptimizerSettingsTest {

    @Test
    void thresholdsAreEachRulesOwnEdge() {
        // docs/science.md#other-optimizers: 2/η; (2+2β)/η; (2+2β)/(η(1+2β)); 2/η; (2+2β1)/((1−β1)η) = 38/η at β1 0.9
        assertThat(OptimizerSettings.gd(0.01).threshold()).isCloseTo(200, within(1e-12));
        assertThat(OptimizerSettings.defaults(OptimizerKind.MOMENTUM, 0.05).threshold()).isCloseTo(3.8 / 0.05, within(1e-12));
        assertThat(OptimizerSettings.defaults(OptimizerKind.NESTEROV, 0.05).threshold())
                .isCloseTo(3.8 / (0.05 * 2.8), within(1e-12));
        assertThat(OptimizerSettings.defaults(OptimizerKind.RMSPROP, 1e-3).threshold()).isCloseTo(2000, within(1e-9));
        assertThat(OptimizerSettings.defaults(OptimizerKind.ADAM, 2e-3).threshold()).isCloseTo(38 / 2e-3, within(1e-8));
        assertThat(OptimizerSettings.defaults(OptimizerKind.ADAMW, 2e-3).threshold()).isCloseTo(38 / 2e-3, within(1e-8));
    }

    @Test
    void quantityFollowsTheRuleAndTheBatch() {
        assertThat(OptimizerSettings.gd(0.1).quantity(false)).isEqualTo(StabilityQuantity.SHARPNESS);
        assertThat(OptimizerSettings.gd(0.1).quantity(true)).isEqualTo(StabilityQuantity.BATCH_SHARPNESS);
        assertThat(OptimizerSettings.defaults(OptimizerKind.MOMENTUM, 0.1).quantity(true))
                .isEqualTo(StabilityQuantity.BATCH_SHARPNESS);
        assertThat(OptimizerSettings.defaults(OptimizerKind.ADAM, 0.1).quantity(false))
                .isEqualTo(StabilityQuantity.PRECONDITIONED_SHARPNESS);
    }

    @Test
    void badSettingsNameTheirOption() {
        assertThatThrownBy(() -> OptimizerKind.parse("--optimizer", "lion")).hasMessageContaining("--optimizer must be gd,")
                .hasMessageContaining("'lion'");
        assertThatThrownBy(() -> new OptimizerSettings(OptimizerKind.MOMENTUM, 0.1, 1.0, 0.9, 0.999, 1e-8, 0))
                .hasMessageStartingWith("--momentum must be in (0, 1)");
        assertThatThrownBy(() -> new OptimizerSettings(OptimizerKind.ADAM, 0.1, 0, -0.1, 0.999, 1e-8, 0))
                .hasMessageStartingWith("--beta1 must be in [0, 1)");
        assertThatThrownBy(() -> new OptimizerSettings(OptimizerKind.ADAM, 0.1, 0, 0.9, 1.0, 1e-8, 0))
                .hasMessageStartingWith("--beta2 must be in [0, 1)");
        assertThatThrownBy(() -> new OptimizerSettings(OptimizerKind.ADAM, 0.1, 0, 0.9, 0.999, 0, 0))
                .hasMessageStartingWith("--eps must be a positive number");
        assertThatThrownBy(() -> new OptimizerSettings(OptimizerKind.ADAM, 0.1, 0, 0.9, 0.999, 1e-8, 0.01))
                .hasMessageStartingWith("--weight-decay applies to --optimizer adamw only");
        assertThatThrownBy(() -> OptimizerSettings.gd(-1)).hasMessageStartingWith("--lr must be a positive number");
    }

    @Test
    void metadataRoundTripsAndOldSnapshotsAreGd() {
        for (OptimizerKind k : OptimizerKind.values()) {
            OptimizerSettings s = OptimizerSettings.defaults(k, 0.003);
            assertThat(OptimizerSettings.fromMetadata(s.metadata())).isEqualTo(s);
        }
        assertThat(OptimizerSettings.fromMetadata(Map.of("lr", "0.05"))).isEqualTo(OptimizerSettings.gd(0.05));
        Map<String, String> bad = new HashMap<>(OptimizerSettings.defaults(OptimizerKind.ADAM, 0.01).metadata());
        bad.put("beta2", "1.5");
        assertThatThrownBy(() -> OptimizerSettings.fromMetadata(bad)).hasMessage("metadata: field 'beta2' must be in [0, 1), got 1.5");
        bad.put("beta2", "x");
        assertThatThrownBy(() -> OptimizerSettings.fromMetadata(bad)).hasMessageContaining("field 'beta2' must be a finite number");
        assertThatThrownBy(() -> OptimizerSettings.fromMetadata(Map.of("optimizer", "adam")))
                .hasMessageContaining("field 'lr' is required");
    }
}
