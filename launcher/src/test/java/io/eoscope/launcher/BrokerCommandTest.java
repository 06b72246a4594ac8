package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.broker.BrokerConflictException;
import io.eoscope.broker.EmbeddedKafka;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code eos broker} refuses what would hurt a running broker, in one line: its data directory in use, a port in use. */
@Tag("integration")
@Timeout(180)
class BrokerCommandTest {
    @TempDir
    Path dir;

    /** A second broker on a live broker's directory once corrupted its metadata log: now it is refused before Kafka starts. */
    @Test
    void aSecondBrokerOnALiveBrokersDirectoryIsRefused() throws Exception {
        try (EmbeddedKafka live = EmbeddedKafka.start(dir.resolve("data"))) {
            assertThatThrownBy(() -> EmbeddedKafka.start(dir.resolve("data"))).isInstanceOf(BrokerConflictException.class)
                    .hasMessageContaining("is in use by another running broker");
            EosProcess.Result r = EosProcess.run(dir, "broker", "--data-dir", dir.resolve("data").toString(), "--port",
                    Integer.toString(EmbeddedKafka.freePort()));
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err().strip()).endsWith("is in use by another running broker").doesNotContain("Exception");
            assertThat(live.bootstrapServers()).isNotBlank();
        }
    }

    @Test
    void aPortInUseIsOneLineAndExitTwo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            EosProcess.Result r = EosProcess.run(dir, "broker", "--data-dir", dir.resolve("d2").toString(), "--port",
                    Integer.toString(taken.getLocalPort()));
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err()).contains("eos broker: port " + taken.getLocalPort() + " on 127.0.0.1 is in use (--port)")
                    .doesNotContain("Exception");
        }
    }
}
