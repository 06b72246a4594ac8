package io.eoscope.streaming;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.MlpModel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The records of each topic: how they are keyed, encoded and decoded. */
public final class Messages {
    private Messages() {}

    /** The snapshot records of a safetensors snapshot file's bytes (its metadata must name run and step). */
    public static List<ProducerRecord<String, byte[]>> snapshot(Topics topics, String run, long step, byte[] safetensors) {
        return ChunkCodec.encode(topics.snapshots(), run, run + "@" + step, safetensors);
    }

    /** A reassembled snapshot as a model (validated like a file). */
    public static MlpModel snapshot(ChunkAssembler.Payload payload) throws MalformedRecordException {
        try {
            MlpModel model = ModelFile.fromSafetensors(Safetensors.decode(payload.bytes(), "snapshot " + payload.id()),
                    "snapshot " + payload.id());
            for (String key : new String[] {"run", "step", "time", "dataset"}) {
                if (!model.metadata().containsKey(key)) {
                    throw new MalformedRecordException("snapshot " + payload.id() + ": metadata has no '" + key + "'");
                }
            }
            Long.parseLong(model.metadata().get("step"));
            Double.parseDouble(model.metadata().get("time"));
            return model;
        } catch (InputException e) {
            throw new MalformedRecordException(e.getMessage());
        } catch (NumberFormatException e) {
            throw new MalformedRecordException("snapshot " + payload.id() + ": step or time is not a number");
        }
    }

    /** The bytes of a dataset record and its content hash (the key). */
    public record EncodedDataset(String hash, byte[] bytes) {}

    /** Encodes a dataset (x as F32 or F64) and hashes it. */
    public static EncodedDataset dataset(LabeledData data, DType precision) {
        byte[] bytes = Safetensors.encode(DatasetFile.toSafetensors(data, precision, Map.of()));
        return new EncodedDataset(sha256(bytes), bytes);
    }

    /** The records of an encoded dataset. */
    public static List<ProducerRecord<String, byte[]>> dataset(Topics topics, EncodedDataset d) {
        return ChunkCodec.encode(topics.datasets(), d.hash(), d.hash(), d.bytes());
    }

    /** A reassembled dataset, checked against its hash. */
    public static LabeledData dataset(ChunkAssembler.Payload payload) throws MalformedRecordException {
        if (!sha256(payload.bytes()).equals(payload.key())) {
            throw new MalformedRecordException("dataset " + payload.key() + ": content does not match its hash");
        }
        try {
            return DatasetFile.fromSafetensors(Safetensors.decode(payload.bytes(), "dataset " + payload.key()),
                    "dataset " + payload.key());
        } catch (InputException e) {
            throw new MalformedRecordException(e.getMessage());
        }
    }

    /** A JSON record. */
    public static ProducerRecord<String, byte[]> json(String topic, String key, JsonObject value) {
        return new ProducerRecord<>(topic, key, value.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The JSON object of a record's value. */
    public static JsonObject json(ConsumerRecord<String, byte[]> record) throws MalformedRecordException {
        try {
            return JsonParser.parseString(new String(record.value(), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new MalformedRecordException("value is not a JSON object");
        }
    }

    /** The idempotent key of a metrics record. */
    public static String metricsKey(String run, long step, String analysisId) {
        return run + "/" + step + "/" + analysisId;
    }

    /** A dead letter: where the record came from and why it could not be used. */
    public static ProducerRecord<String, byte[]> deadLetter(Topics topics, ConsumerRecord<String, byte[]> record, String reason) {
        JsonObject o = new JsonObject();
        o.addProperty("topic", record.topic());
        o.addProperty("partition", record.partition());
        o.addProperty("offset", record.offset());
        o.addProperty("key", record.key());
        o.addProperty("reason", reason);
        o.addProperty("bytes", record.value() == null ? 0 : record.value().length);
        o.addProperty("at", Instant.now().toString());
        return json(topics.deadletter(), record.topic() + "/" + record.partition() + "/" + record.offset(), o);
    }

    /** SHA-256 in hex. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
