"""Unit tests of the Publisher with an in-memory producer: what it sends, and what it refuses to send."""
import copy
import hashlib
import io
import json
import logging
import sys
import zlib

import numpy as np
import pytest
import torch
from torch import nn

from eoscope import DeliveryError, Publisher, PublisherError, safetensors
from eoscope.model import FLOAT32_ATOL, FLOAT32_RTOL, _trace
from eoscope.publisher import _ensure_topics


class MemoryProducer:
    """Records what a confluent_kafka.Producer would send."""

    def __init__(self):
        self.records = []

    def produce(self, topic, key=None, value=None, headers=None, on_delivery=None, partition=None):
        self.records.append({"topic": topic, "key": key.decode(), "value": value, "headers": dict(headers or []),
                             "partition": partition})

    def poll(self, timeout=0):
        return 0

    def flush(self, timeout=None):
        return 0

    def on(self, topic):
        return [r for r in self.records if r["topic"] == topic]


class BrokerDown(Exception):
    """A delivery report's error, as librdkafka's KafkaError prints it."""


class LossyProducer(MemoryProducer):
    """A MemoryProducer whose broker can go down: records produced while it is down are reported as failed once
    their delivery timeout has passed (time_out(), or a flush), the others as delivered at the next poll."""

    def __init__(self):
        super().__init__()
        self.down = False
        self._ready, self._waiting = [], []

    def produce(self, topic, key=None, value=None, headers=None, on_delivery=None, partition=None):
        super().produce(topic, key, value, headers, on_delivery, partition)
        (self._waiting if self.down else self._ready).append((on_delivery, topic))

    def time_out(self):
        self._ready += [(report, topic, BrokerDown("Local: Message timed out")) for report, topic in self._waiting]
        self._waiting = []

    def poll(self, timeout=0):
        reports, self._ready = self._ready, []
        for report, topic, *err in reports:
            report(err[0] if err else None, type("Message", (), {"topic": lambda self, t=topic: t})())
        return len(reports)

    def flush(self, timeout=None):
        self.time_out()
        self.poll()
        return 0


