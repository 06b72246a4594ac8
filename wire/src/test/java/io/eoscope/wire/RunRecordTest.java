package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The runs topic's record: valid configurations, and every kind of bad one refused with a reason naming the field. */
class RunRecordTest {
    /** What the trainer writes today (RunConfig.toJson() plus dataset_hash and status): no schema yet. */
    static final String TRAINER = "{\"run\":\"r1\",\"dataset\":\"xor\",\"dataDir\":null,\"n\":64,\"classes\":2,\"dataSeed\":3,"
            + "\"architecture\":\"2-8-8-2\",\"activation\":\"elu\",\"loss\":\"mse\",\"initSeed\":4,\"modelFile\":null,\"solver\":\"gd\","
            + "\"learningRate\":0.05,\"etaMax\":0.01,\"warmupSteps\":0,\"warmupFactor\":0.1,\"tolerance\":1e-4,\"sharpnessEvery\":1,"
            + "\"steps\":20,\"untilTime\":0,\"untilLoss\":0,\"snapshotEvery\":10,\"snapshotDt\":0,\"dtype\":\"float32\",\"device\":\"cpu\","
            + "\"chunkSize\":1000,\"strict\":false,\"dataset_hash\":\"abc\",\"status\":\"running\"}";

    static RunRecord parse(String key, String json) throws MalformedRecordException {
        return RunRecord.parse(key, json.getBytes(StandardCharsets.UTF_8));
    }

    static String reason(String key, String json) {
        try {
            parse(key, json);
        } catch (MalformedRecordException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + json);
    }

    @Test
    void aTrainersRecordReadsWithTypedFieldsAndRoundTrips() throws Exception {
        RunRecord r = parse("r1", TRAINER);
        assertThat(r.run()).isEqualTo("r1");
        assertThat(r.status()).isEqualTo(RunRecord.Status.RUNNING);
        assertThat(r.failure()).isNull();
        assertThat(r.solver()).isEqualTo("gd");
        assertThat(r.learningRate()).isEqualTo(0.05);
        assertThat(r.n()).isEqualTo(64);
        assertThat(r.twoOverEta()).isEqualTo(40.0);
        assertThat(r.datasetHash()).isEqualTo("abc");
        assertThat(r.updatedAt()).isNull();
        assertThat(r.toJson().get("schema").getAsInt()).isEqualTo(1);
        assertThat(RunRecord.parse("r1", r.toJson())).isEqualTo(r);
        // without a key the run comes from the value
        assertThat(parse(null, TRAINER).run()).isEqualTo("r1");
    }

    @Test
    void failedCarriesItsReasonAndOptionalFieldsRead() throws Exception {
        RunRecord r = parse("r1", TRAINER.replace("\"running\"", "\"failed\",\"failure\":\"loss diverged\",\"schema\":1,"
                + "\"updated_at\":1700000000000,\"resumed_from_step\":40"));
        assertThat(r.status()).isEqualTo(RunRecord.Status.FAILED);
        assertThat(r.failure()).isEqualTo("loss diverged");
        assertThat(r.updatedAt()).isEqualTo(1_700_000_000_000L);
        assertThat(r.resumedFromStep()).isEqualTo(40);
        assertThat(r.toJson().get("failure").getAsString()).isEqualTo("loss diverged");
        assertThat(parse("r1", TRAINER.replace("\"running\"", "\"finished\"")).status()).isEqualTo(RunRecord.Status.FINISHED);
        // a failure field on a finished run is dropped: failure goes with failed only
        assertThat(parse("r1", TRAINER.replace("\"running\"", "\"finished\",\"failure\":\"x\"")).toJson().has("failure")).isFalse();
    }

    @Test
    void wrongTypesAreRefusedNamingTheField() {
        assertThat(reason("r1", "{\"status\":{\"x\":1}}")).contains("'status'").contains("string");
        assertThat(reason("r1", TRAINER.replace("0.05", "\"abc\""))).contains("'learningRate'").contains("\"abc\"");
        assertThat(reason("r1", TRAINER.replace("\"n\":64", "\"n\":[1]"))).contains("'n'");
        assertThat(reason("r1", TRAINER.replace("\"n\":64", "\"n\":6.5"))).contains("'n'").contains("whole number");
        assertThat(reason("r1", TRAINER.replace("\"solver\":\"gd\"", "\"solver\":7"))).contains("'solver'");
        assertThat(reason("r1", TRAINER.replace("\"running\"", "\"paused\""))).contains("running, finished or failed");
    }

