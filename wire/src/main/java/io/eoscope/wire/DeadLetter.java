package io.eoscope.wire;

import com.google.gson.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A record of the {@code deadletter} topic: where a record came from and why it could not be used.
 * Its key is {@code topic/partition/offset}.
 *
 * @param topic the record's topic
 * @param partition its partition
 * @param offset its offset
 * @param key its key (may be null)
 * @param reason one line saying what is wrong
 * @param bytes the size of its value
 * @param at when it was dead-lettered
 */
public record DeadLetter(String topic, int partition, long offset, String key, String reason, long bytes, Instant at) {

    /** Validates. */
    public DeadLetter {
        if (topic == null || topic.isEmpty()) {
            throw new IllegalArgumentException("topic is required");
        }
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("reason is required");
        }
        if (partition < 0 || offset < 0 || bytes < 0) {
            throw new IllegalArgumentException("partition, offset and bytes must be ≥ 0");
        }
        reason = brief(reason.replace('\n', ' ').replace('\r', ' '));
        key = key == null ? null : brief(key);
        if (at == null) {
            throw new IllegalArgumentException("at is required");
        }
    }

    /** The longest reason or key a dead letter (or a log line) carries; what is longer is cut, saying how long it was. */
    public static final int MAX_TEXT = 1000;

    /** {@code text}, cut to {@link #MAX_TEXT} characters (a hostile record cannot amplify itself into logs and dead letters). */
    public static String brief(String text) {
        return text == null || text.length() <= MAX_TEXT ? text
                : text.substring(0, MAX_TEXT) + "… (" + text.length() + " characters)";
    }

    /** The dead letter of a consumed record (a missing reason, such as a null exception message, is said so). */
    public static DeadLetter of(ConsumerRecord<String, byte[]> record, String reason, Instant at) {
        return new DeadLetter(record.topic(), Math.max(0, record.partition()), Math.max(0, record.offset()), record.key(),
                reason == null || reason.isBlank() ? "no reason given" : reason,
                record.value() == null ? 0 : record.value().length, at);
    }

    /** Parses a {@code deadletter} record's value. */
    public static DeadLetter parse(byte[] value) throws MalformedRecordException {
        return parse(JsonFields.object(value));
    }

    /** Parses a {@code deadletter} record's JSON object. */
    public static DeadLetter parse(JsonObject o) throws MalformedRecordException {
        JsonFields.schema(o);
        String topic = JsonFields.string(o, "topic");
        long partition = JsonFields.integer(o, "partition");
        long offset = JsonFields.integer(o, "offset");
        String key = JsonFields.optString(o, "key");
        String reason = JsonFields.string(o, "reason");
        long bytes = JsonFields.integer(o, "bytes");
        Instant at;
        try {
            at = Instant.parse(JsonFields.string(o, "at"));
        } catch (DateTimeParseException e) {
            throw new MalformedRecordException("field 'at' must be an ISO-8601 instant, got " + JsonFields.shown(o.get("at")));
        }
        if (partition < 0 || partition > Integer.MAX_VALUE) {
            throw new MalformedRecordException("field 'partition' must be in 0.." + Integer.MAX_VALUE + ", got " + partition);
        }
        try {
            return new DeadLetter(topic, (int) partition, offset, key, reason, bytes, at);
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordException(e.getMessage());
        }
    }

    /** The record's key: {@code topic/partition/offset}. */
    public String recordKey() {
        return topic + "/" + partition + "/" + offset;
    }

    /** The record's value. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("schema", JsonFields.SCHEMA);
        o.addProperty("topic", topic);
        o.addProperty("partition", partition);
        o.addProperty("offset", offset);
        o.addProperty("key", key);
        o.addProperty("reason", reason);
        o.addProperty("bytes", bytes);
        o.addProperty("at", at.toString());
        return o;
    }
}
