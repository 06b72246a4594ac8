package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.eoscope.analyzer.AnalyzerVerticle;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.stream.TrainerVerticle;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Topics;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The broker stopped and restarted during a run: the trainer resumes sending and nothing is lost. */
@Tag("integration")
@Timeout(300)
class BrokerRestartTest {
    @TempDir
    Path dir;

    @Test
    void trainerAndAnalyzerRideOutABrokerRestart() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        int port = kafka.port();
        int controller = kafka.controllerPort();
        KafkaSettings s = new KafkaSettings(kafka.bootstrapServers(), new Topics("restart."), Map.of());
        try (Admin a = Admin.create(s.admin("test"))) {
            s.topics().create(a, 2, (short) 1);
        }
        Vertx vertx = Vertx.vertx();
        try {
            AnalyzerVerticle analyzer = new AnalyzerVerticle(s, StreamingPipelineTest.analyzerConfig("restart"));
            vertx.deployVerticle(analyzer).await();
            TrainerVerticle trainer = new TrainerVerticle(StreamingPipelineTest.run("br", 600, 20), dir.resolve("run"), s,
                    TrainingListener.NONE);
            vertx.deployVerticle(trainer).await();
            Poll.until(java.time.Duration.ofSeconds(120), "two snapshots analysed", () -> analyzer.loop().analysed() >= 2);
            kafka.close(); // the broker goes away mid-run …
            kafka = EmbeddedKafka.start(dir.resolve("kafka"), port, controller); // … and comes back
            trainer.finished().await();
            assertThat(trainer.finished().result().steps()).isEqualTo(600);
            Map<String, JsonObject> metrics = readAll(s, 31);
            for (long step = 0; step <= 600; step += 20) {
                assertThat(metrics).containsKey("br/" + step + "/test");
            }
        } finally {
            vertx.close().await();
            kafka.close();
        }
    }

    private static Map<String, JsonObject> readAll(KafkaSettings s, int count) throws Exception {
        return StreamingPipelineTest.readUntil(s, s.topics().metrics(), count);
    }
}
