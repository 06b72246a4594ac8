"""eoscope's services as real processes for the tests (``./eos broker``, ``./eos analyzer``), and reading topics back."""
import json
import os
import socket
import subprocess
import time

from confluent_kafka import Consumer, TopicPartition

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EOS = os.path.join(ROOT, "eos")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, seconds, what, process=None, log=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with status {process.returncode}:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {seconds} s" + (f":\n{log.read_text()[-3000:]}" if log else ""))


class Broker:
    """``eos broker`` as a process of its own, on its own ports and data directory, that a test can kill
    (SIGKILL, as a crash) and start again on the same log."""

    def __init__(self, directory):
        self.directory = directory
        self.port, self.controller_port = free_port(), free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.process = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = self.directory / f"broker-{self.starts}.log"
        with open(log, "w") as out:
            self.process = subprocess.Popen([EOS, "broker", "--data-dir", str(self.directory / "data"), "--port", str(self.port),
                                             "--controller-port", str(self.controller_port)],
                                            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        wait_for(lambda: "ready on" in log.read_text(), 180, "the broker's start", self.process, log)
        return self

    def kill(self):
        self.process.kill()
        self.process.wait(30)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.kill()


def read_all(bootstrap, topic, key, seconds=60, decode=lambda m: json.loads(m.value())):
    """``decode`` of every record of ``topic`` under ``key`` (by default its JSON value), in order, up to the end of
    the topic."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"test-{topic}-{time.time()}",
                         "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics(topic, timeout=seconds).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=seconds)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        found, done = [], {p for p, end in ends.items() if end == 0}
        deadline = time.time() + seconds
        while len(done) < len(ends):
            assert time.time() < deadline, f"{topic} not read to its end within {seconds} s"
            m = consumer.poll(1.0)
            if m is None or m.error():
                continue
            if m.key() is not None and m.key().decode() == key:
                found.append(decode(m))
            if m.offset() + 1 >= ends[m.partition()]:
                done.add(m.partition())
        return found
    finally:
        consumer.close()
