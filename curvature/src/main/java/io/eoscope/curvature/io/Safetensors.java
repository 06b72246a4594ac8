package io.eoscope.curvature.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * header (tensor name → dtype, shape, data offsets; optional {@code __metadata__} of strings), then
 * the raw little-endian data. Everything is validated; every error is an {@link InputException} whose
 * message names the source and the problem. Files are written atomically.
 */
public final class Safetensors {
    /** The largest header this reader accepts. */
    static final long MAX_HEADER = 100L << 20;
    private static final String METADATA = "__metadata__";

    private Safetensors() {}

    /** Reads and validates a file. */
    public static SafetensorsFile read(Path path) throws InputException {
        if (Files.isDirectory(path)) {
            throw new InputException(path + ": is a directory, not a safetensors file");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new InputException(path + ": no such file");
        } catch (IOException | OutOfMemoryError e) {
            throw new InputException(path + ": cannot be read (" + e.getMessage() + ")");
        }
        return decode(bytes, path.toString());
    }

    /** Decodes and validates the bytes of a safetensors file; {@code source} names it in errors. */
    public static SafetensorsFile decode(byte[] bytes, String source) throws InputException {
        if (bytes.length < 8) {
            throw new InputException(source + ": not a safetensors file (" + bytes.length + " bytes, shorter than the 8-byte header length)");
        }
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 2 || headerLength > bytes.length - 8L || headerLength > MAX_HEADER) {
            throw new InputException(source + ": not a safetensors file or truncated (header length "
                    + Long.toUnsignedString(headerLength) + " does not fit the file size " + bytes.length + ")");
        }
        String text = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        JsonObject header = parseHeader(text, source);
        int dataStart = 8 + (int) headerLength;
        long dataLength = bytes.length - (long) dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getKey().equals(METADATA)) {
                metadata = metadata(e.getValue(), source);
            } else {
                entries.add(entry(e.getKey(), e.getValue(), source, dataLength));
            }
        }
        // the tensors must tile the data region exactly: no overlap, no hole, nothing after
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin));
        long expected = 0;
        for (Entry e : byOffset) {
            if (e.begin != expected) {
                throw new InputException(source + ": tensor '" + e.name + "' starts at byte " + e.begin
                        + " of the data, expected " + expected + " (tensors overlap or leave a hole)");
            }
            expected = e.end;
        }
        if (expected != dataLength) {
            throw new InputException(source + ": the data region has " + dataLength + " bytes but the tensors cover "
                    + expected + (expected > dataLength ? " (file truncated)" : " (trailing bytes)"));
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            byte[] data = Arrays.copyOfRange(bytes, dataStart + (int) e.begin, dataStart + (int) e.end);
            tensors.put(e.name, new Tensor(e.dtype, e.shape, data));
        }
        return new SafetensorsFile(tensors, metadata);
    }

    /** Encodes tensors and metadata; data in the map's order, header padded with spaces to 8 bytes. */
    public static byte[] encode(SafetensorsFile file) {
        JsonObject header = new JsonObject();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : file.tensors().entrySet()) {
            Tensor t = e.getValue();
            JsonObject o = new JsonObject();
            o.addProperty("dtype", t.dtype().name());
            JsonArray shape = new JsonArray();
            for (long d : t.shape()) {
                shape.add(d);
            }
            o.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + t.data().length);
            o.add("data_offsets", offsets);
            header.add(e.getKey(), o);
            offset += t.data().length;
        }
        JsonObject meta = new JsonObject();
        file.metadata().forEach(meta::addProperty);
        header.add(METADATA, meta);
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(json);
        for (int i = json.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (Tensor t : file.tensors().values()) {
            out.put(t.data());
        }
        return out.array();
    }

    /** Writes atomically: a temporary file in the same directory, then a rename. */
    public static void write(Path path, SafetensorsFile file) throws IOException {
        writeAtomically(path, encode(file));
    }

    /** Writes bytes atomically: nothing half-written is ever visible at {@code path}. */
    public static void writeAtomically(Path path, byte[] bytes) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static JsonObject parseHeader(String text, String source) throws InputException {
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            JsonElement root = JsonParser.parseReader(reader);
            if (reader.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) {
                throw new JsonParseException("trailing characters after the header object");
            }
            if (!root.isJsonObject()) {
                throw new JsonParseException("the header is not a JSON object");
            }
            return root.getAsJsonObject();
        } catch (JsonParseException | IOException | IllegalStateException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new InputException(source + ": not a safetensors file (bad JSON header: " + firstLine(why) + ")");
        }
    }

    private static Map<String, String> metadata(JsonElement value, String source) throws InputException {
        if (!value.isJsonObject()) {
            throw new InputException(source + ": __metadata__ is not a JSON object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : value.getAsJsonObject().entrySet()) {
            JsonElement v = e.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw new InputException(source + ": metadata '" + e.getKey() + "' is not a string");
            }
            out.put(e.getKey(), v.getAsString());
        }
        return out;
    }

    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    private static Entry entry(String name, JsonElement value, String source, long dataLength) throws InputException {
        String where = source + ": tensor '" + name + "'";
        if (!value.isJsonObject()) {
            throw new InputException(where + " is not described by a JSON object");
        }
        JsonObject o = value.getAsJsonObject();
        JsonElement dtypeText = o.get("dtype");
        if (dtypeText == null || !dtypeText.isJsonPrimitive()) {
            throw new InputException(where + " has no dtype");
        }
        DType dtype;
        try {
            dtype = DType.valueOf(dtypeText.getAsString());
        } catch (IllegalArgumentException e) {
            throw new InputException(where + " has dtype " + dtypeText.getAsString()
                    + ", which eoscope does not read (F64, F32, I64, I32)");
        }
        long[] shape = integers(o.get("shape"), where, "shape", -1);
        long[] offsets = integers(o.get("data_offsets"), where, "data_offsets", 2);
        long elements;
        try {
            elements = Tensor.elements(shape);
            Math.multiplyExact(elements, dtype.size());
        } catch (ArithmeticException e) {
            throw new InputException(where + " has an absurd shape " + Arrays.toString(shape));
        }
        if (offsets[0] > offsets[1] || offsets[1] > dataLength) {
            throw new InputException(where + " has data offsets " + Arrays.toString(offsets)
                    + " outside the " + dataLength + "-byte data region (file truncated?)");
        }
        if (offsets[1] - offsets[0] != elements * dtype.size()) {
            throw new InputException(where + " has " + (offsets[1] - offsets[0]) + " bytes of data, but shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + elements * dtype.size());
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] integers(JsonElement value, String where, String field, int length) throws InputException {
        if (value == null || !value.isJsonArray()) {
            throw new InputException(where + " has no " + field + " array");
        }
        JsonArray a = value.getAsJsonArray();
        if (length >= 0 && a.size() != length) {
            throw new InputException(where + ": " + field + " must have " + length + " entries");
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement e = a.get(i);
            try {
                if (!e.isJsonPrimitive() || !((JsonPrimitive) e).isNumber()) {
                    throw new ArithmeticException();
                }
                out[i] = new BigDecimal(e.getAsString()).longValueExact();
            } catch (ArithmeticException | NumberFormatException ex) {
                throw new InputException(where + ": " + field + " entry " + e + " is not an integer");
            }
            if (out[i] < 0) {
                throw new InputException(where + ": " + field + " entry " + out[i] + " is negative");
            }
        }
        return out;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
