"""Publishes a PyTorch training run to eoscope: the run, its dataset, parameter snapshots and telemetry."""
import hashlib
import logging
import re
import threading
import time as _time

import numpy as np
import torch

from . import safetensors, wire
from .model import LOSSES, PublisherError, describe, parameters

log = logging.getLogger("eoscope")
_NAME = re.compile(r"(?!\.{1,2}$)[A-Za-z0-9._-]{1,200}")  # as the Java producers: never . or ..


class Publisher:
    """Streams one training run to eoscope's topics, so that analyzers, the gateway, dashboards, alerts and
    replay treat it like a run of eoscope's own trainer.

    ``inputs`` [N, ...] and ``labels`` [N] (class indices 0..C-1) are the training set whose curvature is
    analysed; ``loss`` is ``cross_entropy`` or ``mse`` as eoscope defines them (docs/science.md#network-and-loss: mse is the sum of
    squared errors to the one-hot label, no 1/2, averaged over samples). An ``nn.Sequential`` of ``nn.Linear``
    layers and one kind of tanh, ReLU, ELU or GELU is published as an MLP (every layerwise quantity); any
    other module as TorchScript (``torch.jit.trace`` of a float64, eval-mode copy; the spectra and each
    layer's Gauss-Newton top eigenvalue). Everything is checked before anything is sent: bad input raises
    PublisherError. Use as a context manager, or call close(): an exception ends the run as failed.
    """

    def __init__(self, bootstrap_servers, run, model, inputs, labels, loss="cross_entropy", lr=None, solver="pytorch",
                 topic_prefix="eos.", partitions=4, heartbeat_seconds=5.0, delivery_timeout_seconds=120.0,
                 kafka_config=None, producer=None):
        if not isinstance(run, str) or not _NAME.fullmatch(run):
            raise PublisherError(f"run must be 1-200 letters, digits, '.', '_' or '-', got {run!r}")
        if loss not in LOSSES:
            raise PublisherError(f"loss {loss!r} is not supported (supported: {', '.join(LOSSES)})")
        if lr is not None and not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
            raise PublisherError(f"lr must be a positive number or None, got {lr!r}")
        if heartbeat_seconds <= 0 or delivery_timeout_seconds <= 0:
            raise PublisherError("heartbeat_seconds and delivery_timeout_seconds must be positive")
        x, y = _dataset(inputs, labels)
        self.description = describe(model, x)
        if int(y.max()) >= self.description.classes:
            raise PublisherError(f"labels go up to {int(y.max())} but the model has {self.description.classes} outputs")
        self.run, self.model, self.loss, self.lr, self.solver = run, model, loss, lr, solver
        self.time = 0.0
        self.step = -1
        self._failures = []
        self._lock = threading.Lock()
        self._closed = False
        self._timeout = delivery_timeout_seconds
        self._topics = {name: topic_prefix + name for name in ("runs", "datasets", "snapshots", "telemetry")}
        first = parameters(model, self.description)  # refuses non-finite parameters before anything is sent
        data = _dataset_bytes(x, y)
        self.dataset_hash = hashlib.sha256(data).hexdigest()
        self._producer = producer or _producer(bootstrap_servers, delivery_timeout_seconds, kafka_config or {})
        if producer is None:
            _ensure_topics(bootstrap_servers, topic_prefix, partitions, kafka_config or {})
        self._config = self._run_config(len(y))
        for key, value, headers in wire.chunks(data, self.dataset_hash, self.dataset_hash, compacted=True):
            self._send("datasets", key, value, headers, partition=0)
        if self.description.module is not None:
            h = self.description.module_hash
            for key, value, headers in wire.chunks(self.description.module, h, h, compacted=True):
                self._send("datasets", key, value, headers, partition=0)
        self._publish_run("running")
        self._flush()  # the dataset and module are acknowledged before any snapshot names them
        del first
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, args=(heartbeat_seconds,), name="eoscope-heartbeat", daemon=True)
        self._heartbeat.start()
        log.info("eoscope: publishing run %s (%s, %s, N = %d) to %s", run, self.description.kind,
                 self.description.architecture(), len(y), bootstrap_servers)

    # -- the three calls of a training loop --------------------------------------------------------------

    def telemetry(self, step, loss, lr=None, accuracy=None, time=None, sharpness=None):
        """Records step ``step`` (the one just taken): its training loss, its step size (which also advances
        the continuous time t by lr unless ``time`` is given) and optionally accuracy and a sharpness estimate."""
        self._check_open()
        step = _step(step)
        eta = lr if lr is not None else self.lr
        if time is not None:
            self.time = float(time)
        elif eta is not None:
            self.time += float(eta)
        self.step = step
        record = wire.step_record(self.run, step, self.time, _number(loss, "loss"), _number(accuracy, "accuracy"),
                                  _number(eta, "lr"), None if sharpness is None else _number(sharpness, "sharpness"))
        self._send("telemetry", self.run, wire.json_bytes(record))

    def snapshot(self, step, time=None):
        """Publishes the model's current parameters as the snapshot of step ``step`` (at continuous time
        ``time``, by default the sum of the step sizes so far); raises PublisherError on a non-finite value."""
        self._check_open()
        step = _step(step)
        tensors = parameters(self.model, self.description)
        meta = {"run": self.run, "step": str(step), "time": repr(float(self.time if time is None else time)),
                "dataset": self.dataset_hash, "solver": self.solver, "loss": self.loss}
        if self.lr is not None:
            meta["lr"] = repr(float(self.lr))
        d = self.description
        if d.kind == "mlp":
            meta["activation"] = d.activation
        else:
            meta.update({"format": "torchscript", "module": d.module_hash, "classes": str(d.classes),
                         "input_shape": ",".join(str(s) for s in d.input_shape)})
        payload = safetensors.encode(tensors, meta)
        for key, value, headers in wire.chunks(payload, f"{self.run}@{step}", self.run, compacted=False):
            self._send("snapshots", key, value, headers)
        self._producer.poll(0)

    def close(self, failure=None):
        """Ends the run: ``finished``, or ``failed`` with ``failure`` as the reason; waits until every record
        is acknowledged and raises PublisherError if any could not be delivered."""
        if self._closed:
            return
        self._stop.set()
        self._heartbeat.join()
        with self._lock:
            self._closed = True
        self._publish_run("failed" if failure else "finished", failure)
        self._flush()
        log.info("eoscope: run %s %s", self.run, f"failed: {failure}" if failure else "finished")

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        self.close(failure=None if exc is None else f"{kind.__name__}: {exc}")
        return False

    # -- internals -------------------------------------------------------------------------------------

    def _run_config(self, n):
        d = self.description
        c = {"run": self.run, "solver": self.solver, "dataset": "pytorch", "architecture": d.architecture(),
             "loss": self.loss, "n": n, "classes": d.classes, "dataset_hash": self.dataset_hash, "client": "eoscope-python",
             "model_kind": d.kind, "input_shape": list(d.input_shape)}
        if d.kind == "mlp":
            c["activation"] = d.activation
        else:
            c["module_hash"] = d.module_hash
        if self.lr is not None:
            c["learningRate"] = float(self.lr)
        return c

    def _publish_run(self, status, failure=None):
        record = dict(self._config, schema=wire.SCHEMA, status=status, updated_at=int(_time.time() * 1000))
        if failure:
            record["failure"] = str(failure)[:2000]
        self._send("runs", self.run, wire.json_bytes(record))

    def _beat(self, seconds):
        while not self._stop.wait(seconds):
            with self._lock:
                if self._closed:
                    return
                self._send("telemetry", self.run, wire.json_bytes(wire.heartbeat_record(self.run, self.step, _time.time() * 1000)))
            self._producer.poll(0)

    def _send(self, topic, key, value, headers=None, partition=None):
        kwargs = {"key": key.encode(), "value": value, "headers": headers or [], "on_delivery": self._delivered}
        if partition is not None:
            kwargs["partition"] = partition
        while True:
            try:
                self._producer.produce(self._topics[topic], **kwargs)
                return
            except BufferError:  # the local queue is full: serve callbacks until there is room
                self._producer.poll(0.1)

    def _delivered(self, err, msg):
        if err is not None:
            self._failures.append(f"{msg.topic()}: {err}")

    def _flush(self):
        left = self._producer.flush(self._timeout)
        if left or self._failures:
            raise PublisherError(f"{len(self._failures) + left} records could not be delivered within "
                                 f"{self._timeout:g} s" + (f"; first: {self._failures[0]}" if self._failures else ""))

    def _check_open(self):
        if self._closed:
            raise PublisherError(f"run {self.run} is closed")


