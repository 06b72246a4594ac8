"""End to end: PyTorch training loops publish to a real Kafka broker (``eos broker``, a separate process),
a real analyzer process (``eos analyzer``) analyses their snapshots, and its numbers are checked against
PyTorch's own float64 double-backward Lanczos, and, for an MLP, against ``eos analyze`` on the same
parameters. Needs the Java build (``./eos`` builds it on first use)."""
import copy
import json
import subprocess
import time
import urllib.request

import numpy as np
import pytest
import torch
from confluent_kafka import Consumer
from torch import nn

from eoscope import Publisher, safetensors
from lanczos import Curvature, top_eigenvalue
from processes import EOS, ROOT, free_port, wait_for

SPECTRA = {"hessian": "hessian", "gauss_newton": "gauss_newton", "residual": "residual"}


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """A broker and an analyzer, each a process of its own; both killed at the end."""
    tmp = tmp_path_factory.mktemp("e2e")
    port, metrics_port = free_port(), free_port()
    logs = []
    procs = []

    def start(*args):
        log = open(tmp / f"{args[0]}.log", "w")
        logs.append(log)
        procs.append(subprocess.Popen([EOS, *args], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT))
        return procs[-1]

    broker = start("broker", "--data-dir", str(tmp / "broker"), "--port", str(port))
    wait_for(lambda: "ready on" in (tmp / "broker.log").read_text(), 180, "the broker's start", broker, tmp / "broker.log")
    bootstrap = f"127.0.0.1:{port}"
    # topics with the Java services' configuration, as a Publisher creates them, before the analyzer subscribes
    from eoscope.publisher import _ensure_topics
    _ensure_topics(bootstrap, "eos.", 4, {})
    # the default precision (auto): the float64 models of these tests are analysed in float64, a float32 one in float32
    analyzer = start("analyzer", "--bootstrap-servers", bootstrap, "--metrics-port", str(metrics_port), "--tol", "1e-10")

    def ready():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/ready", timeout=2).status == 200
        except OSError:
            return False

    wait_for(ready, 120, "the analyzer's readiness", analyzer, tmp / "analyzer.log")
    yield {"bootstrap": bootstrap, "tmp": tmp}
    for p in procs:
        p.kill()
        p.wait()
    for log in logs:
        log.close()


