package io.eoscope.curvature.io;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON parser for safetensors headers, on Gson's {@link JsonReader}: RFC 8259 only (no
 * comments, single quotes, bare words or NaN), no duplicate keys, nothing but whitespace after the
 * value. Values become plain Java objects: {@code Map<String, Object>} (in order), {@code List<Object>},
 * {@code String}, {@code Boolean}, {@link Num} and {@link #NULL}.
 */
final class HeaderJson {
    /**
     * A JSON number, kept exactly as written.
     *
     * @param literal the text of the number
     */
    record Num(String literal) {
        @Override
        public String toString() {
            return literal;
        }
    }

    /** JSON {@code null}. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** A header that is not valid JSON; the message is one line. */
    static final class SyntaxError extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxError(String message) {
            super(message);
        }
    }

    private HeaderJson() {}

    /** Parses one JSON value followed only by whitespace. */
    static Object parse(String text) throws SyntaxError {
        JsonReader reader = new JsonReader(new StringReader(text));
        reader.setStrictness(Strictness.STRICT);
        try {
            Object value = value(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new SyntaxError("unexpected characters after the JSON value at " + reader.getPath());
            }
            return value;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new SyntaxError(e.getMessage() == null ? e.getClass().getSimpleName() : Messages.firstLine(e.getMessage()));
        }
    }

    private static Object value(JsonReader reader) throws IOException, SyntaxError {
        switch (reader.peek()) {
            case BEGIN_OBJECT: {
                Map<String, Object> object = new LinkedHashMap<>();
                reader.beginObject();
                while (reader.hasNext()) {
                    String key = reader.nextName();
                    if (object.containsKey(key)) {
                        throw new SyntaxError("duplicate key " + Messages.quote(key) + " at " + reader.getPath());
                    }
                    object.put(key, value(reader));
                }
                reader.endObject();
                return object;
            }
            case BEGIN_ARRAY: {
                List<Object> array = new ArrayList<>();
                reader.beginArray();
                while (reader.hasNext()) {
                    array.add(value(reader));
                }
                reader.endArray();
                return array;
            }
            case STRING:
                return reader.nextString();
            case NUMBER:
                return new Num(reader.nextString());
            case BOOLEAN:
                return reader.nextBoolean();
            case NULL:
                reader.nextNull();
                return NULL;
            default:
                throw new SyntaxError("unexpected " + reader.peek() + " at " + reader.getPath());
        }
    }

    /** What kind of JSON value this is, for messages: "a string", "an array", … */
    static String kind(Object value) {
        if (value instanceof Map) {
            return "an object";
        } else if (value instanceof List) {
            return "an array";
        } else if (value instanceof String) {
            return "a string";
        } else if (value instanceof Num) {
            return "a number";
        } else if (value instanceof Boolean) {
            return "a boolean";
        }
        return "null";
    }
}