def _dataset(inputs, labels):
    if not isinstance(inputs, torch.Tensor) or not isinstance(labels, torch.Tensor):
        raise PublisherError("inputs and labels must be torch tensors")
    if inputs.dim() < 2 or len(inputs) == 0:
        raise PublisherError(f"inputs must have shape [N, ...] with N ≥ 1, got {tuple(inputs.shape)}")
    if not inputs.is_floating_point():
        raise PublisherError(f"inputs must be floating point, got {inputs.dtype}")
    if labels.shape != (len(inputs),) or labels.is_floating_point() or labels.dtype == torch.bool:
        raise PublisherError(f"labels must be class indices of shape [{len(inputs)}], got {labels.dtype} {tuple(labels.shape)}")
    if not torch.isfinite(inputs).all():
        raise PublisherError("inputs hold a non-finite value")
    if int(labels.min()) < 0:
        raise PublisherError(f"labels must be ≥ 0, got {int(labels.min())}")
    return inputs.detach().cpu(), labels.detach().cpu().to(torch.int64)


def _dataset_bytes(x, y):
    flat = x.reshape(len(x), -1)
    flat = flat.to(torch.float64 if flat.dtype == torch.float64 else torch.float32)
    return safetensors.encode({"x": flat.numpy(), "y": y.numpy()})


