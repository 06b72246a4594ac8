package io.eoscope.analyzer;

import com.google.gson.JsonObject;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.wire.ChunkAssembler;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.streaming.Messages;
import io.eoscope.wire.TopicScan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;

/**
 * Re-analyses a stored run: reads its snapshots (steps in [from, to]) and its dataset back from Kafka,
 * in the order they were written, analyses each under a new analysis id and publishes the metrics.
 * With the same options on the CPU the numbers are bit-identical from one replay to the next.
 */
public final class Replay {
    private Replay() {}

    /** What a replay did. */
    public record Result(int analysed, int skippedBadRecords) {}

    /**
     * @param progress told (done, total) after each snapshot
     * @throws IllegalArgumentException when the run has no snapshot in the range
     */
    public static Result run(KafkaSettings settings, AnalyzerConfig config, String run, long fromStep, long toStep,
            BiConsumer<Integer, Integer> progress) throws InterruptedException {
        List<MlpModel> snapshots = new ArrayList<>();
        int bad = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.consumer("eos-replay", null))) {
            Map<TopicPartition, Long> end = TopicScan.fromStart(consumer, settings.topics().snapshots());
            ChunkAssembler assembler = new ChunkAssembler(8);
            while (!TopicScan.reached(consumer, end)) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (!run.equals(r.key())) {
                        continue;
                    }
                    try {
                        Optional<ChunkAssembler.Payload> payload = assembler.accept(r);
                        if (payload.isPresent()) {
                            MlpModel m = Messages.snapshot(payload.get());
                            long step = Long.parseLong(m.metadata().get("step"));
                            if (step >= fromStep && step <= toStep) {
                                snapshots.add(m);
                            }
                        }
                    } catch (MalformedRecordException e) {
                        bad++;
                    }
                }
            }
        }
        if (snapshots.isEmpty()) {
            throw new IllegalArgumentException("--run " + run + ": no snapshot with step in [" + fromStep + ", " + toStep
                    + "] in " + settings.topics().snapshots());
        }
        int done = 0;
        try (DatasetStore datasets = new DatasetStore(settings);
                SnapshotAnalysis analysis = new SnapshotAnalysis(config, 1);
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producer("eos-replay"))) {
            for (MlpModel m : snapshots) {
                String hash = m.metadata().get("dataset");
                LabeledData data = datasets.get(hash).orElseThrow(() -> new IllegalArgumentException(
                        "--run " + run + ": its dataset " + hash + " is not in " + settings.topics().datasets()));
                JsonObject metrics = analysis.analyse(m, data);
                long step = Long.parseLong(m.metadata().get("step"));
                producer.send(io.eoscope.wire.Records.json(settings.topics().metrics(), io.eoscope.wire.Records.metricsKey(run, step, config.analysisId()),
                        metrics)).get();
                progress.accept(++done, snapshots.size());
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish metrics: " + e.getCause().getMessage(), e.getCause());
        }
        return new Result(done, bad);
    }
}
