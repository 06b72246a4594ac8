package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Records;
import io.eoscope.wire.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's faults through real processes ({@code eos broker}, {@code eos gateway}, SIGKILL): started
 * before its topics exist it becomes ready when they appear; 10,000 short runs and poison records keep
 * it bounded and answering; a gateway killed and restarted rebuilds the same bounded view within a 64 MiB
 * heap; a run that goes silent is reported stale.
 */
@Tag("integration")
@Timeout(300)
class GatewayProcessTest {
    @TempDir
    Path dir;

    private static final int RUNS = 10_000;
    private static final int CAP = 1000;

    private static JsonObject step(String run, long step) {
        JsonObject o = new JsonObject();
        o.addProperty("schema", 1);
        o.addProperty("type", "step");
        o.addProperty("run", run);
        o.addProperty("step", step);
        o.addProperty("time", 0.1 * step);
        o.addProperty("loss", 1.0 / (1 + step));
        o.addProperty("accuracy", 0.5);
        o.addProperty("step_size", 0.1);
        o.addProperty("products", 0);
        return o;
    }

    private static JsonObject run(String run, String status) {
        JsonObject o = new JsonObject();
        o.addProperty("schema", 1);
        o.addProperty("run", run);
        o.addProperty("solver", "gd");
        o.addProperty("learningRate", 0.1);
        o.addProperty("n", 32);
        o.addProperty("status", status);
        return o;
    }

    private static double gauge(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(metrics);
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            sum += Double.parseDouble(m.group(2));
            found = true;
        }
        return found ? sum : Double.NaN;
    }

    private EosService gateway(int broker, int port) throws Exception {
        EosService g = EosService.start(dir, "gateway", List.of("-Xmx64m"), "gateway", "--bootstrap-servers",
                "127.0.0.1:" + broker, "--port", Integer.toString(port), "--stale-seconds", "3", "--max-view-runs", Integer.toString(CAP));
        Poll.until(Duration.ofSeconds(60), "the gateway to answer /health", () -> EosService.get(url(port, "/health")).status() == 200);
        return g;
    }

    private static String url(int port, String path) {
        return "http://127.0.0.1:" + port + path;
    }

    @Test
    void boundedAnsweringAndHonestThroughKillsAndBadInput() throws Exception {
        int brokerPort = EmbeddedKafka.freePort();
        int port = EmbeddedKafka.freePort();
        try (EosService broker = EosService.start(dir, "broker", List.of("-Xmx512m"), "broker", "--data-dir",
                dir.resolve("broker").toString(), "--port", Integer.toString(brokerPort), "--controller-port",
                Integer.toString(EmbeddedKafka.freePort()))) {
            broker.awaitLog("eos broker: ready", Duration.ofSeconds(90));
            EosService first = gateway(brokerPort, port);
            // no topics yet: alive, not ready, and saying why (first "starting": the port is served before the Kafka clients exist)
            Poll.until(Duration.ofSeconds(30), "/ready to name the missing topics", () -> {
                EosService.HttpResult ready = EosService.get(url(port, "/ready"));
                assertThat(ready.status()).isEqualTo(503);
                assertThat(ready.body()).containsAnyOf("topic", "starting");
                return ready.body().contains("topic");
            });
            KafkaSettings s = new KafkaSettings("127.0.0.1:" + brokerPort, new Topics("eos."), Map.of());
            try (Admin admin = Admin.create(s.admin("test"))) {
                s.topics().create(admin, 2, (short) 1);
            }
            Poll.until(Duration.ofSeconds(30), "/ready once the topics exist", () -> EosService.get(url(port, "/ready")).status() == 200);

            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test"))) {
                for (int i = 0; i < RUNS; i++) {
                    String name = String.format("r%05d", i);
                    p.send(Records.json(s.topics().runs(), name, run(name, "running")));
                    for (long k = 0; k < 3; k++) {
                        p.send(Records.json(s.topics().telemetry(), name, step(name, k)));
                    }
                    p.send(Records.json(s.topics().runs(), name, run(name, "finished")));
                }
                JsonObject poison = new JsonObject();
                JsonObject status = new JsonObject();
                status.addProperty("x", 1);
                poison.add("status", status);
                p.send(Records.json(s.topics().runs(), "poison", poison));
                p.send(new ProducerRecord<>(s.topics().telemetry(), "poison", "{\"run\":\"poison\",\"step\":\"abc\"}".getBytes()));
                p.flush();
            }
            Poll.until(Duration.ofSeconds(120), "the gateway to read the 10,000 runs and the two poison records", () -> {
                String m = EosService.get(url(port, "/metrics")).body();
                return gauge(m, "eos_gateway_runs_evicted_total") >= RUNS - CAP && gauge(m, "eos_gateway_records_rejected_total") == 2
                        && gauge(m, "eos_gateway_view_runs") == CAP;
            });
            String metrics = EosService.get(url(port, "/metrics")).body();
            assertThat(gauge(metrics, "eos_gateway_view_runs")).isEqualTo(CAP);
            assertThat(gauge(metrics, "eos_gateway_records_rejected_total")).isEqualTo(2);
            EosService.HttpResult runs = EosService.get(url(port, "/api/runs"));
            assertThat(runs.status()).isEqualTo(200);
            assertThat(JsonParser.parseString(runs.body()).getAsJsonArray()).hasSizeLessThanOrEqualTo(CAP);

            // SIGKILL and restart: the same bounded view, rebuilt from the topics, in a small heap
            first.kill9();
            EosService second = gateway(brokerPort, port);
            Poll.until(Duration.ofSeconds(120), "the restarted gateway to read the history", () -> {
                String m = EosService.get(url(port, "/metrics")).body();
                return gauge(m, "eos_gateway_runs_evicted_total") >= RUNS - CAP && gauge(m, "eos_gateway_records_rejected_total") == 2;
            });
            String after = EosService.get(url(port, "/metrics")).body();
            assertThat(gauge(after, "eos_gateway_view_runs")).isEqualTo(CAP);
            double heap = after.lines().filter(l -> l.startsWith("jvm_memory_used_bytes{area=\"heap\""))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
            System.out.printf("gateway heap after reading %d runs: %.1f MiB of -Xmx64m%n", RUNS, heap / (1 << 20));
            assertThat(heap).as("heap used, bytes").isPositive().isLessThan(64.0 * (1 << 20));
            assertThat(second.alive()).as("alive in a 64 MiB heap").isTrue();

            // a run that goes silent while "running" is stale after --stale-seconds (3), and says so everywhere
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(s.producer("test"))) {
                p.send(Records.json(s.topics().runs(), "silent", run("silent", "running"))).get();
                p.send(Records.json(s.topics().telemetry(), "silent", step("silent", 0))).get();
            }
            Poll.until(Duration.ofSeconds(30), "the silent run to be stale", () -> {
                EosService.HttpResult r = EosService.get(url(port, "/api/runs/silent"));
                return r.status() == 200 && "stale".equals(JsonParser.parseString(r.body()).getAsJsonObject().get("status").getAsString());
            });
            assertThat(EosService.get(url(port, "/metrics")).body()).contains("eos_run_stale{run=\"silent\"} 1.0");
            JsonArray all = JsonParser.parseString(EosService.get(url(port, "/api/runs")).body()).getAsJsonArray();
            assertThat(all).anySatisfy(r -> assertThat(r.getAsJsonObject().get("run").getAsString()).isEqualTo("silent"));
            assertThat(EosService.get(url(port, "/health")).status()).isEqualTo(200);
            second.close();
        }
    }
}
