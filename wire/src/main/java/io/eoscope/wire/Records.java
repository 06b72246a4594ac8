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

    /** A JSON record. */
    public static ProducerRecord<String, byte[]> json(String topic, String key, JsonObject value) {
        return new ProducerRecord<>(topic, key, value.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The JSON object of a record's value. */
    public static JsonObject json(ConsumerRecord<String, byte[]> record) throws MalformedRecordException {
        try {
            return JsonParser.parseString(new String(record.value(), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new MalformedRecordException("value is not a JSON object");
        }
    }

    /** The idempotent key of a metrics record. */
    public static String metricsKey(String run, long step, String analysisId) {
        return run + "/" + step + "/" + analysisId;
    }

    /** A dead letter: where the record came from and why it could not be used. */
    public static ProducerRecord<String, byte[]> deadLetter(Topics topics, ConsumerRecord<String, byte[]> record, String reason) {
        JsonObject o = new JsonObject();
        o.addProperty("topic", record.topic());
        o.addProperty("partition", record.partition());
        o.addProperty("offset", record.offset());
        o.addProperty("key", record.key());
        o.addProperty("reason", reason);
        o.addProperty("bytes", record.value() == null ? 0 : record.value().length);
        o.addProperty("at", Instant.now().toString());
        return json(topics.deadletter(), record.topic() + "/" + record.partition() + "/" + record.offset(), o);
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
