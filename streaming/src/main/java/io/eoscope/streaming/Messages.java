package io.eoscope.streaming;

import io.eoscope.curvature.io.DType;
import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.ModelState;
import io.eoscope.wire.ChunkAssembler;
import io.eoscope.wire.ChunkCodec;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.wire.Records;
import io.eoscope.wire.SnapshotMetadata;
import io.eoscope.wire.Topics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The snapshot and dataset payloads: safetensors bytes in {@link ChunkCodec} chunks, decoded and validated like files. */
public final class Messages {
    private Messages() {}

    /** The snapshot records of a safetensors snapshot file's bytes (its metadata must name run and step). */
    public static List<ProducerRecord<String, byte[]>> snapshot(Topics topics, String run, long step, byte[] safetensors) {
        return ChunkCodec.encode(topics.snapshots(), run, run + "@" + step, safetensors);
    }

    /**
     * A reassembled snapshot (validated like a file): an MLP, or a TorchScript module's parameters (metadata
     * {@code format} = {@code torchscript}, from eoscope's Python client). Its metadata keeps the wire's
     * {@link io.eoscope.wire.FieldRules} ({@link SnapshotMetadata}): a snapshot the gateway could not show is refused here, before
     * it is analysed.
     */
    public static ModelState snapshot(ChunkAssembler.Payload payload) throws MalformedRecordException {
        try {
            ModelState model = ModelFile.state(Safetensors.decode(payload.bytes(), "snapshot " + payload.id()),
                    "snapshot " + payload.id());
            try {
                SnapshotMetadata.of(payload.id(), model.metadata());
            } catch (MalformedRecordException e) {
                throw new MalformedRecordException("snapshot " + payload.id() + ": " + e.getMessage());
            }
            return model;
        } catch (InputException e) {
            throw new MalformedRecordException(e.getMessage());
        }
    }

    /** The bytes of a dataset record and its content hash (the key). */
    public record EncodedDataset(String hash, byte[] bytes) {}

    /** Encodes a dataset (x as F32 or F64) and hashes it. */
    public static EncodedDataset dataset(LabeledData data, DType precision) {
        byte[] bytes = Safetensors.encode(DatasetFile.toSafetensors(data, precision, Map.of()));
        return new EncodedDataset(sha256(bytes), bytes);
    }

    /** The records of an encoded dataset: one key per chunk, since the datasets topic is compacted. */
    public static List<ProducerRecord<String, byte[]>> dataset(Topics topics, EncodedDataset d) {
        return ChunkCodec.encodeCompacted(topics.datasets(), d.hash(), d.hash(), d.bytes());
    }

    /** A reassembled dataset, checked against its hash. */
    public static LabeledData dataset(ChunkAssembler.Payload payload) throws MalformedRecordException {
        return dataset(payload.key(), payload.bytes());
    }

    /** A dataset's bytes, checked against its hash. */
    public static LabeledData dataset(String hash, byte[] bytes) throws MalformedRecordException {
        if (!sha256(bytes).equals(hash)) {
            throw new MalformedRecordException("dataset " + hash + ": content does not match its hash");
        }
        try {
            return DatasetFile.fromSafetensors(Safetensors.decode(bytes, "dataset " + hash), "dataset " + hash);
        } catch (InputException e) {
            throw new MalformedRecordException(e.getMessage());
        }
    }

    /** A TorchScript module's bytes (from eoscope's Python client), checked against their hash. */
    public static byte[] module(String hash, byte[] bytes) throws MalformedRecordException {
        if (!sha256(bytes).equals(hash)) {
            throw new MalformedRecordException("module " + hash + ": content does not match its hash");
        }
        return bytes;
    }

    private static String sha256(byte[] bytes) {
        return Records.sha256(bytes);
    }
}
