package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Client properties and topic definitions: what every service gets from the wire module. */
class KafkaSettingsTest {
    private final KafkaSettings settings = new KafkaSettings("127.0.0.1:9092", new Topics("t."), Map.of());

    @Test
    void consumersReadAtKafkasDefaultIsolationLevelAsNothingIsTransactional() {
        // read_committed without transactions only waits for the last stable offset; a user may still ask for it
        assertThat(settings.consumer("c", "g")).doesNotContainKey(ConsumerConfig.ISOLATION_LEVEL_CONFIG);
        KafkaSettings asked = new KafkaSettings("127.0.0.1:9092", new Topics("t."), Map.of("isolation.level", "read_committed"));
        assertThat(asked.consumer("c", "g").getProperty("isolation.level")).isEqualTo("read_committed");
    }

    @Test
    void topicsTakeTheBrokersDefaultReplicationFactorUnlessOneIsGiven() {
        assertThat(settings.topics().definitions(3, Optional.empty())).hasSize(7)
                .allSatisfy(t -> assertThat(t.replicationFactor()).as(t.name()).isEqualTo((short) -1));
        assertThat(settings.topics().definitions(3, Optional.of((short) 3))).extracting(NewTopic::replicationFactor)
                .containsOnly((short) 3);
        assertThat(settings.topics().definitions(3, Optional.empty())).filteredOn(t -> t.name().equals("t.snapshots"))
                .singleElement().extracting(NewTopic::numPartitions).isEqualTo(3);
        assertThatThrownBy(() -> settings.topics().definitions(0, Optional.empty())).hasMessageContaining("--partitions");
    }

    @Test
    @Timeout(30)
    void aClusterThatDoesNotAnswerIsNamedWithTheTimeWaited() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort(); // free once closed: nothing listens there
        }
        KafkaSettings nowhere = new KafkaSettings("127.0.0.1:" + closed, new Topics("t."), Map.of());
        long start = System.nanoTime();
        assertThatThrownBy(() -> TopicSetup.createTopics(nowhere, "test", 2, Optional.empty(), Duration.ofSeconds(2)))
                .isInstanceOf(BrokerUnreachableException.class)
                .hasMessage("the Kafka cluster at 127.0.0.1:" + closed + " (--bootstrap-servers) could not be reached within 2 s");
        assertThat((System.nanoTime() - start) / 1e9).as("seconds waited").isLessThan(10);
    }
}
