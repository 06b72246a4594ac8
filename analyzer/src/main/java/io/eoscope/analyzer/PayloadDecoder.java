package io.eoscope.analyzer;

import io.eoscope.curvature.io.DatasetFile;
import io.eoscope.curvature.io.InputException;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.ModelState;
import io.eoscope.wire.ChunkAssembler;
import io.eoscope.wire.MalformedRecordException;
import io.eoscope.wire.Payloads;
import io.eoscope.wire.SnapshotMetadata;

/**
 * The reassembled payloads of the topics ({@link Payloads}) decoded and validated like files: what cannot be used
 * is a {@link MalformedRecordException} whose message names the payload and the problem (the dead letter's reason).
 */
public final class PayloadDecoder {
    private PayloadDecoder() {}

    /**
     * A snapshot: an MLP, or a TorchScript module's parameters (metadata {@code format} = {@code torchscript}, from
     * eoscope's Python client). Its metadata keeps the wire's {@link io.eoscope.wire.FieldRules}
     * ({@link SnapshotMetadata}): a snapshot the gateway could not show is refused here, before it is analysed.
     */
    public static ModelState snapshot(ChunkAssembler.Payload payload) throws MalformedRecordException {
        String source = "snapshot " + payload.id();
        ModelState model;
        try {
            model = ModelFile.state(Safetensors.decode(payload.bytes(), source), source);
        } catch (InputException e) {
            throw new MalformedRecordException(e.getMessage());
        }
        try {
            SnapshotMetadata.of(payload.id(), model.metadata());
        } catch (MalformedRecordException e) {
            throw new MalformedRecordException(source + ": " + e.getMessage());
        }
        return model;
    }

    /** A dataset's bytes, checked against its hash and decoded. */
    public static LabeledData dataset(String hash, byte[] bytes) throws MalformedRecordException {
        Payloads.checked("dataset", hash, bytes);
        try {
            return DatasetFile.decode(bytes, "dataset " + hash);
        } catch (InputException e) {
            throw new MalformedRecordException(e.getMessage());
        }
    }

    /** A TorchScript module's bytes (from eoscope's Python client), checked against their hash. */
    public static byte[] module(String hash, byte[] bytes) throws MalformedRecordException {
        return Payloads.checked("module", hash, bytes);
    }
}
