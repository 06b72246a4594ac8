package io.eoscope.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The gateway's settings: a weak token is refused at start, naming the variable; the new bounds are checked. */
class GatewayConfigTest {

    @Test
    void aTokenOfSpacesOrWithWhitespaceOrTooShortIsRefusedNamingTheVariable() {
        for (String token : new String[] {" ".repeat(16), "abcdefgh ijklmnopq", "\tabcdefghijklmnop", "short", "abcdefghijklmno "}) {
            assertThatThrownBy(() -> new GatewayConfig("127.0.0.1", 0, 300, 50, token))
                    .as("'" + token + "'").isInstanceOf(IllegalArgumentException.class).hasMessageContaining("EOS_GATEWAY_TOKEN");
        }
        assertThat(new GatewayConfig("127.0.0.1", 0, 300, 50, "s3cret-token-for-tests").token()).isEqualTo("s3cret-token-for-tests");
        assertThat(new GatewayConfig("127.0.0.1", 0, 300, 50, null).token()).isNull();
    }

    @Test
    void theNewOptionsAreValidatedNamingTheOption() {
        GatewayConfig d = new GatewayConfig("127.0.0.1", 0, 300, 50);
        assertThat(d.staleSeconds()).isEqualTo(60);
        assertThat(d.maxViewRuns()).isEqualTo(1000);
        assertThat(d.analysisId()).isEqualTo("default");
        assertThatThrownBy(() -> new GatewayConfig("h", 0, 300, 50, null, 0, 1000, "default")).hasMessageContaining("--stale-seconds");
        assertThatThrownBy(() -> new GatewayConfig("h", 0, 300, 50, null, 60, 0, "default")).hasMessageContaining("--max-view-runs");
        assertThatThrownBy(() -> new GatewayConfig("h", 0, 300, 50, null, 60, 10, "a/b")).hasMessageContaining("--analysis-id");
        assertThat(d.maxDensitySteps()).isEqualTo(256);
        assertThatThrownBy(() -> new GatewayConfig("h", 0, 300, 50, null, 60, 10, "default", io.eoscope.wire.MetricsRecord.Limits.DEFAULTS,
                256, 0)).hasMessage("--max-density-steps must be in 1..100000, got 0");
    }
}
