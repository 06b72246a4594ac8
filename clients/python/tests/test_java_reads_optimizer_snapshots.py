"""The Java side accepts what the client publishes of an optimizer: snapshots written after real torch.optim steps
are read by eoscope's own Java classes (OptimizerSnapshotCheck.java, run as a single source file on the launcher's
class path: Safetensors.read, OptimizerSettings.fromMetadata, OptimizerState's names), and the threshold Java
computes from them is the one the formulas of docs/science.md#other-optimizers give for the torch settings.
Needs the Java build (``./eos`` builds it on first use)."""
import math
import os
import subprocess

import pytest
import torch

from eoscope import Publisher, safetensors
from processes import EOS, ROOT
from test_optimizer import SUPPORTED, dataset, mlp, snapshots, take_steps
from test_publisher import Cnn, MemoryProducer

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "OptimizerSnapshotCheck.java")

# the threshold of each SUPPORTED setting, by hand from its formula
THRESHOLDS = {"gd": 2 / 0.1, "momentum": (2 + 2 * 0.9) / 0.05, "nesterov": (2 + 2 * 0.8) / (0.05 * (1 + 2 * 0.8)),
              "rmsprop": 2 / 1e-3, "adam": (2 + 2 * 0.8) / ((1 - 0.8) * 2e-3), "adamw": (2 + 2 * 0.9) / ((1 - 0.9) * 1e-3)}


@pytest.fixture(scope="module")
def java():
    """Runs OptimizerSnapshotCheck on snapshot payloads (name -> bytes); its output line for each, by name."""
    subprocess.run([EOS, "--help"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL, timeout=1800)  # builds if stale
    lib = os.path.join(ROOT, "launcher", "target")
    classpath = os.path.join(lib, "eoscope-launcher.jar") + os.pathsep + os.path.join(lib, "lib", "*")

    def run(payloads, tmp):
        files = []
        for name, payload in payloads.items():
            files.append(tmp / f"{name}.safetensors")
            files[-1].write_bytes(payload)
        out = subprocess.run(["java", "-cp", classpath, CHECK, *map(str, files)], capture_output=True, text=True,
                             timeout=180)
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert len(lines) == len(payloads), out.stdout + out.stderr
        return dict(zip(payloads, lines))

    return run


def published(make, steps=3, batch_size=None, model=None, inputs=None):
    """The snapshot payload after ``steps`` real steps of the optimizer ``make`` = (class, arguments)."""
    x, y = inputs or dataset()
    net = model or mlp()
    cls, kwargs = make
    opt = cls(net.parameters(), **kwargs)
    p = MemoryProducer()
    with Publisher("unused:9092", run="r", model=net, inputs=x, labels=y, optimizer=opt, batch_size=batch_size,
                   producer=p) as pub:
        take_steps(net, opt, x, y, steps)
        pub.snapshot(steps)
    (tensors, meta), = snapshots(p)
    return tensors, meta


def test_java_reads_every_optimizers_snapshot_with_the_threshold_of_its_formula(java, tmp_path):
    payloads = {}
    for make, expected, _ in SUPPORTED:
        payloads[expected["optimizer"]] = safetensors.encode(*published(make))
    payloads["sgd-mini-batch"] = safetensors.encode(*published((torch.optim.SGD, dict(lr=0.1)), batch_size=5))
    payloads["adam-before-a-step"] = safetensors.encode(*published((torch.optim.Adam, dict(lr=2e-3, betas=(0.8, 0.99),
                                                                                         eps=1e-7)), steps=0))
    cnn_data = (torch.randn(6, 1, 4, 4), torch.tensor([0, 1, 2, 0, 1, 2]))
    payloads["cnn-adamw-float32"] = safetensors.encode(*published((torch.optim.AdamW, dict(lr=1e-3, weight_decay=0.05)),
                                                                  model=Cnn(), inputs=cnn_data))
    lines = java(payloads, tmp_path)
    for name, line in lines.items():
        assert line.startswith("ok "), f"{name}: {line}"
    for make, expected, _ in SUPPORTED:
        kind = expected["optimizer"]
        _, got_kind, lr, threshold, quantity, step = lines[kind].split()
        want_quantity = "PRECONDITIONED_SHARPNESS" if kind in ("rmsprop", "adam", "adamw") else "SHARPNESS"
        assert (got_kind, float(lr), quantity, step) == (kind, expected["lr"], want_quantity, "3"), lines[kind]
        assert math.isclose(float(threshold), THRESHOLDS[kind], rel_tol=1e-12), lines[kind]
    assert lines["sgd-mini-batch"].split()[4] == "BATCH_SHARPNESS"
    assert lines["adam-before-a-step"].split()[5] == "0"
    assert lines["cnn-adamw-float32"].split()[1:3] == ["adamw", "0.001"]


def test_the_java_check_refuses_what_the_java_side_would_refuse(java, tmp_path):
    """The check can fail: a β2 out of range in the metadata, and a state tensor missing."""
    tensors, meta = published((torch.optim.Adam, dict(lr=2e-3)))
    bad_beta = safetensors.encode(tensors, dict(meta, beta2="1.0"))
    missing = safetensors.encode({k: v for k, v in tensors.items() if k != "optimizer.exp_avg_sq.layer2.bias"}, meta)
    lines = java({"bad-beta": bad_beta, "missing": missing}, tmp_path)
    assert lines["bad-beta"] == "refused metadata: field 'beta2' must be in [0, 1), got 1.0"
    assert lines["missing"] == "refused no tensor 'optimizer.exp_avg_sq.layer2.bias'"
