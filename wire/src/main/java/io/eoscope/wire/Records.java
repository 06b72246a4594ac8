package io.eoscope.wire;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/** JSON records on the topics: encoding, decoding, the metrics key and dead letters. */
public final class Records {
    private Records() {}

    /** Run names: 1-200 letters, digits, {@code . _ -}, never {@code .} or {@code ..}; the producers' rule and the API's. */
    public static final java.util.regex.Pattern RUN_NAME = JsonFields.NAME;

    /** A JSON record. */
    public static ProducerRecord<String, byte[]> json(String topic, String key, JsonObject value) {
        return new ProducerRecord<>(topic, key, value.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The JSON object of a record's value. */
    public static JsonObject json(ConsumerRecord<String, byte[]> record) throws MalformedRecordException {
        try {
            return JsonParser.parseString(new String(record.value(), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new MalformedRecordException(record.value() == null ? "value is empty (null)" : "value is not a JSON object");
        }
    }

    /** A metrics record, with its key {@code run/step/analysis_id} (write it with {@link MetricsRecord#of}). */
    public static ProducerRecord<String, byte[]> metrics(Topics topics, MetricsRecord metrics) {
        return json(topics.metrics(), metrics.key(), metrics.toJson());
    }

    /** The idempotent key of a metrics record. */
    public static String metricsKey(String run, long step, String analysisId) {
        return run + "/" + step + "/" + analysisId;
    }

    /** A dead letter: where the record came from and why it could not be used (see {@link DeadLetter}). */
    public static ProducerRecord<String, byte[]> deadLetter(Topics topics, ConsumerRecord<String, byte[]> record, String reason) {
        DeadLetter d = DeadLetter.of(record, reason, Instant.now());
        return json(topics.deadletter(), d.recordKey(), d.toJson());
    }

    /** SHA-256 in hex. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