    @Test
    void missingOrInconsistentIdentityIsRefused() {
        assertThat(reason("r1", "{\"run\":\"r1\"}")).contains("missing field 'status'");
        assertThat(reason("other", TRAINER)).contains("'r1'").contains("'other'");
        assertThat(reason(null, "{\"status\":\"running\"}")).contains("no run");
        assertThat(reason("bad\nname", "{\"status\":\"running\"}")).contains("key");
        assertThat(reason("r1", "[1,2]")).contains("not a JSON object");
        assertThat(reason("r1", "{not json")).contains("not");
        assertThatThrownBy(() -> RunRecord.parse("r1", (byte[]) null)).hasMessageContaining("empty");
    }

    @Test
    void unknownSchemaIsRefused() {
        assertThat(reason("r1", TRAINER.replace("{", "{\"schema\":2,"))).contains("unknown schema 2");
        assertThat(reason("r1", TRAINER.replace("{", "{\"schema\":\"one\","))).contains("'schema'");
    }

    @Test
    void aLearningRateThatIsNotPositiveIsRefused() {
        assertThat(reason("r1", TRAINER.replace("0.05", "-1"))).contains("'learningRate' must be a step size: a finite number > 0");
        assertThat(reason("r1", TRAINER.replace("0.05", "0"))).contains("'learningRate' must be a step size: a finite number > 0");
    }

    @Test
    void nonFiniteNumbersBecomeNull() throws Exception {
        RunRecord r = parse("r1", TRAINER.replace("0.05", "NaN"));
        assertThat(r.learningRate()).isNaN();
        assertThat(r.twoOverEta()).isNaN();
        assertThat(r.toJson().toString()).doesNotContain("NaN").contains("\"learningRate\":null");
        assertThat(parse("r1", TRAINER.replace("0.05", "null")).learningRate()).isNaN();
        assertThat(JsonParser.parseString(r.toJson().toString()).getAsJsonObject().get("learningRate").isJsonNull()).isTrue();
    }

    /** Strict clients refuse 16.0 for an integer: the configuration's whole numbers are written as whole numbers. */
    @Test
    void wholeNumbersOfTheConfigurationAreWrittenAsWholeNumbers() throws Exception {
        RunRecord r = RunRecord.parse("a", "{\"run\":\"a\",\"status\":\"running\",\"n\":16.0,\"classes\":2e0,\"learningRate\":0.5}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(r.config().toString()).contains("\"n\":16,").contains("\"classes\":2,").contains("\"learningRate\":0.5");
    }
    /** What eos train writes for an Adam run on mini-batches: run.json's optimizer fields, null where the rule has none. */
    static final String ADAM = TRAINER.replace("\"strict\":false", "\"strict\":false,\"optimizer\":\"adam\",\"momentum\":null,"
            + "\"beta1\":0.9,\"beta2\":0.999,\"eps\":1e-8,\"weightDecay\":null,\"batchSize\":16");

