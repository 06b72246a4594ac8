package io.eoscope.curvature.io;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format:
 * an 8-byte little-endian unsigned header length N, N bytes of UTF-8 JSON header, then the raw
 * little-endian tensor data. The header maps each tensor name to
 * {@code {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}} (offsets relative to the
 * start of the data) and may hold {@code "__metadata__"}, an object of strings.
 *
 * <p>Reading validates everything the format requires: the header length against the file size
 * and a {@value #MAX_HEADER_BYTES}-byte limit, strict UTF-8 JSON (no duplicate keys, nothing after
 * the object but padding whitespace), known dtypes, non-negative integer shapes, offsets that match
 * the shape and tile the data region exactly (no overlap, no hole, nothing after the last tensor),
 * and string metadata. Every problem is an {@link InputException} with the one-line message
 * {@code "<source>: <problem>"}.
 *
 * <p>Writing keeps the tensors' order, lays their data out contiguously in that order, puts
 * {@code __metadata__} first when there is any, pads the header with spaces to a multiple of 8
 * bytes, and replaces the target file atomically ({@link AtomicFiles}).
 */
public final class Safetensors {
    /** The reserved header key of the string metadata. */
    public static final String METADATA = "__metadata__";
    /** The largest header accepted, as in the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** The largest file accepted: one Java array. */
    static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");

    private Safetensors() {}

