"""Publishes a PyTorch training run to eoscope: the run, its dataset, parameter snapshots and telemetry."""
import atexit
import hashlib
import logging
import re
import sys
import threading
import time as _time

import numpy as np
import torch

from . import safetensors, wire
from .delivery import Deliveries
from .model import LOSSES, PublisherError, describe, parameters
from .optim import WatchedOptimizer

log = logging.getLogger("eoscope")
_NAME = re.compile(r"(?!\.{1,2}$)[A-Za-z0-9._-]{1,200}")  # as the Java producers: never . or ..


class Publisher:
    """Streams one training run to eoscope's topics, so that analyzers, the gateway, dashboards, alerts and
    replay treat it like a run of eoscope's own trainer.

    ``inputs`` [N, ...] and ``labels`` [N] (class indices 0..C-1) are the training set whose curvature is
    analysed; ``loss`` is ``cross_entropy`` or ``mse`` as eoscope defines them (docs/science.md#network-and-loss: mse is the sum of
    squared errors to the one-hot label, no 1/2, averaged over samples). An ``nn.Sequential`` of ``nn.Linear``
    layers and one kind of tanh, ReLU, ELU or GELU is published as an MLP (every layerwise quantity); any
    other module as TorchScript (``torch.jit.trace`` of a float64, eval-mode copy, named ``module``, and of a
    float32 one, named ``module_float32``, which the analyzers use by default; the spectra and each layer's
    Gauss-Newton top eigenvalue). A float32 trace that cannot be made or does not match the model is left out,
    with a warning: the analyzers then analyse the model in float64. Everything is checked before anything is
    sent: bad input raises PublisherError. Use as a context manager, or call close(): an exception ends the
    run as failed. A record that Kafka does not acknowledge within ``delivery_timeout_seconds`` makes the next
    call raise DeliveryError, and the run ends as failed, never finished with a hole. A run not closed by the
    program is closed at interpreter exit, waiting at most ``exit_timeout_seconds``.

    ``optimizer`` (a ``torch.optim`` SGD, RMSprop, Adam or AdamW over exactly the model's parameters) sends its
    settings and state with every snapshot, so that the run is judged against its own optimizer's edge
    (docs/science.md#other-optimizers); its step size is then read from its parameter groups at each call (an LR
    scheduler is followed), and ``lr`` is not given. ``batch_size`` B < N says the loop takes mini-batch steps of
    B samples: the analyzers judge it by batch sharpness.
    """

    def __init__(self, bootstrap_servers, run, model, inputs, labels, loss="cross_entropy", lr=None, solver="pytorch",
                 topic_prefix="eos.", partitions=4, heartbeat_seconds=5.0, delivery_timeout_seconds=120.0,
                 exit_timeout_seconds=30.0, replication_factor=None, kafka_config=None, optimizer=None, batch_size=None,
                 producer=None):
        if not isinstance(run, str) or not _NAME.fullmatch(run):
            raise PublisherError(f"run must be 1-200 letters, digits, '.', '_' or '-', got {run!r}")
        if loss not in LOSSES:
            raise PublisherError(f"loss {loss!r} is not supported (supported: {', '.join(LOSSES)})")
        if lr is not None and not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
            raise PublisherError(f"lr must be a positive number or None, got {lr!r}")
        if not all(_positive(v) for v in (heartbeat_seconds, delivery_timeout_seconds, exit_timeout_seconds)):
            raise PublisherError("heartbeat_seconds, delivery_timeout_seconds and exit_timeout_seconds must be positive "
                                 f"numbers, got {heartbeat_seconds!r}, {delivery_timeout_seconds!r}, {exit_timeout_seconds!r}")
        if replication_factor is not None and (isinstance(replication_factor, bool) or not isinstance(replication_factor, int)
                                               or replication_factor < 1):
            raise PublisherError(f"replication_factor must be a whole number ≥ 1 or None (the broker's default), "
                                 f"got {replication_factor!r}")
        if optimizer is not None and lr is not None:
            raise PublisherError("lr and optimizer were both given: with an optimizer, the step size is read from its "
                                 "parameter groups at each call, so leave lr out")
        x, y = _dataset(inputs, labels)
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                                       or not 1 <= batch_size <= len(y)):
            raise PublisherError(f"batch_size must be a whole number from 1 to N = {len(y)} (the training set's size), "
                                 f"got {batch_size!r}")
        self.batch_size = int(batch_size) if batch_size is not None and batch_size < len(y) else None  # N: full batch
        self.description = describe(model, x)
        if int(y.max()) >= self.description.classes:
            raise PublisherError(f"labels go up to {int(y.max())} but the model has {self.description.classes} outputs")
        self._optimizer = None if optimizer is None else WatchedOptimizer(optimizer, model, self.description.names)
        self.run, self.model, self.loss, self.lr, self.solver = run, model, loss, lr, solver
        self.time = 0.0
        self.step = -1  # the last telemetry step
        self._snapshot_step = -1
        self._deliveries = Deliveries()
        self._lock = threading.Lock()
        self._closed = False
        self._timeout = delivery_timeout_seconds
        self._exit_timeout = exit_timeout_seconds
        self._topics = {name: topic_prefix + name for name in ("runs", "datasets", "snapshots", "telemetry")}
        first = parameters(model, self.description)  # refuses non-finite parameters before anything is sent
        data = _dataset_bytes(x, y)
        self.dataset_hash = hashlib.sha256(data).hexdigest()
        self._producer = producer or _producer(bootstrap_servers, delivery_timeout_seconds, kafka_config or {})
        if producer is None:
            _ensure_topics(bootstrap_servers, topic_prefix, partitions, kafka_config or {}, replication_factor)
        self._config = self._run_config(len(y))
        for key, value, headers in wire.chunks(data, self.dataset_hash, self.dataset_hash, compacted=True):
            self._send("datasets", ("dataset", None), key, value, headers, partition=0)
        for module in (self.description.module, self.description.module_float32):
            if module is not None:
                h = hashlib.sha256(module).hexdigest()
                for key, value, headers in wire.chunks(module, h, h, compacted=True):
                    self._send("datasets", ("dataset", None), key, value, headers, partition=0)
        if self.description.kind == "torchscript" and self.description.module_float32 is None:
            log.warning("eoscope: run %s publishes no float32 TorchScript module (%s): analyzers will analyse the "
                        "model in float64", run, self.description.float32_failure)
        self._publish_run("running")
        self._wait(self._timeout)  # the dataset and modules are acknowledged before any snapshot names them
        self._check_delivery()
        del first
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, args=(heartbeat_seconds,), name="eoscope-heartbeat", daemon=True)
        self._heartbeat.start()
        atexit.register(self._close_at_exit)
        log.info("eoscope: publishing run %s (%s, %s, N = %d) to %s", run, self.description.kind,
                 self.description.architecture(), len(y), bootstrap_servers)

    # -- the three calls of a training loop --------------------------------------------------------------

    def telemetry(self, step, loss, lr=None, accuracy=None, time=None, sharpness=None):
        """Records step ``step`` (the one just taken): its training loss, its step size (which also advances
        the continuous time t by lr unless ``time`` is given) and optionally accuracy and a sharpness estimate.
        Steps increase: each is recorded once. Raises DeliveryError once an earlier record was lost."""
        self._check_open()
        step = _step(step)
        if step <= self.step:
            raise PublisherError(f"telemetry step {step} does not come after step {self.step}, already recorded: "
                                 "steps must increase")
        eta = _number(lr if lr is not None else self.lr if self._optimizer is None else self._optimizer.last_step_size(),
                      "lr")
        loss, accuracy, sharpness = _number(loss, "loss"), _number(accuracy, "accuracy"), _number(sharpness, "sharpness")
        t = _number(time, "time") if time is not None else self.time + (eta or 0.0)
        self.time, self.step = t, step  # only once the step is known good: a refused call changes nothing
        record = wire.step_record(self.run, step, t, loss, accuracy, eta, sharpness)
        self._send("telemetry", ("telemetry", step), self.run, wire.json_bytes(record))

    def snapshot(self, step, time=None):
        """Publishes the model's current parameters as the snapshot of step ``step`` (at continuous time
        ``time``, by default the sum of the step sizes so far); raises PublisherError on a non-finite value. Snapshot
        steps increase; a snapshot may share its step with a telemetry record (both describe that step). Raises
        DeliveryError once an earlier record was lost."""
        self._check_open()
        step = _step(step)
        if step <= self._snapshot_step:
            raise PublisherError(f"snapshot step {step} does not come after step {self._snapshot_step}, already "
                                 "published: snapshot steps must increase")
        tensors = parameters(self.model, self.description)
        meta = {"run": self.run, "step": str(step), "time": repr(float(self.time if time is None else time)),
                "dataset": self.dataset_hash, "solver": self.solver, "loss": self.loss}
        if self.lr is not None:
            meta["lr"] = repr(float(self.lr))
        if self._optimizer is not None:
            settings, state = self._optimizer.describe(tensors, f"at snapshot step {step}")
            meta.update(settings)
            tensors.update(state)
        if self.batch_size is not None:
            meta["batch_size"] = str(self.batch_size)
        d = self.description
        if d.kind == "mlp":
            meta["activation"] = d.activation
        else:
            meta.update({"format": "torchscript", "module": d.module_hash, "classes": str(d.classes),
                         "input_shape": ",".join(str(s) for s in d.input_shape)})
            if d.module_float32 is not None:
                meta["module_float32"] = d.module_hash_float32
        payload = safetensors.encode(tensors, meta)
        self._snapshot_step = step
        for key, value, headers in wire.chunks(payload, f"{self.run}@{step}", self.run, compacted=False):
            self._send("snapshots", ("snapshot", step), key, value, headers)
        self._producer.poll(0)

    def close(self, failure=None):
        """Ends the run: ``finished``, or ``failed`` with ``failure`` as the reason, or with the records lost: it
        first waits until every record sent so far is acknowledged, so that a run with a hole is never published
        as finished. Waits at most twice ``delivery_timeout_seconds``; raises DeliveryError if any record (the
        final runs record included) could not be delivered."""
        self._end(failure, 2 * self._timeout)

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        """Closes the run: finished, unless the block raised (failed, with the exception as the reason). A
        ``SystemExit`` with status 0 or None is a normal end. Records lost raise DeliveryError, except when the
        block raised something else: then that exception goes on, with the loss as a note."""
        failure = None
        if exc is not None and not (isinstance(exc, SystemExit) and exc.code in (None, 0)):
            failure = _reason(exc)
        if failure is None or isinstance(exc, PublisherError):
            self.close(failure)  # a DeliveryError raised from the block is raised again with the final count
            return False
        try:
            self.close(failure)
        except PublisherError as lost:
            exc.add_note(f"eoscope: {lost}")
            log.error("eoscope: %s", lost)
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
            if d.module_float32 is not None:
                c["module_hash_float32"] = d.module_hash_float32
        if self.lr is not None:
            c["learningRate"] = float(self.lr)
        if self._optimizer is not None:  # its settings at the start, as run.json names them (the gateway's threshold)
            c.update(wire.run_fields(self._optimizer.settings("at the start")))
        if self.batch_size is not None:
            c["batchSize"] = self.batch_size
        return c

    def _end(self, failure, seconds):
        """Stops the heartbeat, waits for the records sent so far, publishes the final runs record (failed when
        records were lost) and waits for it, all within ``seconds``; raises DeliveryError if anything was lost."""
        if self._closed:
            return
        self._stop.set()
        self._heartbeat.join()
        if self._optimizer is not None:
            self._optimizer.close()
        with self._lock:
            self._closed = True
        atexit.unregister(self._close_at_exit)
        deadline = _time.monotonic() + seconds
        self._wait(seconds)
        lost = self._deliveries.failure(self.run, self._timeout)
        if lost is not None and failure is None:
            failure = str(lost)
        self._publish_run("failed" if failure else "finished", failure)
        self._wait(max(deadline - _time.monotonic(), 0.0))
        lost = self._deliveries.failure(self.run, self._timeout)
        if lost is not None:
            log.error("eoscope: run %s failed: %s", self.run, lost)
            raise lost
        log.info("eoscope: run %s %s", self.run, f"failed: {failure}" if failure else "finished")

    def _close_at_exit(self):
        """A run the program did not close, closed as the interpreter exits: failed with the uncaught exception
        that ends it, if any, else finished; what could not be delivered within exit_timeout_seconds is logged."""
        uncaught = getattr(sys, "last_value", None)
        log.warning("eoscope: run %s was not closed: closing it at interpreter exit (waiting at most %g s)",
                    self.run, self._exit_timeout)
        try:
            self._end(None if uncaught is None else _reason(uncaught), self._exit_timeout)
        except PublisherError:
            pass  # _end logged what was lost

    def _publish_run(self, status, failure=None):
        record = dict(self._config, schema=wire.SCHEMA, status=status, updated_at=int(_time.time() * 1000))
        if failure:
            record["failure"] = str(failure)[:2000]
        self._send("runs", ("run", status), self.run, wire.json_bytes(record))

    def _beat(self, seconds):
        while not self._stop.wait(seconds):
            with self._lock:
                if self._closed:
                    return
                self._send("telemetry", ("heartbeat", None), self.run,
                           wire.json_bytes(wire.heartbeat_record(self.run, self.step, _time.time() * 1000)))
            self._producer.poll(0)

    def _send(self, topic, what, key, value, headers=None, partition=None):
        """Hands one record to the producer, tracked as ``what`` until Kafka acknowledges it."""
        serial, delivered = self._deliveries.track(what)
        kwargs = {"key": key.encode(), "value": value, "headers": headers or [], "on_delivery": delivered}
        if partition is not None:
            kwargs["partition"] = partition
        while True:
            try:
                self._producer.produce(self._topics[topic], **kwargs)
                return
            except BufferError:  # the local queue is full: serve callbacks until there is room
                self._producer.poll(0.1)
            except Exception as e:  # the producer refused it for good (librdkafka's KafkaException)
                self._deliveries.lose(serial, f"{self._topics[topic]}: {e}")
                return

    def _wait(self, seconds):
        """Waits at most ``seconds`` for every record sent so far; those still unacknowledged then are lost (and
        taken back from the producer, so that none is delivered after it was reported lost)."""
        if self._producer.flush(seconds):
            self._deliveries.give_up(f"not acknowledged within {seconds:g} s")
            self._producer.purge()
            self._producer.poll(0)  # serves the purged records' reports

    def _check_delivery(self):
        """Raises DeliveryError once a record has been lost: training on would publish a run with a hole."""
        self._producer.poll(0)  # serves the delivery reports that have arrived
        lost = self._deliveries.failure(self.run, self._timeout)
        if lost is not None:
            raise lost

    def _check_open(self):
        if self._closed:
            raise PublisherError(f"run {self.run} is closed")
        self._check_delivery()


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


def _reason(e):
    """An exception as a run's failure: its type, and its message if it has one (KeyboardInterrupt has none)."""
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def _positive(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) and v > 0


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


def _ensure_topics(bootstrap, prefix, partitions, extra, replication_factor=None):
    """Creates eoscope's topics that do not exist yet, with the Java services' configurations, replicated
    ``replication_factor`` times, by default (None) as the broker's default.replication.factor says (-1 in
    Kafka's CreateTopics request, brokers ≥ 2.4)."""
    from confluent_kafka import KafkaError
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient(dict({"bootstrap.servers": bootstrap}, **extra))
    factor = -1 if replication_factor is None else replication_factor
    wanted = [NewTopic(name, num_partitions=p, replication_factor=factor, config=config)
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