def metrics(bootstrap, run, steps, seconds=240, analysis_id="default"):
    """The analyzer's metrics of ``run`` at ``steps`` (of one analysis id), read from the metrics topic."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"test-{run}-{time.time()}", "auto.offset.reset": "earliest"})
    consumer.subscribe(["eos.metrics"])
    found = {}
    deadline = time.time() + seconds
    try:
        while time.time() < deadline and set(found) != set(steps):
            m = consumer.poll(1.0)
            if m is None or m.error():
                continue
            o = json.loads(m.value())
            if o.get("run") == run and o.get("analysis_id") == analysis_id:
                found[o["step"]] = o
    finally:
        consumer.close()
    assert set(found) == set(steps), f"metrics of {run}: got steps {sorted(found)} of {steps} within {seconds} s"
    return found


def assert_spectra_agree_with_pytorch(metric, model, x, y, loss, rel=1e-6, loss_rel=1e-10):
    reference = Curvature(model, x, y, loss)
    assert metric["loss"] == pytest.approx(reference.loss_value(), rel=loss_rel)
    for key, product in (("hessian", reference.hessian), ("gauss_newton", reference.gauss_newton), ("residual", reference.residual)):
        want = top_eigenvalue(product, reference.size)
        got = metric[key]["eigenvalues"][0]
        print(f"{metric['run']}@{metric['step']} {key}: analyzer {got!r}, PyTorch {want!r}, relative {abs(got - want) / abs(want):.1e}")
        assert got == pytest.approx(want, rel=rel), f"{key}: analyzer {got}, PyTorch float64 Lanczos {want}"


def gd(model, x, y, loss, lr, steps, pub, every):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for step in range(steps):
        opt.zero_grad()
        z = model(x)
        if loss == "cross_entropy":
            value = nn.functional.cross_entropy(z, y)
        else:
            value = ((z - nn.functional.one_hot(y, z.shape[1]).to(z.dtype)) ** 2).sum(1).mean()
        value.backward()
        opt.step()
        pub.telemetry(step, loss=value.item(), lr=lr)
        if step % every == 0 or step == steps - 1:
            pub.snapshot(step)


class SmallCnn(nn.Module):
    """Two convolutions with pooling and a linear head, for 3x32x32 images."""

    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 5, stride=2, padding=2)
        self.conv2 = nn.Conv2d(4, 8, 3, padding=1)
        self.head = nn.Linear(8 * 4 * 4, classes)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.avg_pool2d(torch.tanh(self.conv2(x)), 2)
        return self.head(x.flatten(1))


def test_a_cnn_trained_in_pytorch_on_synthetic_images_is_analysed_like_pytorch_computes_it(services):
    out = services["tmp"] / "synthetic.safetensors"
    subprocess.run([EOS, "dataset", "--dataset", "synthetic", "--n", "64", "--classes", "4", "--out", str(out)], check=True, cwd=ROOT)
    tensors, _ = safetensors.decode(out.read_bytes())
    x = torch.from_numpy(np.array(tensors["x"], dtype=np.float64)).reshape(-1, 3, 32, 32)
    y = torch.from_numpy(np.array(tensors["y"], dtype=np.int64))
    torch.manual_seed(0)
    model = SmallCnn(4).double()
    with Publisher(services["bootstrap"], run="pytorch-cnn", model=model, inputs=x, labels=y, loss="cross_entropy",
                   lr=0.05, solver="gd") as pub:
        assert pub.description.kind == "torchscript"
        gd(model, x, y, "cross_entropy", 0.05, 21, pub, every=10)
    found = metrics(services["bootstrap"], "pytorch-cnn", [0, 10, 20])
    last = found[20]
    assert last["model"] == "torchscript" and "layers" not in last
    assert [g["group"] for g in last["groups"]] == ["conv1", "conv2", "head"]
    assert all(g["converged"] and g["gauss_newton_top"] > 0 for g in last["groups"])
    assert_spectra_agree_with_pytorch(last, model, x, y, "cross_entropy")
    assert found[10]["hessian"]["warm_started"], "later snapshots of a run start from the previous eigenvectors"
    # replay: the stored TorchScript run re-analysed from Kafka alone, with other options
    replay = subprocess.run([EOS, "replay", "--bootstrap-servers", services["bootstrap"], "--run", "pytorch-cnn",
                             "--analysis-id", "again", "--top-k", "2", "--tol", "1e-10"], cwd=ROOT, capture_output=True, text=True)
    assert replay.returncode == 0, replay.stderr
    again = metrics(services["bootstrap"], "pytorch-cnn", [0, 10, 20], analysis_id="again")
    assert len(again[20]["hessian"]["eigenvalues"]) == 2
    assert again[20]["hessian"]["eigenvalues"][0] == pytest.approx(last["hessian"]["eigenvalues"][0], rel=1e-8)


def test_a_float32_cnn_is_analysed_in_float32_with_its_float32_trace(services):
    """A model trained in float32, as most are: the analyzer, on its default precision (auto), analyses it with the
    module the client traced in float32, and its tops agree with PyTorch's float64 Lanczos on the same float32
    parameters and inputs to float32's precision (1e-4). (The float64 models of the other tests are analysed in
    float64 by the same analyzer.)"""
    out = services["tmp"] / "synthetic-f32.safetensors"
    subprocess.run([EOS, "dataset", "--dataset", "synthetic", "--n", "64", "--classes", "4", "--out", str(out)], check=True,
                   cwd=ROOT)
    tensors, _ = safetensors.decode(out.read_bytes())
    x = torch.from_numpy(np.array(tensors["x"], dtype=np.float32)).reshape(-1, 3, 32, 32)
    y = torch.from_numpy(np.array(tensors["y"], dtype=np.int64))
    torch.manual_seed(1)
    model = SmallCnn(4)  # float32
    with Publisher(services["bootstrap"], run="pytorch-cnn-float32", model=model, inputs=x, labels=y,
                   loss="cross_entropy", lr=0.05, solver="gd") as pub:
        assert pub.description.module_float32 is not None
        gd(model, x, y, "cross_entropy", 0.05, 11, pub, every=10)
    last = metrics(services["bootstrap"], "pytorch-cnn-float32", [0, 10])[10]
    assert last["dtype"] == "float32"
    # the reference: the same float32 parameters and inputs, widened exactly to float64
    assert_spectra_agree_with_pytorch(last, copy.deepcopy(model).double(), x.double(), y, "cross_entropy", rel=1e-4,
                                      loss_rel=1e-5)


def test_an_mlp_trained_in_pytorch_gets_every_layerwise_quantity_of_the_java_path(services):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(48, 6, dtype=torch.float64, generator=g)
    y = torch.randint(0, 3, (48,), generator=g)
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(6, 16), nn.ELU(), nn.Linear(16, 16), nn.ELU(), nn.Linear(16, 3)).double()
    with Publisher(services["bootstrap"], run="pytorch-mlp", model=model, inputs=x, labels=y, loss="mse", lr=0.1,
                   solver="gd") as pub:
        assert pub.description.kind == "mlp"
        gd(model, x, y, "mse", 0.1, 11, pub, every=10)
    last = metrics(services["bootstrap"], "pytorch-mlp", [0, 10])[10]
    assert_spectra_agree_with_pytorch(last, model, x, y, "mse")
    # the same parameters through the Java path, eos analyze, as files
    tmp = services["tmp"]
    params = {f"layer{l + 1}.{k}": getattr(model[2 * l], k).detach().numpy() for l in range(3) for k in ("weight", "bias")}
    (tmp / "mlp.safetensors").write_bytes(safetensors.encode(params, {"activation": "elu", "loss": "mse"}))
    (tmp / "mlp-data.safetensors").write_bytes(safetensors.encode({"x": x.numpy(), "y": y.numpy()}))
    java = json.loads(subprocess.run([EOS, "analyze", "--model", str(tmp / "mlp.safetensors"), "--data",
                                      str(tmp / "mlp-data.safetensors"), "--tol", "1e-10", "--quiet"],
                                     check=True, cwd=ROOT, capture_output=True, text=True).stdout)
    assert len(last["layers"]) == 3
    for mine, theirs in zip(last["layers"], java["layers"]):
        for field, value in theirs.items():
            assert mine[field] == pytest.approx(value, rel=1e-8), f"layer {theirs['layer']} {field}"
    assert last["K_max_sq_mean"] == pytest.approx(java["K_max_sq_mean"], rel=1e-8)


def test_an_adam_loop_is_judged_against_adams_own_edge(services):
    """A PyTorch Adam loop publishes its optimizer; the analyzer's stability is λmax(P^-½𝓗P^-½) with P built from
    torch's own state as the definition says, against PyTorch's float64 Lanczos, and the threshold 38/η-style formula."""
    g = torch.Generator().manual_seed(5)
    x = torch.randn(40, 5, dtype=torch.float64, generator=g)
    y = torch.randint(0, 3, (40,), generator=g)
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(5, 12), nn.Tanh(), nn.Linear(12, 3)).double()
    lr, beta1, beta2, eps = 0.01, 0.9, 0.99, 1e-8
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(beta1, beta2), eps=eps)
    with Publisher(services["bootstrap"], run="pytorch-adam", model=model, inputs=x, labels=y, loss="mse",
                   optimizer=opt) as pub:
        for step in range(21):
            opt.zero_grad()
            value = ((model(x) - nn.functional.one_hot(y, 3).double()) ** 2).sum(1).mean()
            value.backward()
            opt.step()
            pub.telemetry(step, loss=value.item(), lr=lr)
            if step in (0, 20):
                pub.snapshot(step)
    stability = metrics(services["bootstrap"], "pytorch-adam", [0, 20])[20]["stability"]
    assert (stability["optimizer"], stability["quantity"]) == ("adam", "preconditioned_sharpness"), stability
    t = 21  # optimizer steps taken when step 20 was published
    d = torch.cat([((1 - beta1 ** t) * ((opt.state[p]["exp_avg_sq"] / (1 - beta2 ** t)).sqrt() + eps)).reshape(-1)
                   for p in model.parameters()]).rsqrt()
    reference = Curvature(model, x, y, "mse")
    want = top_eigenvalue(lambda v: d * reference.hessian(d * v), reference.size)
    print(f"pytorch-adam@20: analyzer λmax(P⁻¹𝓗) {stability['value']!r}, PyTorch {want!r}")
    assert stability["value"] == pytest.approx(want, rel=1e-6)
    assert stability["threshold"] == pytest.approx((2 + 2 * beta1) / ((1 - beta1) * lr), rel=1e-12)
    assert stability["formula"] == "(2+2β1)/((1−β1)η)"
    assert stability["ratio"] == pytest.approx(stability["value"] / stability["threshold"], rel=1e-12)
