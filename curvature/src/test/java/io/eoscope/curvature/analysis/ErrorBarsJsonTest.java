package io.eoscope.curvature.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.eoscope.curvature.hessian.Curvature;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each spectrum object of the analysis JSON carries its error bars; an unknown Kato–Temple bound is null. */
class ErrorBarsJsonTest {

    @Test
    void residualAndKatoTempleBoundsAreWrittenPerEigenvalue() {
        Spectrum s = new Spectrum(new double[] {3.5, -1.25}, new double[] {1e-4, 2e-4}, new double[] {1.1e-4, 2.2e-4},
                new double[] {3.85e-4, 2.75e-4}, new double[] {4.2e-8, Double.NaN}, 40, true, false, null);
        JsonObject json = new AnalysisReport(0.5, 10, 3, 100, Map.of(Curvature.HESSIAN, s), null, Map.of()).toJson();
        JsonObject hessian = json.getAsJsonObject("hessian");
        assertThat(hessian.getAsJsonArray("residual_bounds").toString()).isEqualTo("[3.85E-4,2.75E-4]");
        assertThat(hessian.getAsJsonArray("kato_temple_bounds").toString()).isEqualTo("[4.2E-8,null]");
    }
}
