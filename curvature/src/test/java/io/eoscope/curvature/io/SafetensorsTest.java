package io.eoscope.curvature.io;

import static io.eoscope.curvature.io.IoTesting.assertInputError;
import static io.eoscope.curvature.io.IoTesting.hex;
import static io.eoscope.curvature.io.IoTesting.withHeader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The safetensors reader and writer: exact bytes, round trips, and every malformed file rejected. */
class SafetensorsTest {
    /** A valid two-tensor header around 12 bytes of data, for mutation. */
    private static final String A_AND_B = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]}}";

    @TempDir
    Path dir;

    @Test
    void encodesTheDocumentedLayoutByteForByte() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a", Tensor.ofDoubles(DType.F32, new long[] {2}, new double[] {1, -2}));
        t.put("i", Tensor.ofLongs(DType.I32, new long[] {}, new long[] {7}));
        byte[] bytes = Safetensors.encode(new SafetensorsFile(t, Map.of("k", "v")));

        String json = "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"i\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[8,12]}}";
        assertThat(json).hasSize(132);
        ByteBuffer expected = ByteBuffer.allocate(8 + 136 + 12);
        expected.put(hex("8800000000000000")); // 136 = 132 rounded up to a multiple of 8, little-endian
        expected.put(json.getBytes(StandardCharsets.US_ASCII)).put("    ".getBytes(StandardCharsets.US_ASCII));
        expected.put(hex("0000803f 000000c0 07000000")); // 1.0f, -2.0f, 7 little-endian
        assertThat(bytes).isEqualTo(expected.array());
    }

    @Test
    void writesNoMetadataObjectWhenThereIsNone() {
        byte[] bytes = Safetensors.encode(new SafetensorsFile(Map.of()));
        assertThat(bytes).isEqualTo(withHeader("{}      ", 0));
    }

    @Test
    void roundTripsEveryDtypeBitExactlyWithMetadataInOrder() throws Exception {
        Random random = new Random(11);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (DType d : DType.values()) {
            long[] shape = {2, 3};
            byte[] data = new byte[6 * d.size()];
            random.nextBytes(data);
            tensors.put("t_" + d.name().toLowerCase(), new Tensor(d, shape, data));
        }
        tensors.put("scalar", Tensor.ofDoubles(DType.F64, new long[] {}, new double[] {Math.PI}));
        tensors.put("empty", Tensor.ofDoubles(DType.F32, new long[] {0, 5}, new double[0]));
        tensors.put("zzz_first_in_data_order_is_insertion_order", Tensor.ofLongs(DType.I64, new long[] {1}, new long[] {-1}));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("run", "r-1");
        metadata.put("step", "42");
        metadata.put("time", "0.125");
        metadata.put("ünïcødé \"quoted\" \\ </script>", "line1\nline2\t☃");
        SafetensorsFile file = new SafetensorsFile(tensors, metadata);

        Path p = dir.resolve("all.safetensors");
        Safetensors.write(p, file);
        SafetensorsFile back = Safetensors.read(p);

        assertThat(back).isEqualTo(file);
        assertThat(back.tensors().keySet()).containsExactlyElementsOf(tensors.keySet());
        assertThat(back.metadata().keySet()).containsExactlyElementsOf(metadata.keySet());
        assertThat(Files.readAllBytes(p)).isEqualTo(Safetensors.encode(back));
        assertThat(Files.size(p) - 8 - ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN).getLong())
                .as("data region is exactly the tensors' bytes").isEqualTo(tensors.values().stream()
                        .mapToLong(t -> t.data().length).sum());
    }

    @Test
    void floatAndIntegerHelpersAreExact() throws Exception {
        double[] values = {0.0, -0.0, Double.MIN_VALUE, -Double.MAX_VALUE, 1.0 / 3, Math.PI};
        Tensor f64 = Tensor.ofDoubles(DType.F64, new long[] {2, 3}, values);
        assertThat(f64.toDoubles()).containsExactly(values);
        Tensor f32 = Tensor.ofDoubles(DType.F32, new long[] {6}, values);
        assertThat(f32.toDoubles()).containsExactly(Arrays.stream(values).map(v -> (float) v).toArray());
        long[] longs = {0, -1, Long.MAX_VALUE, Long.MIN_VALUE};
        assertThat(Tensor.ofLongs(DType.I64, new long[] {4}, longs).toLongs()).containsExactly(longs);
        assertThat(Tensor.ofLongs(DType.I32, new long[] {2}, new long[] {Integer.MIN_VALUE, 5}).toLongs())
                .containsExactly(Integer.MIN_VALUE, 5);
        assertThatThrownBy(() -> Tensor.ofLongs(DType.I32, new long[] {1}, new long[] {1L << 40}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit I32");
        assertThatThrownBy(() -> Tensor.ofDoubles(DType.F32, new long[] {3}, new double[2]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.ofDoubles(DType.I64, new long[] {1}, new double[1]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(f64::toLongs).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new Tensor(DType.F16, new long[] {3}, new byte[4])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Tensor(DType.U8, new long[] {-1}, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tensorsAndFilesAreImmutable() {
        long[] shape = {2};
        byte[] data = new byte[8];
        Tensor t = new Tensor(DType.F32, shape, data);
        shape[0] = 99;
        data[0] = 1;
        t.shape()[0] = 7;
        t.data()[1] = 1;
        assertThat(t.shape()).containsExactly(2);
        assertThat(t.data()).containsOnly(0);
        Map<String, Tensor> tensors = new LinkedHashMap<>(Map.of("t", t));
        SafetensorsFile f = new SafetensorsFile(tensors, Map.of());
        tensors.clear();
        assertThat(f.tensors()).containsKey("t");
        assertThatThrownBy(() -> f.tensors().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> new SafetensorsFile(Map.of("__metadata__", t))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsPaddedAndPrettyHeadersLikeThoseFromPython() throws Exception {
        String pretty = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},\n"
                + " \"__metadata__\": {\"format\": \"pt\"}}" + " ".repeat(13);
        byte[] bytes = withHeader(pretty, 8);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putFloat(bytes.length - 8, 1.5f).putFloat(bytes.length - 4, 2.5f);
        SafetensorsFile f = Safetensors.decode(bytes, "pretty");
        assertThat(f.tensors().get("a").toDoubles()).containsExactly(1.5, 2.5);
        assertThat(f.metadata()).containsExactly(Map.entry("format", "pt"));
    }

    @Test
    void acceptsEmptyTensorsScalarsNoTensorsAndUnknownEntryKeys() throws Exception {
        SafetensorsFile f = Safetensors.decode(withHeader("{\"e\":{\"dtype\":\"F64\",\"shape\":[3,0],\"data_offsets\":[0,0]},"
                + "\"z\":{\"dtype\":\"BF16\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + "\"s\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1],\"comment\":\"ignored\"}}", 1), "src");
        assertThat(f.tensors()).containsOnlyKeys("e", "z", "s");
        assertThat(f.tensors().get("e").shape()).containsExactly(3, 0);
        assertThat(f.tensors().get("s").elements()).isEqualTo(1);
        assertThat(Safetensors.decode(withHeader("{}", 0), "src").tensors()).isEmpty();
    }

    @Test
    void readsTheSharedFixtureWhoseHeaderEndsInSpaces() throws Exception {
        Path p = IoTesting.fixtures().resolve("ce-tanh-data.safetensors");
        byte[] raw = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(raw[(int) (8 + n - 1)]).as("fixture header is space-padded").isEqualTo((byte) ' ');
        SafetensorsFile f = Safetensors.read(p);
        assertThat(f.tensors()).containsOnlyKeys("x", "y");
        assertThat(f.tensors().get("x")).hasToString("F64[10, 4]");
        assertThat(f.tensors().get("y")).hasToString("I64[10]");
        assertThat(f.metadata()).isEmpty();
    }

    // ---- bad files: each message is "<file>: <problem>" on one line ----

    @Test
    void rejectsFilesTooShortOrWithAnAbsurdHeaderLength() throws Exception {
        byte[] good = Safetensors.encode(new SafetensorsFile(Map.of("a", Tensor.ofDoubles(DType.F32, new long[] {2}, new double[2]))));
        expect(new byte[0], "empty file");
        expect(Arrays.copyOf(good, 5), "(5 bytes, shorter than the 8-byte header length)");

        byte[] absurd = new byte[1200];
        ByteBuffer.wrap(absurd).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE);
        expect(absurd, "not a safetensors file (header length 9223372036854775807 exceeds the file size 1200)");
        ByteBuffer.wrap(absurd).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L);
        expect(absurd, "header length 18446744073709551615 exceeds the file size 1200");

        expect(Arrays.copyOf(good, 40), "truncated or not a safetensors file (header length 56 exceeds the file size 40)");
        expect(withHeader("{", 0), "too short for a JSON object");
        expect(withHeader("", 0), "header length 0 is too short");

        byte[] random = new byte[4096];
        new Random(3).nextBytes(random);
        expect(random, "not a safetensors file");
    }

    @Test
    void rejectsAHeaderOverTheHundredMegabyteLimit() {
        byte[] big = new byte[100_000_100];
        ByteBuffer.wrap(big).order(ByteOrder.LITTLE_ENDIAN).putLong(100_000_001L);
        assertInputError(() -> Safetensors.decode(big, "big"), "big",
                "not a safetensors file (header length 100000001 exceeds the limit of 100000000 bytes)");
    }

    @Test
    void rejectsTruncatedData() throws Exception {
        byte[] good = Safetensors.encode(new SafetensorsFile(Map.of("a", Tensor.ofDoubles(DType.F32, new long[] {2}, new double[2]))));
        expect(Arrays.copyOf(good, good.length - 3), "tensor 'a' has data_offsets [0, 8] past the end of the 5-byte data region (file truncated?)");
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "[1,2]                                | the header does not start with '{'",
        "` {}`                                | the header does not start with '{'",
        "{} x                                 | the header is not valid JSON",
        "{}{}                                 | the header is not valid JSON",
        "{'a':1}                              | the header is not valid JSON",
        "{a:1}                                | the header is not valid JSON",
        "{\"a\":NaN}                          | the header is not valid JSON",
        "{/*c*/}                              | the header is not valid JSON",
        "{\"a\":1,}                           | the header is not valid JSON",
        "{\"a\":{}                            | the header is not valid JSON",
        "{\"a\":{},\"a\":{}}                  | duplicate key 'a'",
        "{\"a\":3}                            | tensor 'a' is a number, expected an object with dtype, shape and data_offsets",
        "{\"a\":{\"shape\":[],\"data_offsets\":[0,0]}}                  | tensor 'a' has no dtype",
        "{\"a\":{\"dtype\":4,\"shape\":[],\"data_offsets\":[0,0]}}      | tensor 'a' has a dtype that is a number",
        "{\"a\":{\"dtype\":\"Q7\",\"shape\":[],\"data_offsets\":[0,0]}} | tensor 'a' has unknown dtype 'Q7'",
        "{\"a\":{\"dtype\":\"f32\",\"shape\":[],\"data_offsets\":[0,4]}}| tensor 'a' has unknown dtype 'f32'",
        "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}             | tensor 'a' has no shape",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,4]}}  | tensor 'a' has a shape that is a number",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}                 | shape entry -2, which is negative",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}                | shape entry 1.5, which is not an integer",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}                | shape entry 2.0, which is not an integer",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1e1],\"data_offsets\":[0,8]}}                | shape entry 1e1, which is not an integer",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}              | shape entry a string, which is not an integer",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,8]}}               | shape entry null, which is not an integer",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[9223372036854775808],\"data_offsets\":[0,8]}} | shape entry 9223372036854775808, which is out of range",
        "{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}} | tensor 'a' has an impossibly large shape",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}                            | tensor 'a' has no data_offsets",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}   | data_offsets with 3 entries, expected 2",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}     | data_offsets [8, 0] that end before they begin",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}    | data_offsets entry -8, which is negative",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}     | tensor 'a' has 8 bytes of data (data_offsets [0, 8]), but shape [3] of F32 needs 12",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}    | past the end of the 12-byte data region",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[4,8]}} | tensor 'b' (data bytes 4..8) overlaps tensor 'a' (data bytes 0..8)",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}} | overlaps",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}    | hole of 4 bytes in the data before tensor 'a'",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}     | 4 trailing bytes after the last tensor's data",
        "{\"__metadata__\":[]}                                                  | __metadata__ is an array, expected an object of strings",
        "{\"__metadata__\":{\"k\":3}}                                           | metadata 'k' is a number, expected a string",
        "{\"__metadata__\":{\"k\":null}}                                        | metadata 'k' is null, expected a string",
        "{\"__metadata__\":{\"k\":{\"n\":\"v\"}}}                               | metadata 'k' is an object, expected a string",
    })
    void rejectsBadHeaders(String header, String phrase) throws Exception {
        // 12 bytes of data: what A_AND_B describes, so that each header breaks one rule only
        assertThat(Safetensors.decode(withHeader(A_AND_B, 12), "ok").tensors()).hasSize(2);
        expect(withHeader(header, 12), phrase);
    }

    @Test
    void rejectsHeadersThatAreNotUtf8() throws Exception {
        byte[] bytes = withHeader("{\"a\":{}}", 0);
        bytes[10] = (byte) 0xC3; // a lead byte without its continuation
        expect(bytes, "not a safetensors file (the header is not valid UTF-8)");
    }

    @Test
    void rejectsDeeplyNestedHeadersWithoutOverflowingTheStack() throws Exception {
        expect(withHeader("{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}", 0), "not valid JSON");
    }

    @Test
    void keepsMessagesOnOneLineWhateverTheNames() throws Exception {
        expect(withHeader("{\"evil\\nname\\r\":{\"dtype\":\"X\",\"shape\":[],\"data_offsets\":[0,0]}}", 0),
                "tensor 'evil\\u000aname\\u000d' has unknown dtype 'X'");
        expect(withHeader("{\"" + "n".repeat(500) + "\":{\"dtype\":\"X\",\"shape\":[],\"data_offsets\":[0,0]}}", 0),
                "tensor '" + "n".repeat(80) + "...' has unknown dtype");
    }

    @Test
    void reportsMissingFilesDirectoriesAndUnreadableFiles() throws Exception {
        Path missing = dir.resolve("missing.safetensors");
        assertInputError(() -> Safetensors.read(missing), missing, "no such file");
        Path inMissingDir = dir.resolve("nope").resolve("m.safetensors");
        assertInputError(() -> Safetensors.read(inMissingDir), inMissingDir, "no such file");
        assertInputError(() -> Safetensors.read(dir), dir, "is a directory, not a safetensors file");

        Path locked = dir.resolve("locked.safetensors");
        Safetensors.write(locked, new SafetensorsFile(Map.of()));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        assumeFalse(Files.isReadable(locked), "running as root: permissions are not enforced");
        assertInputError(() -> Safetensors.read(locked), locked, "cannot be read (permission denied)");
    }

    private void expect(byte[] bytes, String phrase) throws Exception {
        Path p = dir.resolve("bad-" + Integer.toHexString(Arrays.hashCode(bytes)) + ".safetensors");
        Files.write(p, bytes);
        assertInputError(() -> Safetensors.read(p), p, phrase);
        assertInputError(() -> Safetensors.decode(bytes, "record@7"), "record@7", phrase);
    }
}
