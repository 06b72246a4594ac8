package io.eoscope.wire;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Typed reads of JSON fields for the record parsers: every failure is a {@link MalformedRecordException}
 * whose message names the field and what was found, so that a dead letter says exactly what is wrong.
 * Non-finite numbers: the contract writes them as JSON {@code null}; older producers wrote the literals
 * {@code NaN} and {@code Infinity}, which gson's lenient parser hands over as strings, so both read as NaN.
 */
final class JsonFields {
    /** The schema version this reader and writer speak. */
    static final int SCHEMA = 1;
    /**
     * Run names and analysis ids: what the producers accept, safe in URLs, keys and SSE lines; never {@code .} or
     * {@code ..}, which a URL path would resolve away (and a directory name could not hold).
     */
    static final Pattern NAME = Pattern.compile("(?!\\.{1,2}$)[A-Za-z0-9._-]{1,200}");
    static final Pattern ANALYSIS_ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    private JsonFields() {}

    /** Parses bytes holding one JSON object. */
    static JsonObject object(byte[] bytes) throws MalformedRecordException {
        if (bytes == null) {
            throw new MalformedRecordException("value is empty (null)");
        }
        return object(new String(bytes, StandardCharsets.UTF_8));
    }

    /** Parses text holding one JSON object. */
    static JsonObject object(String text) throws MalformedRecordException {
        JsonElement e;
        try {
            e = JsonParser.parseString(text);
        } catch (RuntimeException ex) {
            throw new MalformedRecordException("value is not JSON (" + firstLine(ex.getMessage()) + ")");
        }
        if (e == null || !e.isJsonObject()) {
            throw new MalformedRecordException("value is not a JSON object");
        }
        return e.getAsJsonObject();
    }

    /** Checks {@code schema} (absent: 1, older producers); an unknown version is refused with a reason. */
    static void schema(JsonObject o) throws MalformedRecordException {
        JsonElement e = o.get("schema");
        if (e == null || e.isJsonNull()) {
            return;
        }
        long v = integer(o, "schema", e);
        if (v != SCHEMA) {
            throw new MalformedRecordException("unknown schema " + v + " (this reader knows schema " + SCHEMA + ")");
        }
    }

    static String string(JsonObject o, String field) throws MalformedRecordException {
        String s = optString(o, field);
        if (s == null) {
            throw new MalformedRecordException("missing field '" + field + "'");
        }
        return s;
    }

