"""What the Publisher does when records cannot be delivered, against a real broker (``eos broker``, a process of
its own) that the tests kill mid-run: the training loop is stopped by a DeliveryError naming what was lost, and
the run is never published as finished with a hole. And a program that never calls close(): its records are
delivered at interpreter exit, or what was lost is said. Needs the Java build (``./eos`` builds it on first use)."""
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest
import torch
from torch import nn

from eoscope import DeliveryError, Publisher
from processes import Broker, read_all, wait_for

CLIENT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


@pytest.fixture(scope="module")
def one_broker(tmp_path_factory):
    b = Broker(tmp_path_factory.mktemp("broker"))
    yield b
    b.stop()


@pytest.fixture
def broker(one_broker):
    """The module's broker, running (a test before may have killed it)."""
    if one_broker.process is None or one_broker.process.poll() is not None:
        one_broker.start()
    return one_broker


def data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(32, 4, generator=g), torch.randint(0, 3, (32,), generator=g)


def telemetry_steps(broker, run):
    return [t["step"] for t in read_all(broker.bootstrap, "eos.telemetry", run) if t["type"] == "step"]


def train_until_the_loss_is_seen(pub, first_step, seconds):
    """Telemetry of one step every 50 ms until the Publisher raises; returns (the error, the last step accepted)."""
    step = first_step
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            pub.telemetry(step, loss=1.0 / (step + 1), lr=0.1)
        except DeliveryError as e:
            return e, step - 1
        step += 1
        time.sleep(0.05)
    raise AssertionError(f"the Publisher did not raise within {seconds} s of the broker's death (last step {step - 1})")


def test_a_broker_killed_mid_run_stops_the_loop_and_the_run_ends_as_failed_never_finished(broker):
    x, y = data()
    net = nn.Sequential(nn.Linear(4, 3))
    # librdkafka backs off reconnecting up to 10 s by default: after the broker's return the final status must get
    # through within close()'s bound (twice the delivery timeout), so the producer reconnects within half a second.
    # No heartbeat falls between the kill and step 10 (with one every 0.5 s, one sometimes did, and the loss then
    # named that heartbeat first, correctly, while the test asks for the step)
    pub = Publisher(broker.bootstrap, run="killed-mid-run", model=net, inputs=x, labels=y, lr=0.1,
                    delivery_timeout_seconds=8, heartbeat_seconds=300, kafka_config={"reconnect.backoff.max.ms": 500})
    with pytest.raises(DeliveryError) as raised:
        with pub:
            for step in range(10):
                pub.telemetry(step, loss=1.0, lr=0.1)
            pub.snapshot(9)
            wait_for(lambda: telemetry_steps(broker, "killed-mid-run") == list(range(10)), 30, "steps 0-9 on the topic")
            broker.kill()
            error, last_accepted = train_until_the_loss_is_seen(pub, 10, seconds=30)
            # the first step sent to the dead broker is named
            assert re.search(r"^run killed-mid-run: lost \d+ records that Kafka did not acknowledge \(telemetry of "
                             r"steps? 10\b", str(error)), str(error)
            broker.start()  # back, so that the final status can be delivered
            with pytest.raises(DeliveryError):  # every later call raises too: the loop cannot go on past the hole
                pub.snapshot(last_accepted + 1)
            raise error
    # the with block raised the loss again, with its final count
    assert raised.value.lost >= error.lost
    statuses = read_all(broker.bootstrap, "eos.runs", "killed-mid-run")
    assert [s["status"] for s in statuses] == ["running", "failed"], statuses
    assert statuses[-1]["failure"].startswith("DeliveryError: run killed-mid-run: lost "), statuses[-1]
    steps = telemetry_steps(broker, "killed-mid-run")
    assert steps[:10] == list(range(10)) and 10 not in steps  # step 10 is the hole the failure names


def test_a_broker_gone_for_good_makes_close_raise_and_finished_is_never_published(broker):
    x, y = data()
    pub = Publisher(broker.bootstrap, run="broker-gone", model=nn.Sequential(nn.Linear(4, 3)), inputs=x, labels=y,
                    lr=0.1, delivery_timeout_seconds=3, heartbeat_seconds=60)
    pub.telemetry(0, loss=1.0)
    wait_for(lambda: telemetry_steps(broker, "broker-gone") == [0], 30, "step 0 on the topic")
    broker.kill()
    pub.telemetry(1, loss=0.5)  # into the producer's queue; the broker never acknowledges it
    started = time.monotonic()
    with pytest.raises(DeliveryError, match=r"run broker-gone: lost 2 records that Kafka did not acknowledge "
                                            r"\(telemetry of step 1, the run record \(failed\)\)"):
        pub.close()
    assert time.monotonic() - started < 2 * 3 + 2, "close() waits at most twice the delivery timeout"
    broker.start()
    assert [s["status"] for s in read_all(broker.bootstrap, "eos.runs", "broker-gone")] == ["running"]


UNCLOSED = textwrap.dedent("""
    import sys, torch
    from torch import nn
    from eoscope import Publisher
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(32, 4, generator=g), torch.randint(0, 3, (32,), generator=g)
    net = nn.Sequential(nn.Linear(4, 3))
    pub = Publisher(sys.argv[1], run=sys.argv[2], model=net, inputs=x, labels=y, lr=0.1, delivery_timeout_seconds=3,
                    heartbeat_seconds=60, exit_timeout_seconds=float(sys.argv[3]))
    print("ready", flush=True)
    sys.stdin.readline()  # the test may kill the broker here
    for step in range(200):
        pub.telemetry(step, loss=1.0 / (step + 1))
        if step % 50 == 0:
            pub.snapshot(step)
    # no close(): the interpreter exits with the records still in the producer's queue
""")


def unclosed_client(broker, run, exit_timeout, before_training=lambda: None):
    p = subprocess.Popen([sys.executable, "-c", UNCLOSED, broker.bootstrap, run, str(exit_timeout)], cwd=CLIENT,
                         env=dict(os.environ, PYTHONPATH=CLIENT), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "ready\n", p.stderr.read()
    before_training()
    started = time.monotonic()
    out, err = p.communicate("go\n", timeout=120)
    return p.returncode, err, time.monotonic() - started


def test_a_program_that_never_closes_has_its_records_delivered_at_exit(broker):
    rc, err, _ = unclosed_client(broker, "unclosed", exit_timeout=30)
    assert rc == 0, err
    assert "run unclosed was not closed: closing it at interpreter exit" in err
    assert telemetry_steps(broker, "unclosed") == list(range(200))
    payloads = read_all(broker.bootstrap, "eos.snapshots", "unclosed", decode=lambda m: dict(m.headers())["eos-payload"])
    assert payloads == [b"unclosed@0", b"unclosed@50", b"unclosed@100", b"unclosed@150"]
    assert [s["status"] for s in read_all(broker.bootstrap, "eos.runs", "unclosed")] == ["running", "finished"]


def test_a_program_that_never_closes_says_what_was_lost_when_the_broker_is_gone_at_exit(broker):
    rc, err, seconds = unclosed_client(broker, "unclosed-lost", exit_timeout=5, before_training=broker.kill)
    assert "run unclosed-lost failed: run unclosed-lost: lost 205 records that Kafka did not acknowledge " \
           "(telemetry of steps 0-199, the snapshots of steps 0, 50, 100, 150 (4 chunks), the run record (failed))" in err, err
    assert seconds < 5 + 5, f"the exit took {seconds:.1f} s, beyond exit_timeout_seconds"
    broker.start()
    assert [s["status"] for s in read_all(broker.bootstrap, "eos.runs", "unclosed-lost")] == ["running"]