    /**
     * Reads and validates a file.
     *
     * @throws InputException if the file is missing, unreadable, a directory, or not a valid
     *     safetensors file; the message starts with {@code path + ": "}
     */
    public static SafetensorsFile read(Path path) throws InputException {
        String source = path.toString();
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            if (attributes.isDirectory()) {
                throw new InputException(source + ": is a directory, not a safetensors file");
            }
            if (!attributes.isRegularFile()) {
                throw new InputException(source + ": is not a regular file");
            }
            try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = in.size();
                if (size >= 8) {
                    ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                    readFully(in, prefix);
                    // reject a bad header length before reading what may be a huge unrelated file
                    if (prefix.position() == 8) {
                        checkHeaderLength(prefix.getLong(0), size, source);
                    }
                }
                if (size > MAX_FILE_BYTES) {
                    throw new InputException(source + ": is " + size + " bytes, more than the " + MAX_FILE_BYTES
                            + " bytes eoscope reads");
                }
                ByteBuffer all = ByteBuffer.allocate((int) size);
                in.position(0);
                readFully(in, all);
                return decode(Arrays.copyOf(all.array(), all.position()), source);
            }
        } catch (NoSuchFileException e) {
            throw new InputException(source + ": no such file");
        } catch (AccessDeniedException e) {
            throw new InputException(source + ": cannot be read (permission denied)");
        } catch (IOException e) {
            throw new InputException(source + ": cannot be read (" + AtomicFiles.reason(e) + ")", e);
        }
    }

    /**
     * Decodes and validates the bytes of a safetensors file (a file's content or a Kafka record).
     *
     * @param source names the bytes in error messages (a path, a topic and offset, …)
     * @throws InputException if the bytes are not a valid safetensors file; the message starts with
     *     {@code source + ": "}
     */
    public static SafetensorsFile decode(byte[] bytes, String source) throws InputException {
        if (bytes.length == 0) {
            throw new InputException(source + ": empty file, not a safetensors file");
        }
        if (bytes.length < 8) {
            throw new InputException(source + ": truncated or not a safetensors file (" + bytes.length
                    + " bytes, shorter than the 8-byte header length)");
        }
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        checkHeaderLength(headerLength, bytes.length, source);
        int dataStart = 8 + (int) headerLength;
        Map<String, Object> header = header(bytes, (int) headerLength, source);
        long dataLength = bytes.length - (long) dataStart;

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            if (e.getKey().equals(METADATA)) {
                metadata = metadata(e.getValue(), source);
            } else {
                entries.add(entry(e.getKey(), e.getValue(), source, dataLength));
            }
        }
        checkTiling(entries, dataLength, source);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            byte[] data = Arrays.copyOfRange(bytes, dataStart + (int) e.begin, dataStart + (int) e.end);
            tensors.put(e.name, new Tensor(e.dtype, e.shape, data));
        }
        return new SafetensorsFile(tensors, metadata);
    }

    /**
     * Encodes tensors and metadata: data contiguous in the tensors' order, {@code __metadata__}
     * first (omitted when empty), header padded with spaces to a multiple of 8 bytes.
     *
     * @throws IllegalArgumentException if the result would exceed the header or file size limits
     */
    public static byte[] encode(SafetensorsFile file) {
        StringWriter text = new StringWriter();
        long dataLength = 0;
        try (JsonWriter json = new JsonWriter(text)) {
            json.setStrictness(Strictness.STRICT);
            json.setHtmlSafe(false);
            json.beginObject();
            if (!file.metadata().isEmpty()) {
                json.name(METADATA).beginObject();
                for (Map.Entry<String, String> e : file.metadata().entrySet()) {
                    json.name(e.getKey()).value(e.getValue());
                }
                json.endObject();
            }
            for (Map.Entry<String, Tensor> e : file.tensors().entrySet()) {
                Tensor t = e.getValue();
                long bytes = t.buffer().remaining();
                json.name(e.getKey()).beginObject();
                json.name("dtype").value(t.dtype().name());
                json.name("shape").beginArray();
                for (long d : t.shape()) {
                    json.value(d);
                }
                json.endArray();
                json.name("data_offsets").beginArray().value(dataLength).value(dataLength + bytes).endArray();
                json.endObject();
                dataLength += bytes;
            }
            json.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        byte[] headerBytes = text.toString().getBytes(StandardCharsets.UTF_8);
        long padded = (headerBytes.length + 7L) / 8 * 8;
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("safetensors header of " + padded + " bytes exceeds the limit of "
                    + MAX_HEADER_BYTES);
        }
        if (8 + padded + dataLength > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("safetensors file of " + (8 + padded + dataLength)
                    + " bytes exceeds the limit of " + MAX_FILE_BYTES);
        }
        ByteBuffer out = ByteBuffer.allocate((int) (8 + padded + dataLength)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(headerBytes);
        while (out.position() < 8 + padded) {
            out.put((byte) ' ');
        }
        for (Tensor t : file.tensors().values()) {
            out.put(t.buffer());
        }
        return out.array();
    }

    /**
     * Encodes {@code file} and replaces {@code path} with it atomically: nothing half-written is
     * ever visible at {@code path}, and on failure the old file (if any) is left as it was.
     *
     * @throws InputException {@code "<path>: cannot write (<reason>)"}
     */
    public static void write(Path path, SafetensorsFile file) throws InputException {
        AtomicFiles.write(path, encode(file));
    }

    private static void readFully(FileChannel in, ByteBuffer into) throws IOException {
        while (into.hasRemaining() && in.read(into) >= 0) {
            // keep reading
        }
    }

    private static void checkHeaderLength(long headerLength, long fileSize, String source) throws InputException {
        String length = Long.toUnsignedString(headerLength);
        if (Long.compareUnsigned(headerLength, fileSize - 8) > 0) {
            boolean absurd = Long.compareUnsigned(headerLength, MAX_HEADER_BYTES) > 0;
            throw new InputException(source + ": " + (absurd ? "not a safetensors file" : "truncated or not a safetensors file")
                    + " (header length " + length + " exceeds the file size " + fileSize + ")");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new InputException(source + ": not a safetensors file (header length " + length
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes)");
        }
        if (headerLength < 2) {
            throw new InputException(source + ": not a safetensors file (header length " + length
                    + " is too short for a JSON object)");
        }
    }

    private static Map<String, Object> header(byte[] bytes, int length, String source) throws InputException {
        String text;
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 8, length));
            text = chars.toString();
        } catch (CharacterCodingException e) {
            throw new InputException(source + ": not a safetensors file (the header is not valid UTF-8)");
        }
        if (text.charAt(0) != '{') {
            throw new InputException(source + ": not a safetensors file (the header does not start with '{')");
        }
        Object parsed;
        try {
            parsed = HeaderJson.parse(text);
        } catch (HeaderJson.SyntaxError e) {
            throw new InputException(source + ": not a safetensors file (the header is not valid JSON: "
                    + e.getMessage() + ")");
        }
        if (!(parsed instanceof Map)) {
            throw new InputException(source + ": not a safetensors file (the header is "
                    + HeaderJson.kind(parsed) + ", not a JSON object)");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> header = (Map<String, Object>) parsed;
        return header;
    }

    private static Map<String, String> metadata(Object value, String source) throws InputException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new InputException(source + ": " + METADATA + " is " + HeaderJson.kind(value)
                    + ", expected an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new InputException(source + ": metadata " + Messages.quote((String) e.getKey()) + " is "
                        + HeaderJson.kind(e.getValue()) + ", expected a string");
            }
            out.put((String) e.getKey(), s);
        }
        return out;
    }

    /** One tensor's header entry, validated on its own. */
    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    private static Entry entry(String name, Object value, String source, long dataLength) throws InputException {
        String where = source + ": tensor " + Messages.quote(name);
        if (!(value instanceof Map<?, ?> o)) {
            throw new InputException(where + " is " + HeaderJson.kind(value)
                    + ", expected an object with dtype, shape and data_offsets");
        }
        Object dtypeName = o.get("dtype");
        if (!(dtypeName instanceof String dtypeText)) {
            throw new InputException(where + (dtypeName == null ? " has no dtype"
                    : " has a dtype that is " + HeaderJson.kind(dtypeName) + ", expected a string"));
        }
        DType dtype = DType.fromHeaderName(dtypeText).orElse(null);
        if (dtype == null) {
            throw new InputException(where + " has unknown dtype " + Messages.quote(dtypeText)
                    + " (known: " + Arrays.toString(DType.values()) + ")");
        }
        long[] shape = integers(o.get("shape"), where, "shape", -1);
        long[] offsets = integers(o.get("data_offsets"), where, "data_offsets", 2);
        long bytes;
        try {
            bytes = Tensor.bytes(dtype, shape);
        } catch (ArithmeticException e) {
            throw new InputException(where + " has an impossibly large shape " + Arrays.toString(shape));
        }
        String range = Arrays.toString(offsets);
        if (offsets[1] < offsets[0]) {
            throw new InputException(where + " has data_offsets " + range + " that end before they begin");
        }
        if (offsets[1] - offsets[0] != bytes) {
            throw new InputException(where + " has " + (offsets[1] - offsets[0]) + " bytes of data (data_offsets "
                    + range + "), but shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes);
        }
        if (offsets[1] > dataLength) {
            throw new InputException(where + " has data_offsets " + range + " past the end of the "
                    + dataLength + "-byte data region (file truncated?)");
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] integers(Object value, String where, String field, int length) throws InputException {
        if (!(value instanceof List<?> list)) {
            throw new InputException(where + (value == null ? " has no " + field
                    : " has a " + field + " that is " + HeaderJson.kind(value)) + ", expected an array of integers");
        }
        if (length >= 0 && list.size() != length) {
            throw new InputException(where + " has " + field + " with " + list.size() + " entries, expected "
                    + length + " ([begin, end])");
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object e = list.get(i);
            String text = e instanceof HeaderJson.Num n ? n.literal() : null;
            if (text == null || !INTEGER.matcher(text).matches()) {
                throw new InputException(where + " has " + field + " entry "
                        + (text == null ? HeaderJson.kind(e) : text) + ", which is not an integer");
            }
            if (text.startsWith("-") && !text.equals("-0")) {
                throw new InputException(where + " has " + field + " entry " + text + ", which is negative");
            }
            try {
                out[i] = Long.parseLong(text);
            } catch (NumberFormatException ex) {
                throw new InputException(where + " has " + field + " entry " + text + ", which is out of range");
            }
        }
        return out;
    }

    /** The tensors must cover the data region exactly, as the format requires. */
    private static void checkTiling(List<Entry> entries, long dataLength, String source) throws InputException {
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.begin < covered) {
                throw new InputException(source + ": tensor " + Messages.quote(e.name) + " (data bytes " + e.begin
                        + ".." + e.end + ") overlaps tensor " + Messages.quote(previous.name) + " (data bytes "
                        + previous.begin + ".." + previous.end + ")");
            }
            if (e.begin > covered) {
                throw new InputException(source + ": hole of " + (e.begin - covered) + " bytes in the data before tensor "
                        + Messages.quote(e.name) + " (the tensors must cover the data region exactly)");
            }
            covered = e.end;
            previous = e;
        }
        if (covered != dataLength) {
            throw new InputException(source + ": " + (dataLength - covered) + " trailing bytes after the last tensor's"
                    + " data (the tensors must cover the data region exactly)");
        }
    }
}