    @Test
    void theOptimizerAndBatchSizeReadAsTheSettingsOfTheSnapshots() throws Exception {
        RunRecord r = parse("r1", ADAM);
        io.eoscope.curvature.optim.OptimizerSettings s = r.optimizerSettings().orElseThrow();
        assertThat(s).isEqualTo(new io.eoscope.curvature.optim.OptimizerSettings(io.eoscope.curvature.optim.OptimizerKind.ADAM,
                0.05, 0, 0.9, 0.999, 1e-8, 0));
        assertThat(s.threshold()).isEqualTo(3.8 / (0.1 * 0.05), org.assertj.core.data.Offset.offset(1e-9)); // (2+2β1)/((1−β1)η) = 760
        assertThat(r.batchSize()).isEqualTo(16);
        assertThat(r.miniBatch()).isTrue();
        assertThat(r.stabilityQuantity()).contains(io.eoscope.curvature.optim.StabilityQuantity.PRECONDITIONED_SHARPNESS);
        assertThat(RunRecord.parse("r1", r.toJson())).isEqualTo(r);
        // B = N is the full batch
        assertThat(parse("r1", ADAM.replace("\"batchSize\":16", "\"batchSize\":64")).miniBatch()).isFalse();
        // the Python client's record: the rule's hyper-parameters only, solver pytorch
        RunRecord py = parse("p", "{\"run\":\"p\",\"status\":\"running\",\"solver\":\"pytorch\",\"n\":100,\"learningRate\":0.1,"
                + "\"optimizer\":\"momentum\",\"momentum\":0.9,\"batchSize\":10}");
        assertThat(py.optimizerSettings().orElseThrow().threshold()).isEqualTo(38.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(py.stabilityQuantity()).contains(io.eoscope.curvature.optim.StabilityQuantity.BATCH_SHARPNESS);
    }

    /** Records written before optimizers had their own edge stay valid: plain full-batch GD. */
    @Test
    void aRecordWithoutAnOptimizerIsFullBatchGd() throws Exception {
        RunRecord r = parse("r1", TRAINER);
        assertThat(r.optimizerSettings()).contains(io.eoscope.curvature.optim.OptimizerSettings.gd(0.05));
        assertThat(r.batchSize()).isNull();
        assertThat(r.miniBatch()).isFalse();
        assertThat(r.stabilityQuantity()).contains(io.eoscope.curvature.optim.StabilityQuantity.SHARPNESS);
        // the step-size-adapting solvers' threshold is 2/η_u, step by step: no run-level settings
        assertThat(parse("r1", TRAINER.replace("\"solver\":\"gd\"", "\"solver\":\"exp-euler\"")
                .replace("\"strict\":false", "\"strict\":false,\"optimizer\":\"gd\"")).optimizerSettings()).isEmpty();
        // a client that says neither its optimizer nor solver gd: unknown, never assumed
        assertThat(parse("p", "{\"run\":\"p\",\"status\":\"running\",\"solver\":\"pytorch\",\"learningRate\":0.1}")
                .optimizerSettings()).isEmpty();
        // nor without a step size
        assertThat(parse("r1", ADAM.replace("0.05", "null")).optimizerSettings()).isEmpty();
        // a producer that names its optimizer and no solver at all (found by the fleet harness: this threw, and the
        // gateway's list of runs failed for every run while such a record was in view)
        assertThat(parse("q", "{\"run\":\"q\",\"status\":\"running\",\"optimizer\":\"gd\",\"learningRate\":0.05}")
                .optimizerSettings()).contains(io.eoscope.curvature.optim.OptimizerSettings.gd(0.05));
    }

    @Test
    void badOptimizerFieldsAreRefusedByTheSettingsOwnRulesNamingTheField() {
        assertThat(reason("r1", ADAM.replace("\"adam\"", "\"lion\"")))
                .isEqualTo("field 'optimizer' must be gd, momentum, nesterov, rmsprop, adam or adamw, got 'lion'");
        assertThat(reason("r1", ADAM.replace("\"beta1\":0.9", "\"beta1\":1"))).isEqualTo("field 'beta1' must be in [0, 1), got 1.0");
        assertThat(reason("r1", ADAM.replace("\"beta2\":0.999", "\"beta2\":-0.5"))).contains("field 'beta2' must be in [0, 1)");
        assertThat(reason("r1", ADAM.replace("\"eps\":1e-8", "\"eps\":0"))).contains("field 'eps' must be a positive number");
        assertThat(reason("r1", ADAM.replace("\"weightDecay\":null", "\"weightDecay\":0.01")))
                .startsWith("field 'weightDecay' applies to --optimizer adamw only")
                .doesNotContain("weight_decay");
        assertThat(reason("r1", ADAM.replace("\"momentum\":null", "\"momentum\":0.9"))).isEqualTo("field 'momentum' applies to --optimizer momentum or nesterov only, not adam");
        assertThat(reason("r1", ADAM.replace("\"beta1\":0.9", "\"beta1\":\"high\""))).contains("'beta1'").contains("number");
        // the rules hold without a step size too
        assertThat(reason("r1", ADAM.replace("0.05", "null").replace("\"beta1\":0.9", "\"beta1\":2"))).contains("'beta1'");
        assertThat(reason("r1", ADAM.replace("\"batchSize\":16", "\"batchSize\":0"))).isEqualTo("field 'batchSize' must be a batch size ≥ 1, got 0");
        assertThat(reason("r1", ADAM.replace("\"batchSize\":16", "\"batchSize\":65")))
                .isEqualTo("field 'batchSize' must be at most n (64 samples), got 65");
        assertThat(reason("r1", ADAM.replace("\"batchSize\":16", "\"batchSize\":1.5"))).contains("'batchSize'").contains("whole number");
        // the producer's side: the same rules
        assertThatThrownBy(() -> new RunRecord("r1", com.google.gson.JsonParser.parseString(ADAM.replace("\"eps\":1e-8", "\"eps\":-1"))
                .getAsJsonObject(), RunRecord.Status.RUNNING, null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'eps'");
    }

    /** wire takes the optimizers' rules from curvature, and nothing else of it: no DJL on its class path. */
    @Test
    void noDjlComesWithTheOptimizerRules() {
        assertThatThrownBy(() -> Class.forName("ai.djl.ndarray.NDArray")).isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> Class.forName("org.ejml.data.DMatrixRMaj")).isInstanceOf(ClassNotFoundException.class);
    }
}
