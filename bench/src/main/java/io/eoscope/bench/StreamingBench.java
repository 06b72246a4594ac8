package io.eoscope.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.analyzer.AnalyzerConfig;
import io.eoscope.analyzer.AnalyzerVerticle;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.curvature.alignment.LayerSpectraRoute;
import io.eoscope.curvature.analysis.AnalysisOptions;
import io.eoscope.curvature.hessian.Curvature;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.trainer.run.RunConfig;
import io.eoscope.trainer.run.TrainingListener;
import io.eoscope.trainer.run.TrainingRun;
import io.eoscope.trainer.stream.SnapshotPublisher;
import io.eoscope.trainer.stream.TrainerVerticle;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Payloads;
import io.eoscope.wire.Topics;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Streaming benchmark, one run on one in-JVM KRaft broker: (1) snapshot publishing throughput (chunks
 * compressed with lz4 by the idempotent acks=all producer) against a plain producer sending the same bytes
 * in records of the same size; (2) snapshot-to-metrics latency through a live analyzer; (3) training steps per second
 * with streaming on and off. Usage: {@code bench/run streaming [--quick]}.
 */
public final class StreamingBench {
    private StreamingBench() {}

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        if (Arrays.asList(args).contains("--help")) {
            System.out.println("bench/run streaming [--quick]: publishing throughput, snapshot-to-metrics latency and"
                    + " steps/s with streaming on and off, on an in-JVM broker (see bench/README.md)");
            return;
        }
        Path dir = Files.createTempDirectory("eos-bench-streaming");
        JsonObject out = new JsonObject();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
            KafkaSettings s = new KafkaSettings(kafka.bootstrapServers(), new Topics("bench."), Map.of());
            try (Admin a = Admin.create(s.admin("bench"))) {
                s.topics().create(a, 2, (short) 1);
                a.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("bench.plain", 2, (short) 1))).all().get();
            }
            out.add("publishing", publishing(s, quick));
            out.add("steps_per_second", steps(s, dir, quick));
            out.add("latency", latency(s, dir, quick));
        }
        String json = new GsonBuilder().setPrettyPrinting().create().toJson(out);
        Path results = Path.of("bench", "results");
        Files.createDirectories(results);
        Files.writeString(results.resolve("streaming-latest.json"), json);
        System.out.println(json);
    }

    /** MB/s of snapshot bytes, eoscope's publisher against a plain producer of the same bytes. */
    private static JsonObject publishing(KafkaSettings s, boolean quick) throws Exception {
        int[] widths = quick ? new int[] {784, 256, 10} : new int[] {3072, 512, 512, 512, 512, 512, 10};
        MlpModel model = MlpModel.initialise(widths, Activation.ELU, Loss.MSE, 1)
                .withMetadata(Map.of("run", "b", "step", "0", "time", "0", "dataset", "x"));
        byte[] bytes = ModelFile.encode(model, DType.F32);
        int reps = quick ? 3 : 8;
        double eos = 0;
        double plain = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(s.producer("bench"))) {
            for (int warm = 0; warm < 2; warm++) { // warm-up
                send(producer, Payloads.snapshot(s.topics(), "b", warm, bytes));
                send(producer, plainRecords(bytes));
            }
            for (int r = 0; r < reps; r++) { // interleaved, so a slow spell hits both
                long t0 = System.nanoTime();
                send(producer, Payloads.snapshot(s.topics(), "b", 10 + r, bytes));
                long t1 = System.nanoTime();
                send(producer, plainRecords(bytes));
                long t2 = System.nanoTime();
                eos += (t1 - t0) / 1e9;
                plain += (t2 - t1) / 1e9;
            }
        }
        JsonObject o = new JsonObject();
        double mb = bytes.length / 1e6;
        o.addProperty("snapshot_mb", mb);
        o.addProperty("repetitions", reps);
        o.addProperty("eoscope_mb_per_s", mb * reps / eos);
        o.addProperty("plain_mb_per_s", mb * reps / plain);
        o.addProperty("eoscope_over_plain_throughput", plain / eos);
        System.err.printf(Locale.ROOT, "publishing %.1f MB snapshots: eoscope %.1f MB/s, plain producer %.1f MB/s (ratio %.2f)%n",
                mb, mb * reps / eos, mb * reps / plain, plain / eos);
        return o;
    }

    private static List<ProducerRecord<String, byte[]>> plainRecords(byte[] bytes) {
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
        int chunk = io.eoscope.wire.ChunkCodec.CHUNK_BYTES;
        for (int from = 0; from < bytes.length; from += chunk) {
            out.add(new ProducerRecord<>("bench.plain", "b", Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + chunk))));
        }
        return out;
    }

    private static void send(KafkaProducer<String, byte[]> producer, List<ProducerRecord<String, byte[]>> records) throws Exception {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (ProducerRecord<String, byte[]> r : records) {
            acks.add(producer.send(r));
        }
        for (Future<RecordMetadata> f : acks) {
            f.get();
        }
    }

    private static RunConfig run(String name, long steps, long every) {
        return new RunConfig(name, "xor", null, 64, 2, 0, "2-32-32-2", "elu", "mse", 0, null, "gd", 0.04, 0.01, 0, 0.1, 1e-4,
                1, steps, 0, 0, every, 0, "float32", "cpu", 1000, false);
    }

    /** Training steps per second, streaming off and on (same run, interleaved repetitions). */
    private static JsonObject steps(KafkaSettings s, Path dir, boolean quick) throws Exception {
        long steps = quick ? 200 : 1000;
        int reps = quick ? 1 : 3;
        double off = 0;
        double on = 0;
        for (int r = 0; r < reps + 1; r++) {
            long t0 = System.nanoTime();
            TrainingRun.start(run("off" + r, steps, 10), dir.resolve("off" + r), TrainingListener.NONE);
            long t1;
            long t2;
            try (SnapshotPublisher p = new SnapshotPublisher(s, TrainingListener.NONE)) { // a long-lived producer, as in the service
                t1 = System.nanoTime();
                TrainingRun.start(run("on" + r, steps, 10), dir.resolve("on" + r), p);
                t2 = System.nanoTime();
            }
            if (r > 0) { // the first round warms up
                off += (t1 - t0) / 1e9;
                on += (t2 - t1) / 1e9;
            }
        }
        JsonObject o = new JsonObject();
        o.addProperty("steps", steps);
        o.addProperty("snapshot_every", 10);
        o.addProperty("off", steps * reps / off);
        o.addProperty("on", steps * reps / on);
        o.addProperty("slowdown_percent", 100 * (on / off - 1));
        System.err.printf(Locale.ROOT, "training: %.1f steps/s without streaming, %.1f with (%.1f%% slower)%n", steps * reps / off,
                steps * reps / on, 100 * (on / off - 1));
        return o;
    }

    /** Seconds from a snapshot's publication to its metrics record, through one analyzer. */
    private static JsonObject latency(KafkaSettings s, Path dir, boolean quick) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            AnalysisOptions d = AnalysisOptions.defaults();
            AnalysisOptions options = new AnalysisOptions(1, 1e-4, "lanczos", EnumSet.allOf(Curvature.class), true, 1000, 0,
                    LayerSpectraRoute.AUTO, d.dualGramLimit(), 5000, 0);
            vertx.deployVerticle(new AnalyzerVerticle(s, new AnalyzerConfig("lat", options, "float32", "cpu", "bench", "all")))
                    .await();
            long steps = quick ? 100 : 400;
            Map<Long, Long> published = new HashMap<>();
            TrainingListener stamp = new TrainingListener() {
                @Override
                public void snapshot(long step, double time, Path file) {
                    published.put(step, System.nanoTime());
                }
            };
            TrainerVerticle t = new TrainerVerticle(run("lat", steps, 20), dir.resolve("lat"), s, stamp);
            vertx.deployVerticle(t).await();
            t.finished().await();
            int expected = (int) (steps / 20 + 1);
            List<Double> latencies = new ArrayList<>();
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(s.consumer("bench-lat", null))) {
                List<TopicPartition> parts = new ArrayList<>();
                for (PartitionInfo p : c.partitionsFor(s.topics().metrics(), Duration.ofSeconds(30))) {
                    parts.add(new TopicPartition(p.topic(), p.partition()));
                }
                c.assign(parts);
                c.seekToBeginning(parts);
                long deadline = System.nanoTime() + 300_000_000_000L;
                Map<Long, Long> arrived = new HashMap<>();
                while (arrived.size() < expected && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(50))) {
                        JsonObject m = JsonParser.parseString(new String(r.value(), StandardCharsets.UTF_8)).getAsJsonObject();
                        arrived.putIfAbsent(m.get("step").getAsLong(), r.timestamp());
                    }
                }
                // record timestamps are wall-clock ms; publication times are nanoTime: convert via now
                long nowMs = System.currentTimeMillis();
                long nowNs = System.nanoTime();
                for (Map.Entry<Long, Long> e : arrived.entrySet()) {
                    Long sent = published.get(e.getKey());
                    if (sent != null) {
                        double sentMs = nowMs - (nowNs - sent) / 1e6;
                        latencies.add((e.getValue() - sentMs) / 1e3);
                    }
                }
            }
            latencies.sort(Double::compare);
            JsonObject o = new JsonObject();
            o.addProperty("snapshots", latencies.size());
            o.addProperty("median_seconds", latencies.get(latencies.size() / 2));
            o.addProperty("max_seconds", latencies.get(latencies.size() - 1));
            o.addProperty("note", "latency includes queueing behind earlier snapshots when the analyzer is slower than the trainer");
            System.err.printf(Locale.ROOT, "snapshot-to-metrics latency: median %.3f s, max %.3f s over %d snapshots%n",
                    latencies.get(latencies.size() / 2), latencies.get(latencies.size() - 1), latencies.size());
            return o;
        } finally {
            vertx.close().await();
        }
    }
}
