"""The client's account of its records: which ones Kafka has not acknowledged yet, and which ones it never will."""
import threading

from .model import DeliveryError


class Deliveries:
    """Every record handed to the producer, named by what it is (``("telemetry", step)``, ``("snapshot", step)``,
    ``("heartbeat", None)``, ``("dataset", None)``, ``("run", status)``), until Kafka acknowledges it. A record
    whose delivery fails, or that is still unacknowledged when the client stops waiting, is lost. Thread-safe:
    delivery reports arrive on whichever thread serves the producer."""

    def __init__(self):
        self._lock = threading.Lock()
        self._serial = 0
        self._pending = {}
        self._lost = []
        self._first_error = None

    def track(self, what):
        """Registers a record about to be produced; returns (its id, the producer's delivery callback for it)."""
        with self._lock:
            self._serial += 1
            serial = self._serial
            self._pending[serial] = what

        def delivered(err, msg):
            if err is not None:
                self.lose(serial, f"{msg.topic()}: {err}")
            else:
                with self._lock:
                    self._pending.pop(serial, None)

        return serial, delivered

    def lose(self, serial, error):
        """The record ``serial`` will never be delivered (its report said so, or producing it failed)."""
        with self._lock:
            what = self._pending.pop(serial, None)
            if what is not None:
                self._lost.append(what)
                self._first_error = self._first_error or error

    def give_up(self, error):
        """Every record still unacknowledged is lost (the client waited long enough)."""
        with self._lock:
            for serial in list(self._pending):
                self._lost.append(self._pending.pop(serial))
            if self._lost:
                self._first_error = self._first_error or error

    @property
    def lost(self):
        return len(self._lost)

    def failure(self, run, timeout):
        """A DeliveryError saying what of ``run`` was lost, or None when nothing was."""
        with self._lock:
            lost, first = list(self._lost), self._first_error
        if not lost:
            return None
        return DeliveryError(f"run {run}: lost {len(lost)} record{'s' if len(lost) > 1 else ''} that Kafka did not acknowledge "
                             f"({_describe(lost)}); "
                             f"first error: {first} (delivery timeout {timeout:g} s)", len(lost))


def _describe(lost):
    telemetry = sorted({step for kind, step in lost if kind == "telemetry"})
    snapshots = sorted({step for kind, step in lost if kind == "snapshot"})
    parts = []
    if telemetry:
        parts.append(f"telemetry of step{'s' if len(telemetry) > 1 else ''} {_ranges(telemetry)}")
    if snapshots:
        chunks = sum(1 for kind, _ in lost if kind == "snapshot")
        parts.append(f"the snapshot{'s' if len(snapshots) > 1 else ''} of step{'s' if len(snapshots) > 1 else ''} "
                     f"{_ranges(snapshots)} ({chunks} chunk{'s' if chunks > 1 else ''})")
    for kind, what in (("heartbeat", "heartbeat"), ("dataset", "dataset or module chunk")):
        n = sum(1 for k, _ in lost if k == kind)
        if n:
            parts.append(f"{n} {what}{'s' if n > 1 else ''}")
    parts += [f"the run record ({status})" for kind, status in lost if kind == "run"]
    return ", ".join(parts)


def _ranges(numbers):
    """Sorted whole numbers as runs: [1, 2, 3, 7] → '1-3, 7'."""
    out = []
    start = prev = numbers[0]
    for n in numbers[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = n
    return ", ".join(out)
