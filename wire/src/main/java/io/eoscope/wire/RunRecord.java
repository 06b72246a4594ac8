package io.eoscope.wire;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.eoscope.curvature.optim.OptimizerSettings;
import io.eoscope.curvature.optim.StabilityQuantity;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A record of the {@code runs} topic (compacted, key = run): the run's configuration fields as the
 * trainer's {@code RunConfig.toJson()} writes them, plus {@code schema}, {@code dataset_hash},
 * {@code status} ({@code running}, {@code finished} or {@code failed}), {@code failure} (the reason,
 * only with {@code failed}), optionally {@code updated_at} (epoch ms) and {@code resumed_from_step}.
 *
 * <p>The configuration's known fields are type-checked ({@code "learningRate":"abc"} is refused);
 * unknown fields are kept as they are (producers may add fields). Non-finite numbers are kept as JSON null.
 * The optimizer ({@code optimizer}, {@code learningRate}, {@code momentum}, {@code beta1}, {@code beta2}, {@code eps},
 * {@code weightDecay}, as {@code run.json} names them) is checked by {@link OptimizerSettings}' own rules, and
 * {@code batchSize} is a batch size of at most {@code n}; a record without them is a full-batch GD run.
 *
 * @param run the run's name ({@code [A-Za-z0-9._-]{1,200}})
 * @param config every field of the record except {@code schema}, non-finite numbers as null
 * @param status the run's state as its trainer last said it
 * @param failure why the run failed (only with {@link Status#FAILED}), else null
 */
public record RunRecord(String run, JsonObject config, Status status, String failure) {

    /** A run's state as its trainer says it. */
    public enum Status {
        RUNNING, FINISHED, FAILED;

        /** The wire name: {@code running}, {@code finished}, {@code failed}. */
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Fields that must be strings (or null) when present. */
    private static final Set<String> STRINGS = Set.of("run", "solver", "dataset", "dataDir", "architecture", "activation", "loss",
            "dtype", "device", "modelFile", "dataset_hash", "failure", "status", "optimizer");
    /** Fields that must be whole numbers (or null) when present. */
    private static final Set<String> INTEGERS = Set.of("n", "classes", "dataSeed", "initSeed", "warmupSteps", "sharpnessEvery",
            "steps", "snapshotEvery", "chunkSize", "updated_at", "resumed_from_step", "batchSize");
    /** Fields that must be numbers (or null) when present. */
    private static final Set<String> NUMBERS = Set.of("learningRate", "etaMax", "warmupFactor", "tolerance", "untilTime",
            "untilLoss", "snapshotDt", "momentum", "beta1", "beta2", "eps", "weightDecay");
    /**
     * The optimizer's fields, by their names here ({@code run.json}'s) and in a snapshot's metadata
     * ({@link OptimizerSettings#metadata()}'s), the only two names that differ being the step size and the decay.
     */
    private static final Map<String, String> OPTIMIZER_FIELDS = optimizerFields();
    /** eos train's solvers whose step size changes every step: their threshold is 2/η_u, told by each telemetry step. */
    private static final Set<String> VARIABLE_STEP_SOLVERS = Set.of("adaptive-gd", "exp-euler");

    private static Map<String, String> optimizerFields() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("optimizer", OptimizerSettings.KEY_OPTIMIZER);
        m.put("learningRate", "lr");
        for (String same : new String[] {"momentum", "beta1", "beta2", "eps"}) {
            m.put(same, same);
        }
        m.put("weightDecay", "weight_decay");
        return m;
    }

    /** Validates and copies. */
    public RunRecord {
        if (run == null || !JsonFields.NAME.matcher(run).matches()) {
            throw new IllegalArgumentException("run must match " + JsonFields.NAME.pattern() + ", got '" + run + "'");
        }
        if (status == null) {
            throw new IllegalArgumentException("status is required");
        }
        if ((status == Status.FAILED) != (failure != null)) {
            throw new IllegalArgumentException("failure is given exactly when status is failed");
        }
        config = config == null ? new JsonObject() : JsonFields.finite(config).getAsJsonObject();
        try {
            checkFields(config);
        } catch (MalformedRecordException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        config.remove("schema");
        config.addProperty("run", run);
        config.addProperty("status", status.wire());
        if (failure != null) {
            config.addProperty("failure", failure);
        } else {
            config.remove("failure");
        }
    }

    /**
     * Parses a {@code runs} record.
     *
     * @param key the record's key (the run), or null to take the run from the value
     * @param value the record's value
     */
    public static RunRecord parse(String key, byte[] value) throws MalformedRecordException {
        return parse(key, JsonFields.object(value));
    }

    /** Parses a {@code runs} record's JSON object (see {@link #parse(String, byte[])}). */
    public static RunRecord parse(String key, JsonObject value) throws MalformedRecordException {
        JsonFields.schema(value);
        JsonObject o = value.deepCopy(); // whole numbers are rewritten below: never the caller's object
        checkFields(o);
        String named = JsonFields.optString(o, "run");
        String run = key != null ? key : named;
        if (run == null) {
            throw new MalformedRecordException("no run: neither a key nor a field 'run'");
        }
        JsonFields.checkName(key != null ? "key" : "run", run, JsonFields.NAME);
        if (named != null && !named.equals(run)) {
            throw new MalformedRecordException("field 'run' is '" + named + "' but the key is '" + run + "'");
        }
        String s = JsonFields.string(o, "status");
        Status status = switch (s) {
            case "running" -> Status.RUNNING;
            case "finished" -> Status.FINISHED;
            case "failed" -> Status.FAILED;
            default -> throw new MalformedRecordException("field 'status' must be running, finished or failed, got '"
                    + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'");
        };
        String failure = JsonFields.optString(o, "failure");
        if (status == Status.FAILED && (failure == null || failure.isBlank())) {
            failure = "no reason given"; // still a failed run: never shown as running
        }
        if (status != Status.FAILED) {
            failure = null;
        }
        try {
            return new RunRecord(run, o, status, failure);
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordException(e.getMessage());
        }
    }

    /**
     * The types of the known fields (whole numbers written as such in {@code o}) and their {@link FieldRules}: the
     * step sizes are step sizes, the counts counts, the resumed step a step. Producers and the parser alike.
     */
    private static void checkFields(JsonObject o) throws MalformedRecordException {
        for (String f : o.keySet().toArray(new String[0])) {
            if (STRINGS.contains(f)) {
                JsonFields.optString(o, f);
            } else if (INTEGERS.contains(f)) {
                JsonFields.wholeNumber(o, f);
            } else if (NUMBERS.contains(f)) {
                JsonFields.optNumber(o, f);
            }
        }
        try {
            for (String f : new String[] {"learningRate", "etaMax"}) {
                FieldRules.stepSize(f, JsonFields.optNumber(o, f));
            }
            for (String f : new String[] {"n", "classes", "steps"}) {
                Long v = JsonFields.optInteger(o, f);
                if (v != null) {
                    FieldRules.count(f, v);
                }
            }
            Long resumed = JsonFields.optInteger(o, "resumed_from_step");
            if (resumed != null) {
                FieldRules.step("resumed_from_step", resumed);
            }
            Long batch = JsonFields.optInteger(o, "batchSize");
            if (batch != null) {
                FieldRules.batchSize("batchSize", batch);
                Long n = JsonFields.optInteger(o, "n");
                if (n != null && batch > n) {
                    throw new IllegalArgumentException("field 'batchSize' must be at most n (" + n + " samples), got " + batch);
                }
            }
            // the hyper-parameters' rules hold whether or not the step size is known: an unknown one stands in as 1
            double lr = JsonFields.optNumber(o, "learningRate");
            optimizerSettings(o, Double.isNaN(lr) ? 1 : lr);
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordException(e.getMessage());
        }
    }

    /**
     * The settings the optimizer fields of {@code o} describe ({@link OptimizerSettings#fromMetadata}: none is plain GD),
     * at step size {@code lr}.
     *
     * @throws IllegalArgumentException naming the field as this record names it
     */
    private static OptimizerSettings optimizerSettings(JsonObject o, double lr) {
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, String> f : OPTIMIZER_FIELDS.entrySet()) {
            JsonElement e = o.get(f.getKey());
            if (e != null && !e.isJsonNull()) {
                metadata.put(f.getValue(), e.getAsString());
            }
        }
        metadata.put("lr", Double.toString(lr));
        try {
            return OptimizerSettings.fromMetadata(metadata);
        } catch (IllegalArgumentException e) {
            String reason = e.getMessage().replaceFirst("^metadata: ", "");
            for (Map.Entry<String, String> f : OPTIMIZER_FIELDS.entrySet()) {
                reason = reason.replace("field '" + f.getValue() + "'", "field '" + f.getKey() + "'");
            }
            throw new IllegalArgumentException(reason, e);
        }
    }

    /**
     * The optimizer the run steps by, at its {@code learningRate}: that of solver {@code gd} (a record without
     * {@code optimizer} is plain GD) or of another producer's run that names its optimizer (the Python client's).
     * Empty when the step size is unknown, for eos train's {@code adaptive-gd} and {@code exp-euler}, whose step size
     * changes every step (their threshold, 2/η_u, comes with each telemetry step), and for a run that names no optimizer
     * and no solver {@code gd} (what it steps by is not said).
     */
    public Optional<OptimizerSettings> optimizerSettings() {
        double lr = learningRate();
        String solver = solver();
        boolean says = "gd".equals(solver) || string("optimizer") != null && (solver == null || !VARIABLE_STEP_SOLVERS.contains(solver));
        return says && lr > 0 ? Optional.of(optimizerSettings(config, lr)) : Optional.empty();
    }

    /** B of a mini-batch run, or null (full batch). */
    public Long batchSize() {
        return integer("batchSize");
    }

    /** True when the run steps on mini-batches smaller than its dataset (B = N is full batch). */
    public boolean miniBatch() {
        Long b = batchSize();
        double n = n();
        return b != null && (Double.isNaN(n) || b < n);
    }

    /** The quantity the run's stability is judged by, when its optimizer is known ({@link #optimizerSettings()}). */
    public Optional<StabilityQuantity> stabilityQuantity() {
        return optimizerSettings().map(s -> s.quantity(miniBatch()));
    }

    /** The record's value: the configuration with {@code schema}, {@code run}, {@code status} and {@code failure}. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("schema", JsonFields.SCHEMA);
        for (Map.Entry<String, JsonElement> e : config.entrySet()) {
            o.add(e.getKey(), e.getValue().deepCopy());
        }
        return o;
    }

    /** The same run with another status (and failure reason when {@link Status#FAILED}). */
    public RunRecord withStatus(Status next, String reason) {
        return new RunRecord(run, config, next, next == Status.FAILED ? reason : null);
    }

    /** A string field of the configuration, or null. */
    public String string(String field) {
        JsonElement e = config.get(field);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : null;
    }

    /** A number field of the configuration, NaN when absent or null. */
    public double number(String field) {
        JsonElement e = config.get(field);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() ? e.getAsDouble() : Double.NaN;
    }

    /** The solver ({@code gd}, {@code exp-euler}, ...), or null. */
    public String solver() {
        return string("solver");
    }

    /** η, NaN when not given. */
    public double learningRate() {
        return number("learningRate");
    }

    /** N, the dataset size, NaN when not given. */
    public double n() {
        return number("n");
    }

    /** The dataset's content hash, or null. */
    public String datasetHash() {
        return string("dataset_hash");
    }

    /** A whole-number field of the configuration (parsing checked it is one), null when absent or null. */
    public Long integer(String field) {
        double d = number(field);
        return Double.isNaN(d) ? null : (long) d;
    }

    /** When the trainer wrote the record (epoch ms), or null. */
    public Long updatedAt() {
        return integer("updated_at");
    }

    /** The step a resumed run started from, or null. */
    public Long resumedFromStep() {
        return integer("resumed_from_step");
    }

    /**
     * 2/η of a GD run (GD's own threshold; {@link #optimizerSettings()} gives the run's own optimizer's), NaN otherwise.
     */
    public double twoOverEta() {
        double eta = learningRate();
        return "gd".equals(solver()) && eta > 0 ? 2 / eta : Double.NaN;
    }
}
