package io.eoscope.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.curvature.optim.OptimizerKind;
import io.eoscope.curvature.optim.OptimizerSettings;
import org.junit.jupiter.api.Test;

/** run.json's optimizer fields: PyTorch's defaults filled in, unused ones absent, old files read as plain GD. */
class RunConfigOptimizerTest {
    private static RunConfig gd() {
        return new RunConfig("r", "xor", null, 32, 2, 1, "2-8-2", "elu", "mse", 2, null, "gd", 0.01, 0.01, 0, 1, 1e-4, 1, 10, 0,
                0, 5, 0, "float32", "cpu", 1000, false);
    }

    @Test
    void defaultsAreFilledInAndUnusedHyperParametersAreAbsent() throws Exception {
        RunConfig adam = gd().withOptimizer(OptimizerSettings.defaults(OptimizerKind.ADAM, 2e-3), 8);
        assertThat(adam.optimizerSettings()).isEqualTo(OptimizerSettings.defaults(OptimizerKind.ADAM, 2e-3));
        assertThat(adam.learningRate()).isEqualTo(2e-3);
        assertThat(adam.momentum()).isNull();
        assertThat(adam.weightDecay()).isNull();
        assertThat(adam.miniBatch()).isTrue();
        JsonObject json = JsonParser.parseString(adam.toJson()).getAsJsonObject();
        assertThat(json.get("optimizer").getAsString()).isEqualTo("adam");
        assertThat(json.get("beta2").getAsDouble()).isEqualTo(0.999);
        assertThat(json.get("momentum").isJsonNull()).isTrue();
        assertThat(RunConfig.fromJson(adam.toJson(), "run.json")).isEqualTo(adam);
        RunConfig rms = gd().withOptimizer(OptimizerSettings.defaults(OptimizerKind.RMSPROP, 1e-3), null);
        assertThat(rms.beta2()).isEqualTo(0.99);
        assertThat(rms.beta1()).isNull();
        assertThat(rms.miniBatch()).isFalse();
        assertThat(gd().withOptimizer(OptimizerSettings.gd(0.01), 32).miniBatch()).as("B = N is full batch").isFalse();
    }

    @Test
    void aRunJsonWrittenBeforeOptimizersIsPlainGd() throws Exception {
        JsonObject json = JsonParser.parseString(gd().toJson()).getAsJsonObject();
        for (String field : new String[] {"optimizer", "momentum", "beta1", "beta2", "eps", "weightDecay", "batchSize"}) {
            json.remove(field);
        }
        RunConfig old = RunConfig.fromJson(json.toString(), "run.json");
        assertThat(old.optimizer()).isEqualTo("gd");
        assertThat(old.optimizerSettings()).isEqualTo(OptimizerSettings.gd(0.01));
        assertThat(old.batchSize()).isNull();
    }

    @Test
    void aRunJsonWithBadOptimizerFieldsNamesThem() {
        JsonObject json = JsonParser.parseString(gd().toJson()).getAsJsonObject();
        json.addProperty("optimizer", "adam");
        json.addProperty("beta1", 1.0);
        assertThatThrownBy(() -> RunConfig.fromJson(json.toString(), "run.json"))
                .hasMessage("run.json: --beta1 must be in [0, 1), got 1.0");
    }
}