def _step(step):
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
        raise PublisherError(f"step must be an integer ≥ 0, got {step!r}")
    return int(step)


def _number(v, name):
    if v is None:
        return None
    if isinstance(v, torch.Tensor):
        v = v.item()
    try:
        return float(v)
    except (TypeError, ValueError):
        raise PublisherError(f"{name} must be a number, got {v!r}") from None


def _producer(bootstrap, timeout, extra):
    from confluent_kafka import Producer

    config = {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "compression.type": "lz4",
              "linger.ms": 5, "message.timeout.ms": int(timeout * 1000), "client.id": "eoscope-python"}
    config.update(extra)
    return Producer(config)


def _ensure_topics(bootstrap, prefix, partitions, extra):
    """Creates eoscope's topics that do not exist yet, with the Java services' configurations."""
    from confluent_kafka import KafkaError
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient(dict({"bootstrap.servers": bootstrap}, **extra))
    wanted = [NewTopic(name, num_partitions=p, replication_factor=1, config=config)
              for name, p, config in wire.topic_definitions(prefix, partitions)]
    try:
        existing = set(admin.list_topics(timeout=30).topics)
    except Exception as e:  # librdkafka reports an unreachable broker as a KafkaException
        raise PublisherError(f"cannot reach Kafka at {bootstrap}: {e}") from e
    missing = [t for t in wanted if t.topic not in existing]
    for topic, future in (admin.create_topics(missing) if missing else {}).items():
        try:
            future.result(30)
        except Exception as e:
            if getattr(e.args[0], "code", lambda: None)() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise PublisherError(f"cannot create topic {topic}: {e}") from e