def data(n=20, d=4, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.randint(0, classes, (n,), generator=g)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.head = nn.Linear(2 * 2 * 2, 3)

    def forward(self, x):
        return self.head(nn.functional.max_pool2d(torch.tanh(self.conv(x)), 2).flatten(1))


def assemble(records):
    """A payload from its chunks, checked like the Java reader: count, order, CRC."""
    n = int(records[0]["headers"]["eos-chunk"].decode().split("/")[1])
    assert [r["headers"]["eos-chunk"].decode() for r in records] == [f"{i}/{n}" for i in range(n)]
    payload = b"".join(r["value"] for r in records)
    assert format(zlib.crc32(payload), "x") == records[0]["headers"]["eos-crc"].decode()
    return payload


def test_an_mlp_is_published_in_the_mlp_contract_with_its_dataset_run_snapshots_and_telemetry():
    x, y = data()
    net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    p = MemoryProducer()
    with Publisher("unused:9092", run="mlp-1", model=net, inputs=x, labels=y, loss="mse", lr=0.1, solver="gd", producer=p) as pub:
        for step in range(3):
            pub.telemetry(step, loss=1.5 - step, lr=0.1)
        pub.snapshot(2)
    chunks = p.on("eos.datasets")
    dataset = assemble(chunks)
    digest = hashlib.sha256(dataset).hexdigest()
    assert [c["key"] for c in chunks] == [f"{digest}#0/1"] and chunks[0]["partition"] == 0
    tensors, _ = safetensors.decode(dataset)
    np.testing.assert_array_equal(tensors["x"], x.numpy())
    np.testing.assert_array_equal(tensors["y"], y.numpy())
    runs = [json.loads(r["value"]) for r in p.on("eos.runs")]
    assert [r["status"] for r in runs] == ["running", "finished"]
    assert runs[0]["dataset_hash"] == digest and runs[0]["model_kind"] == "mlp" and runs[0]["architecture"] == "4-8-3"
    assert runs[0]["learningRate"] == 0.1 and runs[0]["solver"] == "gd" and runs[0]["schema"] == 1
    snap = p.on("eos.snapshots")
    assert snap[0]["key"] == "mlp-1" and snap[0]["headers"]["eos-payload"] == b"mlp-1@2"
    tensors, meta = safetensors.decode(assemble(snap))
    assert sorted(tensors) == ["layer1.bias", "layer1.weight", "layer2.bias", "layer2.weight"]
    np.testing.assert_array_equal(tensors["layer2.weight"], net[2].weight.detach().numpy())
    assert meta["activation"] == "tanh" and meta["loss"] == "mse" and meta["dataset"] == digest
    assert meta["step"] == "2" and float(meta["time"]) == pytest.approx(0.3)
    steps = [json.loads(r["value"]) for r in p.on("eos.telemetry") if json.loads(r["value"])["type"] == "step"]
    assert [s["step"] for s in steps] == [0, 1, 2] and steps[2]["loss"] == -0.5 and steps[2]["step_size"] == 0.1
    assert steps[0]["accuracy"] is None and steps[0]["products"] == 0


def test_any_other_module_is_published_once_as_torchscript_and_its_parameters_by_name():
    x = torch.randn(6, 1, 4, 4)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    net = Cnn()
    p = MemoryProducer()
    with Publisher("unused:9092", run="cnn-1", model=net, inputs=x, labels=y, producer=p) as pub:
        pub.snapshot(0)
    run = json.loads(p.on("eos.runs")[0]["value"])
    assert run["model_kind"] == "torchscript" and run["input_shape"] == [1, 4, 4] and run["classes"] == 3
    module = [r for r in p.on("eos.datasets") if r["key"].startswith(run["module_hash"])]
    traced = torch.jit.load(__import__("io").BytesIO(assemble(module)))
    assert hashlib.sha256(assemble(module)).hexdigest() == run["module_hash"]
    torch.testing.assert_close(traced(x.double()), net.double()(x.double()))
    tensors, meta = safetensors.decode(assemble(p.on("eos.snapshots")))
    assert sorted(tensors) == ["conv.bias", "conv.weight", "head.bias", "head.weight"]
    assert meta["format"] == "torchscript" and meta["module"] == run["module_hash"] and meta["input_shape"] == "1,4,4"
    assert meta["classes"] == "3" and meta["loss"] == "cross_entropy"


def published_module(p, digest):
    """The TorchScript module the datasets topic holds under ``digest``, checked to hash to it."""
    chunks = [r for r in p.on("eos.datasets") if r["key"].split("#")[0] == digest]
    assert chunks and all(r["partition"] == 0 for r in chunks)
    payload = assemble(chunks)
    assert hashlib.sha256(payload).hexdigest() == digest
    return torch.jit.load(io.BytesIO(payload))


def assert_close_in_float32(got, want):
    """Within the tolerance the client checks a float32 trace with (eoscope.model.FLOAT32_RTOL/ATOL)."""
    scale = max(1.0, float(want.abs().max()))
    torch.testing.assert_close(got, want, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL * scale)


def test_a_torchscript_model_is_published_traced_in_float64_and_in_float32(caplog):
    x = torch.randn(6, 1, 4, 4)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    net = Cnn()
    p = MemoryProducer()
    with caplog.at_level(logging.WARNING, logger="eoscope"):
        with Publisher("unused:9092", run="cnn-2", model=net, inputs=x, labels=y, producer=p) as pub:
            pub.snapshot(0)
            pub.snapshot(1)
    assert caplog.records == []
    run = json.loads(p.on("eos.runs")[0]["value"])
    h64, h32 = run["module_hash"], run["module_hash_float32"]
    assert h64 != h32
    # the dataset and both modules, each under its own SHA-256, all sent before the run and any snapshot
    digests = {r["key"].split("#")[0] for r in p.on("eos.datasets")}
    assert digests == {run["dataset_hash"], h64, h32}
    last_payload = max(i for i, r in enumerate(p.records) if r["topic"] == "eos.datasets")
    assert last_payload < min(i for i, r in enumerate(p.records) if r["topic"] in ("eos.runs", "eos.snapshots"))
    for step in (0, 1):
        snap = [r for r in p.on("eos.snapshots") if r["headers"]["eos-payload"] == f"cnn-2@{step}".encode()]
        _, meta = safetensors.decode(assemble(snap))
        assert meta["module"] == h64 and meta["module_float32"] == h32 and meta["format"] == "torchscript"

    traced64 = published_module(p, h64)
    assert {q.dtype for q in traced64.parameters()} == {torch.float64}
    want64 = copy.deepcopy(net).double().eval()(x.double())
    got64 = traced64(x.double())
    assert got64.dtype == torch.float64
    torch.testing.assert_close(got64, want64, rtol=1e-9, atol=1e-12)

    traced32 = published_module(p, h32)
    assert {q.dtype for q in traced32.parameters()} == {torch.float32}
    got32 = traced32(x)
    assert got32.dtype == torch.float32
    assert_close_in_float32(got32, net.eval()(x))
    assert {q.dtype for q in net.parameters()} == {torch.float32}  # the user's model is left as it was
    # the fixture script's call (curvature/src/test/resources/torchscript/make_fixtures.py): float64 by default
    default = torch.jit.load(io.BytesIO(_trace(net, x)))
    assert {q.dtype for q in default.parameters()} == {torch.float64}


class Float64Offset(nn.Module):
    """A forward that makes a float64 tensor of its own: float32 inputs are promoted, so its float32 copy and that
    copy's trace both return float64 logits, equal to each other: only the output's dtype shows the float32 trace
    is no float32 computation."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)

    def forward(self, x):
        return self.a(x) + torch.tensor([0.5, -0.25, 0.125], dtype=torch.float64)


class NumberInFloat32(nn.Module):
    """A forward that in float32 only reads a tensor value as a Python number: the float32 trace bakes the number of
    the samples it was traced on as a constant, and computes something else on the inputs."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)

    def forward(self, x):
        return self.a(x) + (x.mean().item() if x.dtype == torch.float32 else 0.0)


class PerRowInFloat32(nn.Module):
    """A forward that in float32 only loops over the batch: its float32 trace cannot run another batch size."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)

    def forward(self, x):
        return torch.stack([self.a(r) for r in x]) if x.dtype == torch.float32 else self.a(x)


@pytest.mark.parametrize("model, reason", [
    (Float64Offset, "the model's trace in float32 returns float64 logits"),
    (NumberInFloat32, "the model's trace in float32 does not compute what the model computes in float32"),
    (PerRowInFloat32, "the model cannot be traced in float32 (torch.jit.trace): "),
])
def test_without_a_float32_trace_only_the_float64_module_is_published_with_a_warning(caplog, model, reason):
    x, y = data()
    net = model()
    p = MemoryProducer()
    with caplog.at_level(logging.WARNING, logger="eoscope"):
        with Publisher("unused:9092", run="r64", model=net, inputs=x, labels=y, producer=p) as pub:
            pub.snapshot(0)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].name == "eoscope"
    message = warnings[0].getMessage()
    assert reason in message and message.endswith("analyzers will analyse the model in float64"), message
    run = json.loads(p.on("eos.runs")[0]["value"])
    assert run["model_kind"] == "torchscript" and "module_hash_float32" not in run
    assert {r["key"].split("#")[0] for r in p.on("eos.datasets")} == {run["dataset_hash"], run["module_hash"]}
    _, meta = safetensors.decode(assemble(p.on("eos.snapshots")))
    assert meta["module"] == run["module_hash"] and "module_float32" not in meta
    traced64 = published_module(p, run["module_hash"])
    torch.testing.assert_close(traced64(x.double()), copy.deepcopy(net).double().eval()(x.double()),
                               rtol=1e-9, atol=1e-12)


def test_an_exception_in_the_loop_ends_the_run_as_failed_with_the_reason():
    x, y = data()
    p = MemoryProducer()
    with pytest.raises(RuntimeError):
        with Publisher("unused:9092", run="r", model=nn.Sequential(nn.Linear(4, 3)), inputs=x, labels=y, producer=p):
            raise RuntimeError("loss went NaN")
    last = json.loads(p.on("eos.runs")[-1]["value"])
    assert last["status"] == "failed" and last["failure"] == "RuntimeError: loss went NaN"


class Branchy(nn.Module):
    """A forward that branches on a tensor value: torch.jit.trace records only the branch it saw."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)
        self.b = nn.Linear(4, 3)

    def forward(self, x):
        return self.a(x) if x[0, 0] > 0 else self.b(x)


class PerRow(nn.Module):
    """A forward that loops over the batch: its trace fixes the batch size."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)

    def forward(self, x):
        return torch.stack([self.a(r) for r in x])


@pytest.mark.parametrize("kwargs, message", [
    ({"loss": "hinge"}, "loss 'hinge' is not supported (supported: cross_entropy, mse)"),
    ({"run": "a b"}, "run must be 1-200 letters"),
    ({"labels": torch.tensor([0.5] * 20)}, "labels must be class indices"),
    ({"labels": torch.full((20,), 7)}, "labels go up to 7 but the model has 3 outputs"),
    ({"inputs": torch.full((20, 4), float("nan"))}, "inputs hold a non-finite value"),
    ({"inputs": torch.randn(20, 5)}, "the model cannot run on the inputs"),
    ({"model": Branchy(), "inputs": torch.cat([torch.ones(10, 4), -torch.ones(10, 4)])},
     "the traced model does not compute what the model computes"),
    ({"model": PerRow()}, "the model cannot be traced (torch.jit.trace): "),
    ({"model": nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1), nn.Linear(3, 3)),
      "inputs": torch.randn(20, 4)}, None),  # not an MLP activation: published as TorchScript, accepted
])
def test_bad_input_is_refused_before_anything_is_sent(kwargs, message):
    x, y = data()
    args = dict(run="r", model=nn.Sequential(nn.Linear(4, 3)), inputs=x, labels=y, producer=MemoryProducer())
    args.update(kwargs)
    if message is None:
        Publisher("unused:9092", **args).close()
        return
    with pytest.raises(PublisherError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Publisher("unused:9092", **args)
    assert args["producer"].records == []


def test_a_non_finite_parameter_is_refused_at_the_snapshot_and_not_sent():
    x, y = data()
    net = nn.Sequential(nn.Linear(4, 3))
    p = MemoryProducer()
    pub = Publisher("unused:9092", run="r", model=net, inputs=x, labels=y, producer=p)
    with torch.no_grad():
        net[0].weight[1, 2] = float("inf")
    with pytest.raises(PublisherError, match=r"parameter '0.weight' holds a non-finite value \(inf at flat index 6\)"):
        pub.snapshot(1)
    assert p.on("eos.snapshots") == []
    pub.close()


def test_a_large_snapshot_travels_in_chunks_of_at_most_512_kb():
    x, y = data(d=600)
    net = nn.Sequential(nn.Linear(600, 600), nn.ReLU(), nn.Linear(600, 3))
    p = MemoryProducer()
    with Publisher("unused:9092", run="big", model=net, inputs=x, labels=y, producer=p) as pub:
        pub.snapshot(0)
    snap = p.on("eos.snapshots")
    assert len(snap) == 3 and max(len(r["value"]) for r in snap) <= 512 * 1024
    tensors, meta = safetensors.decode(assemble(snap))
    assert meta["activation"] == "relu"
    np.testing.assert_array_equal(tensors["layer1.weight"], net[0].weight.detach().numpy())


def test_heartbeats_say_the_loop_is_alive_with_its_last_step_until_close():
    x, y = data()
    p = MemoryProducer()
    pub = Publisher("unused:9092", run="r", model=nn.Sequential(nn.Linear(4, 3)), inputs=x, labels=y, producer=p,
                    heartbeat_seconds=0.05)
    pub.telemetry(7, loss=1.0)
    __import__("time").sleep(0.3)
    pub.close()
    beats = [json.loads(r["value"]) for r in p.on("eos.telemetry") if json.loads(r["value"])["type"] == "heartbeat"]
    assert len(beats) >= 2 and beats[-1]["step"] == 7 and beats[-1]["run"] == "r" and beats[-1]["at"] > 1.7e12
    n = len(p.on("eos.telemetry"))
    __import__("time").sleep(0.15)
    assert len(p.on("eos.telemetry")) == n, "no heartbeat after close"
    with pytest.raises(PublisherError, match="run r is closed"):
        pub.snapshot(8)


def statuses(p):
    return [(r["status"], r.get("failure")) for r in map(json.loads, (r["value"] for r in p.on("eos.runs")))]


def test_a_lost_record_stops_the_loop_at_the_next_call_and_the_run_ends_as_failed_never_finished():
    x, y = data()
    p = LossyProducer()
    with pytest.raises(DeliveryError) as raised:
        with Publisher("unused:9092", run="r", model=nn.Sequential(nn.Linear(4, 3)), inputs=x, labels=y, producer=p,
                       heartbeat_seconds=60, delivery_timeout_seconds=8) as pub:
            pub.telemetry(0, loss=1.0)
            pub.snapshot(0)
            p.down = True
            pub.telemetry(1, loss=0.9)
            pub.snapshot(1)  # the broker has not said anything yet
            p.down = False
            p.time_out()
            pub.telemetry(2, loss=0.8)  # the reports of step 1 have arrived: this call raises
            pub.telemetry(3, loss=0.7)
    message = ("run r: lost 2 records that Kafka did not acknowledge (telemetry of step 1, the snapshot of step 1 "
               "(1 chunk)); first error: eos.telemetry: Local: Message timed out (delivery timeout 8 s)")
    assert str(raised.value) == message and raised.value.lost == 2
    assert [json.loads(r["value"])["step"] for r in p.on("eos.telemetry")] == [0, 1], "nothing sent after the loss"
    assert statuses(p) == [("running", None), ("failed", "DeliveryError: " + message)]


def test_close_publishes_failed_when_records_were_lost_and_raises():
    x, y = data()
    p = LossyProducer()
    pub = Publisher("unused:9092", run="r", model=nn.Sequential(nn.Linear(4, 3)), inputs=x, labels=y, producer=p,
                    heartbeat_seconds=60)
    p.down = True
    pub.telemetry(0, loss=1.0)
    p.down = False
    with pytest.raises(DeliveryError, match=r"^run r: lost 1 record that Kafka did not acknowledge \(telemetry of step 0\)"):
        pub.close()
    assert [s for s, _ in statuses(p)] == ["running", "failed"]
    assert statuses(p)[-1][1].startswith("run r: lost 1 record that")


def test_a_loss_beside_another_exception_lets_that_exception_go_on_with_the_loss_as_a_note():
    x, y = data()
    p = LossyProducer()
    with pytest.raises(RuntimeError) as raised:
        with Publisher("unused:9092", run="r", model=nn.Sequential(nn.Linear(4, 3)), inputs=x, labels=y, producer=p,
                       heartbeat_seconds=60) as pub:
            p.down = True
            pub.telemetry(0, loss=1.0)
            raise RuntimeError("loss went NaN")
    assert raised.value.__notes__[0].startswith("eoscope: run r: lost 2 records that Kafka did not acknowledge "
                                                "(telemetry of step 0, the run record (failed))")


@pytest.mark.parametrize("code, status, failure", [
    (0, "finished", None), (None, "finished", None), (3, "failed", "SystemExit: 3"),
    ("bad config", "failed", "SystemExit: bad config"), (KeyboardInterrupt, "failed", "KeyboardInterrupt")])
def test_sys_exit_in_the_block_ends_the_run_by_its_status(code, status, failure):
    x, y = data()
    p = MemoryProducer()
    with pytest.raises((SystemExit, KeyboardInterrupt)):
        with Publisher("unused:9092", run="r", model=nn.Sequential(nn.Linear(4, 3)), inputs=x, labels=y, producer=p):
            if code is KeyboardInterrupt:
                raise KeyboardInterrupt  # Ctrl-C: no message, its name is the reason
            sys.exit(code)
    assert statuses(p)[-1] == (status, failure)


def test_telemetry_steps_must_increase_and_snapshots_may_share_their_step():
    x, y = data()
    p = MemoryProducer()
    with Publisher("unused:9092", run="r", model=nn.Sequential(nn.Linear(4, 3)), inputs=x, labels=y, producer=p) as pub:
        pub.snapshot(0)  # the initial parameters, before any step
        pub.telemetry(0, loss=1.0)
        pub.telemetry(1, loss=0.9)
        pub.snapshot(1)  # the same step as the telemetry just recorded
        with pytest.raises(PublisherError, match="telemetry step 1 does not come after step 1, already recorded: steps must increase"):
            pub.telemetry(1, loss=0.8)
        with pytest.raises(PublisherError, match="telemetry step 0 does not come after step 1"):
            pub.telemetry(0, loss=0.8)
        with pytest.raises(PublisherError, match="snapshot step 1 does not come after step 1, already published: snapshot steps must increase"):
            pub.snapshot(1)
        with pytest.raises(PublisherError, match="loss must be a number, got 'low'"):
            pub.telemetry(5, loss="low", lr=0.5)
        pub.telemetry(5, loss=0.5, lr=0.5)  # steps may skip; the refused call above changed nothing
    telemetry = [json.loads(r["value"]) for r in p.on("eos.telemetry")]
    assert [t["step"] for t in telemetry] == [0, 1, 5] and telemetry[-1]["time"] == 0.5
    assert [r["headers"]["eos-payload"] for r in p.on("eos.snapshots")] == [b"r@0", b"r@1"]
    assert statuses(p)[-1] == ("finished", None)


class RecordingAdmin:
    created = []

    def __init__(self, config):
        pass

    def list_topics(self, timeout):
        return type("Metadata", (), {"topics": {}})()

    def create_topics(self, topics):
        RecordingAdmin.created = topics
        return {}


@pytest.mark.parametrize("factor, sent", [(None, -1), (3, 3)])
def test_topics_are_created_with_the_brokers_default_replication_factor_unless_one_is_given(monkeypatch, factor, sent):
    import confluent_kafka.admin
    monkeypatch.setattr(confluent_kafka.admin, "AdminClient", RecordingAdmin)
    _ensure_topics("unused:9092", "eos.", 4, {}, factor)
    assert len(RecordingAdmin.created) == 7 and {t.replication_factor for t in RecordingAdmin.created} == {sent}


@pytest.mark.parametrize("kwargs, message", [
    ({"replication_factor": 0}, "replication_factor must be a whole number ≥ 1 or None (the broker's default), got 0"),
    ({"replication_factor": 1.5}, "replication_factor must be a whole number ≥ 1 or None"),
    ({"exit_timeout_seconds": float("inf")}, "heartbeat_seconds, delivery_timeout_seconds and exit_timeout_seconds must be positive"),
    ({"delivery_timeout_seconds": 0}, "heartbeat_seconds, delivery_timeout_seconds and exit_timeout_seconds must be positive"),
])
def test_bad_options_are_refused(kwargs, message):
    x, y = data()
    with pytest.raises(PublisherError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Publisher("unused:9092", run="r", model=nn.Sequential(nn.Linear(4, 3)), inputs=x, labels=y,
                  producer=MemoryProducer(), **kwargs)