    static String optString(JsonObject o, String field) throws MalformedRecordException {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new MalformedRecordException("field '" + field + "' must be a string, got " + shown(e));
        }
        return e.getAsString();
    }

    static String name(JsonObject o, String field, Pattern pattern) throws MalformedRecordException {
        return checkName(field, string(o, field), pattern);
    }

    static String checkName(String field, String value, Pattern pattern) throws MalformedRecordException {
        if (value == null || !pattern.matcher(value).matches()) {
            throw new MalformedRecordException("field '" + field + "' must match " + pattern.pattern() + ", got "
                    + (value == null ? "nothing" : shown(new JsonPrimitive(value))));
        }
        return value;
    }

    static long integer(JsonObject o, String field) throws MalformedRecordException {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            throw new MalformedRecordException("missing field '" + field + "'");
        }
        return integer(o, field, e);
    }

    static Long optInteger(JsonObject o, String field) throws MalformedRecordException {
        JsonElement e = o.get(field);
        return e == null || e.isJsonNull() ? null : integer(o, field, e);
    }

    /**
     * An optional whole number, rewritten in {@code o} as the producer meant it (16.0 and 1.6e1 become 16), so that
     * strict readers of what is passed on (Go's encoding/json into an int) accept it.
     */
    static Long wholeNumber(JsonObject o, String field) throws MalformedRecordException {
        Long v = optInteger(o, field);
        if (v != null) {
            o.addProperty(field, v);
        }
        return v;
    }

    private static long integer(JsonObject o, String field, JsonElement e) throws MalformedRecordException {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new MalformedRecordException("field '" + field + "' must be a whole number, got " + shown(e));
        }
        try {
            return new BigDecimal(e.getAsString()).longValueExact();
        } catch (ArithmeticException | NumberFormatException ex) {
            throw new MalformedRecordException("field '" + field + "' must be a whole number in the range of a long, got " + shown(e));
        }
    }

    /** A required number, NaN when written as null (or as a NaN/Infinity literal by an older producer). */
    static double number(JsonObject o, String field) throws MalformedRecordException {
        if (!o.has(field)) {
            throw new MalformedRecordException("missing field '" + field + "'");
        }
        return optNumber(o, field);
    }

    /** An optional number: NaN when absent, null or not finite. */
    static double optNumber(JsonObject o, String field) throws MalformedRecordException {
        return number(field, o.get(field));
    }

    static double number(String field, JsonElement e) throws MalformedRecordException {
        if (e == null || e.isJsonNull()) {
            return Double.NaN;
        }
        if (e.isJsonPrimitive()) {
            JsonPrimitive p = e.getAsJsonPrimitive();
            if (p.isNumber()) {
                double d;
                try {
                    d = p.getAsDouble();
                } catch (NumberFormatException ex) {
                    throw new MalformedRecordException("field '" + field + "' must be a number, got " + shown(e));
                }
                return Double.isFinite(d) ? d : Double.NaN;
            }
            if (p.isString() && (p.getAsString().equals("NaN") || p.getAsString().equals("Infinity")
                    || p.getAsString().equals("-Infinity"))) {
                return Double.NaN;
            }
        }
        throw new MalformedRecordException("field '" + field + "' must be a number or null, got " + shown(e));
    }

    static JsonObject optObject(JsonObject o, String field) throws MalformedRecordException {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonObject()) {
            throw new MalformedRecordException("field '" + field + "' must be an object, got " + shown(e));
        }
        return e.getAsJsonObject();
    }

    /**
     * An optional field that, when present, is not null: for the fields whose type has no null (objects, arrays,
     * strings, booleans); {@code kind} says what it must be in the reason.
     */
    static void notNull(JsonObject o, String field, String kind) throws MalformedRecordException {
        if (o.has(field) && o.get(field).isJsonNull()) {
            throw new MalformedRecordException("field '" + field + "' must be " + kind + ", got null");
        }
    }

    /** An optional boolean (absent: null). */
    static Boolean optBoolean(JsonObject o, String field) throws MalformedRecordException {
        notNull(o, field, "true or false");
        JsonElement e = o.get(field);
        if (e == null) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new MalformedRecordException("field '" + field + "' must be true or false, got " + shown(e));
        }
        return e.getAsBoolean();
    }

    /** An optional array of numbers, each possibly null (non-finite). */
    static void optNumbers(JsonObject o, String where, String field) throws MalformedRecordException {
        notNull(o, field, "an array of numbers");
        JsonArray a = optArray(o, field);
        if (a != null) {
            for (int i = 0; i < a.size(); i++) {
                number(where + field + "[" + i + "]", a.get(i));
            }
        }
    }

    static JsonArray optArray(JsonObject o, String field) throws MalformedRecordException {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonArray()) {
            throw new MalformedRecordException("field '" + field + "' must be an array, got " + shown(e));
        }
        return e.getAsJsonArray();
    }

    /** A copy of {@code e} in which every non-finite number (or NaN/Infinity literal) is JSON null. */
    static JsonElement finite(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return JsonNull.INSTANCE;
        }
        if (e.isJsonObject()) {
            JsonObject out = new JsonObject();
            for (Map.Entry<String, JsonElement> m : e.getAsJsonObject().entrySet()) {
                out.add(m.getKey(), finite(m.getValue()));
            }
            return out;
        }
        if (e.isJsonArray()) {
            JsonArray out = new JsonArray();
            for (JsonElement x : e.getAsJsonArray()) {
                out.add(finite(x));
            }
            return out;
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isNumber()) {
            try {
                return Double.isFinite(p.getAsDouble()) ? p : JsonNull.INSTANCE;
            } catch (NumberFormatException ex) {
                return JsonNull.INSTANCE;
            }
        }
        if (p.isString() && (p.getAsString().equals("NaN") || p.getAsString().equals("Infinity") || p.getAsString().equals("-Infinity"))) {
            return JsonNull.INSTANCE;
        }
        return p;
    }

    /** Adds a number, or null when it is not finite (never NaN on the wire). */
    static void put(JsonObject o, String field, double value) {
        if (Double.isFinite(value)) {
            o.addProperty(field, value);
        } else {
            o.add(field, JsonNull.INSTANCE);
        }
    }

    /** How a bad value is shown in a reason: short, one line. */
    static String shown(JsonElement e) {
        String s = e.toString();
        s = s.replace('\n', ' ').replace('\r', ' ');
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 120 ? line.substring(0, 117) + "..." : line;
    }
}
