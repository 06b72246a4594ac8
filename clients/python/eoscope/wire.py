"""eoscope's Kafka records, as the Java services read them (README, "Streaming"): typed, versioned JSON
on runs and telemetry, safetensors payloads in CRC-checked chunks on datasets and snapshots."""
import json
import math
import zlib

SCHEMA = 1
CHUNK_BYTES = 512 * 1024


def json_bytes(obj):
    """UTF-8 JSON with non-finite numbers as null (never NaN literals)."""
    return json.dumps(_finite(obj), separators=(",", ":"), allow_nan=False).encode("utf-8")


def _finite(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


def chunks(payload, payload_id, key, compacted):
    """(key, value, headers) of each chunk of ``payload``: on a compacted topic each chunk has a key of its
    own (``key#i/n``), since compaction keeps only the last record per key."""
    crc = format(zlib.crc32(payload) & 0xFFFFFFFF, "x")
    n = max(1, -(-len(payload) // CHUNK_BYTES))
    out = []
    for i in range(n):
        part = payload[i * CHUNK_BYTES:(i + 1) * CHUNK_BYTES]
        headers = [("eos-payload", payload_id.encode()), ("eos-chunk", f"{i}/{n}".encode()), ("eos-crc", crc.encode())]
        out.append((f"{key}#{i}/{n}" if compacted else key, part, headers))
    return out


# The runs record names the optimizer's settings as run.json does (io.eoscope.wire.RunRecord); a snapshot's metadata
# names them as OptimizerSettings.metadata() does. Only the step size and the decay are named differently.
RUN_FIELDS = {"lr": "learningRate", "weight_decay": "weightDecay"}


def run_fields(settings):
    """The runs record's fields of optimizer settings given by their metadata names."""
    return {RUN_FIELDS.get(key, key): value for key, value in settings.items()}


def step_record(run, step, time, loss, accuracy, step_size, sharpness=None):
    o = {"schema": SCHEMA, "type": "step", "run": run, "step": int(step), "time": time, "loss": loss,
         "accuracy": accuracy, "step_size": step_size, "products": 0}
    if sharpness is not None:
        o["sharpness"] = sharpness
    return o


def heartbeat_record(run, step, at_ms):
    return {"schema": SCHEMA, "type": "heartbeat", "run": run, "step": int(step), "at": int(at_ms)}


def topic_definitions(prefix, partitions):
    """(name, partitions, config) of every topic, as the Java services create them."""
    week = str(7 * 24 * 3600 * 1000)
    compact = {"cleanup.policy": "compact"}
    forever = {"retention.ms": "-1", "retention.bytes": "-1"}
    return [(prefix + "runs", 1, compact), (prefix + "datasets", 1, compact), (prefix + "snapshots", partitions, forever),
            (prefix + "metrics", partitions, compact), (prefix + "telemetry", partitions, {"retention.ms": week}),
            (prefix + "replays", partitions, {"retention.ms": week}), (prefix + "deadletter", 1, forever)]
