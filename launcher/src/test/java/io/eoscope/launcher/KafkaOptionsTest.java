package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eoscope.wire.Retention;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --kafka-config}: a properties file of client properties (a mounted Secret), under --kafka-property. */
class KafkaOptionsTest {
    @TempDir
    Path dir;

    private static KafkaOptions parse(String... args) {
        KafkaOptions options = new KafkaOptions();
        new CommandLine(options).parseArgs(args);
        return options;
    }

    @Test
    void serviceCommandsRequireTheBootstrapServers() {
        assertThatThrownBy(() -> parse("--topic-prefix", "x.").required())
                .isInstanceOf(UsageException.class).hasMessageContaining("--bootstrap-servers is required");
        assertThat(parse("--bootstrap-servers", "kafka:9092").required().bootstrapServers()).isEqualTo("kafka:9092");
    }

    @Test
    void fileEntriesReachEveryClientAndCommandLineEntriesWin() throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, """
                # a SASL/SCRAM client over TLS, as a Secret would hold it
                security.protocol=SASL_SSL
                sasl.mechanism=SCRAM-SHA-512
                sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\
                    username="eos" password="pässword";
                ssl.truststore.location=/etc/eoscope/kafka/truststore/ca.p12
                """, StandardCharsets.UTF_8);
        KafkaOptions options = parse("--bootstrap-servers", "kafka:9093", "--kafka-config", file.toString(),
                "--kafka-property", "sasl.mechanism=SCRAM-SHA-256", "--kafka-property", "request.timeout.ms=5000");
        var settings = options.settings(null);
        assertThat(settings.clientProperties())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-256")
                .containsEntry("sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"eos\" password=\"pässword\";")
                .containsEntry("request.timeout.ms", "5000");
        Properties admin = settings.admin("a");
        assertThat(admin.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(admin.getProperty("ssl.truststore.location")).isEqualTo("/etc/eoscope/kafka/truststore/ca.p12");
        assertThat(settings.consumer("c", "g").getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-256");
    }

    @Test
    void withoutTheFileOnlyCommandLineEntries() {
        assertThat(parse("--kafka-property", "a=b").clientProperties()).containsExactly(java.util.Map.entry("a", "b"));
    }

    @Test
    void aMissingOrUnreadableFileNamesTheFile() throws Exception {
        Path missing = dir.resolve("absent.properties");
        assertThatThrownBy(() -> parse("--kafka-config", missing.toString()).clientProperties())
                .isInstanceOf(UsageException.class)
                .hasMessage("--kafka-config " + missing + ": no such file");
        assertThatThrownBy(() -> parse("--kafka-config", dir.toString()).clientProperties())
                .isInstanceOf(UsageException.class)
                .hasMessageStartingWith("--kafka-config " + dir + ": cannot read it as a properties file");
        Path bad = dir.resolve("bad.properties");
        Files.writeString(bad, "key=\\u12G4\n", StandardCharsets.UTF_8); // a malformed \\uXXXX escape
        assertThatThrownBy(() -> parse("--kafka-config", bad.toString()).clientProperties())
                .hasMessageStartingWith("--kafka-config " + bad + ": cannot read it as a properties file");
    }

    @Test
    void theServiceCommandsExitTwoNamingTheFile() throws Exception {
        Path missing = dir.resolve("client.properties");
        EosProcess.Result r = EosCli.run("analyzer", "--bootstrap-servers", "127.0.0.1:1", "--kafka-config",
                missing.toString(), "--metrics-port", "-1");
        assertThat(r.status()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("eos analyzer: --kafka-config " + missing + ": no such file");
    }

    @Test
    void retentionOptionsLeftOutAreTheDefaultsAndNotGiven() {
        Retention r = parse("--bootstrap-servers", "k:9092").retention();
        assertThat(r).isEqualTo(Retention.defaults());
        assertThat(r.given()).isEmpty();
    }

    @Test
    void retentionOptionsGivenAreParsedAndMarkedGiven() {
        Retention r = parse("--snapshot-retention", "30d", "--snapshot-retention-bytes", "20GiB", "--telemetry-retention", "forever")
                .retention();
        assertThat(r.snapshotsMs()).isEqualTo(30L * 24 * 3600 * 1000);
        assertThat(r.snapshotsBytes()).isEqualTo(20L << 30);
        assertThat(r.telemetryMs()).isEqualTo(Retention.FOREVER);
        assertThat(r.given()).containsExactlyInAnyOrder(Retention.Option.values());
        assertThat(parse("--telemetry-retention", "7d").retention().given()).containsExactly(Retention.Option.TELEMETRY_RETENTION);
    }

    @Test
    void aBadRetentionIsTheUsersMistakeNamingTheOption() {
        assertThatThrownBy(() -> parse("--snapshot-retention", "1w").validate())
                .isInstanceOf(UsageException.class).hasMessageStartingWith("--snapshot-retention must be 'forever' or");
        assertThatThrownBy(() -> parse("--snapshot-retention-bytes", "10GB").settings("k:9092"))
                .isInstanceOf(UsageException.class).hasMessageStartingWith("--snapshot-retention-bytes must be 'unlimited' or");
    }

    @Test
    void everyCommandThatCreatesTopicsRefusesABadRetentionBeforeItStarts() {
        for (String[] command : new String[][] {{"analyzer", "--metrics-port", "-1"}, {"trainer", "--config", "absent.json", "--out", "never"},
            {"replay", "--run", "r"}}) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(command),
                    java.util.stream.Stream.of("--bootstrap-servers", "127.0.0.1:1", "--telemetry-retention", "12")).toArray(String[]::new);
            EosProcess.Result r = EosCli.run(args);
            assertThat(r.status()).as(command[0] + ": " + r.err()).isEqualTo(2);
            assertThat(r.err().strip()).as(command[0]).isEqualTo("eos " + command[0] + ": --telemetry-retention must be 'forever' or a"
                    + " whole number of minutes, hours or days (such as 90m, 12h or 30d), got '12'");
        }
    }
}
