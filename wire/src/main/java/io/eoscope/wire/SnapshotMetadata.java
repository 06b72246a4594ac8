package io.eoscope.wire;

import java.math.BigDecimal;
import java.util.Map;

/**
 * What a snapshot's safetensors metadata says about it (the {@code snapshots} topic carries the file's bytes): the
 * strings of the file, typed and checked by the {@link FieldRules}, so that the analyzer analyses only snapshots whose
 * metrics record the gateway accepts.
 *
 * @param run the run ({@link Records#RUN_NAME})
 * @param step its step ({@link FieldRules#step})
 * @param time its continuous time t: required, finite and ≥ 0 ({@link FieldRules#time})
 * @param dataset the content hash of its dataset on the {@code datasets} topic
 * @param lr η of the run, NaN when the metadata has none ({@link FieldRules#stepSize})
 * @param etaMax η_max of the run, NaN when the metadata has none ({@link FieldRules#stepSize})
 */
public record SnapshotMetadata(String run, long step, double time, String dataset, double lr, double etaMax) {

    /** Validates with the {@link FieldRules}. */
    public SnapshotMetadata {
        if (run == null || !JsonFields.NAME.matcher(run).matches()) {
            throw new IllegalArgumentException("field 'run' must match " + JsonFields.NAME.pattern() + ", got "
                    + (run == null ? "nothing" : "'" + DeadLetter.brief(run) + "'"));
        }
        FieldRules.step("step", step);
        FieldRules.known("time", FieldRules.time("time", time));
        if (dataset == null || dataset.isEmpty()) {
            throw new IllegalArgumentException("field 'dataset' must name the dataset's hash");
        }
        FieldRules.stepSize("lr", lr);
        FieldRules.stepSize("eta_max", etaMax);
    }

    /**
     * Reads and checks a snapshot's metadata.
     *
     * @param payloadId the payload's id on the topic, {@code run@step}: the metadata must say the same run and step
     * @throws MalformedRecordException naming the first field that is missing or breaks its rule
     */
    public static SnapshotMetadata of(String payloadId, Map<String, String> metadata) throws MalformedRecordException {
        for (String key : new String[] {"run", "step", "time", "dataset"}) {
            if (!metadata.containsKey(key)) {
                throw new MalformedRecordException("metadata has no '" + key + "'");
            }
        }
        SnapshotMetadata m;
        try {
            m = new SnapshotMetadata(metadata.get("run"), whole("step", metadata.get("step")), number("time", metadata.get("time")),
                    metadata.get("dataset"), optNumber("lr", metadata.get("lr")), optNumber("eta_max", metadata.get("eta_max")));
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordException("metadata " + e.getMessage());
        }
        if (payloadId != null && !payloadId.equals(m.run() + "@" + m.step())) {
            throw new MalformedRecordException("metadata says run " + m.run() + " step " + m.step() + " but the payload is "
                    + DeadLetter.brief(payloadId));
        }
        return m;
    }

    private static long whole(String field, String text) {
        try {
            return new BigDecimal(text).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("field '" + field + "' must be a whole number, got '" + DeadLetter.brief(text) + "'");
        }
    }

    /** A number as decimal text (NaN, Infinity, hexadecimal and Java's 1d are refused: the time must be known). */
    private static double number(String field, String text) {
        try {
            return new BigDecimal(text).doubleValue();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("field '" + field + "' must be a finite decimal number, got '" + DeadLetter.brief(text)
                    + "'");
        }
    }

    private static double optNumber(String field, String text) {
        return text == null ? Double.NaN : number(field, text);
    }
}
