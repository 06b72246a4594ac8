package io.eoscope.curvature.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Helpers shared by the tests of this package. */
final class IoTesting {
    private IoTesting() {}

    /** The reference fixtures: {@code -Deoscope.fixtures=DIR} if set, else the module's test resources (fixtures/analyze). */
    static Path fixtures() {
        String override = System.getProperty("eoscope.fixtures");
        if (override != null) {
            return Path.of(override);
        }
        URL copy = IoTesting.class.getResource("/fixtures/analyze");
        assertThat(copy).as("fixtures: the test resource fixtures/analyze is missing").isNotNull();
        try {
            return Path.of(copy.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** An 8-byte little-endian length, the header as given (no padding), then {@code dataBytes} zero bytes. */
    static byte[] withHeader(String json, int dataBytes) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }

    /** Asserts an {@link InputException} with the one-line message {@code "<source>: ..."} containing {@code phrase}. */
    static void assertInputError(ThrowingCallable call, Object source, String phrase) {
        assertThatThrownBy(call).isInstanceOf(InputException.class)
                .hasMessageStartingWith(source + ": ")
                .hasMessageContaining(phrase)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n", "\r"));
    }
}
