"""The optimizer's settings and state with each snapshot (``Publisher(optimizer=...)``), after real torch.optim steps,
against what the Java side reads (io.eoscope.curvature.optim.OptimizerSettings.metadata() and OptimizerState): the
metadata keys written out here by hand from those Java methods, the tensors equal to ``opt.state``. Java writes its
numbers with Double.toString ("1.0E-8") and reads them with Double.parseDouble; this client writes Python's shortest
round-trip decimal ("1e-08"), so values are compared as numbers, exactly."""
import json
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from eoscope import Publisher, PublisherError, safetensors
from test_publisher import Cnn, MemoryProducer, assemble, data

BASE = {"run", "step", "time", "dataset", "solver", "loss", "activation"}  # an MLP snapshot's own metadata


def dataset():
    x, y = data()
    return x.double(), y


def mlp(dtype=torch.float64):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).to(dtype)


# the MLP contract's tensor names and the nn.Sequential's parameters they hold
LAYERS = {"layer1.weight": lambda net: net[0].weight, "layer1.bias": lambda net: net[0].bias,
          "layer2.weight": lambda net: net[2].weight, "layer2.bias": lambda net: net[2].bias}


def take_steps(net, opt, x, y, steps, scheduler=None):
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(net(x.to(next(net.parameters()).dtype)), y).backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()


def snapshots(p):
    """(tensors, metadata) of each snapshot sent, in order."""
    by_payload = {}
    for r in p.on("eos.snapshots"):
        by_payload.setdefault(r["headers"]["eos-payload"], []).append(r)
    return [safetensors.decode(assemble(rs)) for rs in by_payload.values()]


# (torch.optim class and arguments, the metadata OptimizerSettings.metadata() writes for them, its buffers)
SUPPORTED = [
    ((torch.optim.SGD, dict(lr=0.1)), {"optimizer": "gd", "lr": 0.1}, []),
    ((torch.optim.SGD, dict(lr=0.05, momentum=0.9)), {"optimizer": "momentum", "lr": 0.05, "momentum": 0.9},
     ["momentum_buffer"]),
    ((torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True)), {"optimizer": "nesterov", "lr": 0.05, "momentum": 0.8},
     ["momentum_buffer"]),
    ((torch.optim.RMSprop, dict(lr=1e-3, alpha=0.95, eps=1e-6)),
     {"optimizer": "rmsprop", "lr": 1e-3, "beta2": 0.95, "eps": 1e-6}, ["square_avg"]),
    ((torch.optim.Adam, dict(lr=2e-3, betas=(0.8, 0.99), eps=1e-7)),
     {"optimizer": "adam", "lr": 2e-3, "beta1": 0.8, "beta2": 0.99, "eps": 1e-7}, ["exp_avg", "exp_avg_sq"]),
    ((torch.optim.AdamW, dict(lr=1e-3, weight_decay=0.05)),
     {"optimizer": "adamw", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.05},
     ["exp_avg", "exp_avg_sq"]),
]


def assert_metadata(meta, expected):
    """The optimizer's keys are exactly ``expected``'s; the kind and step as text, the numbers equal as numbers."""
    assert set(meta) - BASE - {"batch_size"} == set(expected)
    for key, want in expected.items():
        if isinstance(want, str):
            assert meta[key] == want, key
        else:
            assert float(meta[key]) == want, f"{key}: {meta[key]} != {want}"


@pytest.mark.parametrize("make, expected, buffers", SUPPORTED, ids=[e["optimizer"] for _, e, _ in SUPPORTED])
def test_after_real_steps_a_snapshot_carries_the_settings_and_exactly_the_optimizers_state(make, expected, buffers):
    x, y = dataset()
    net = mlp()
    cls, kwargs = make
    opt = cls(net.parameters(), **kwargs)
    p = MemoryProducer()
    with Publisher("unused:9092", run="r", model=net, inputs=x, labels=y, optimizer=opt, producer=p) as pub:
        take_steps(net, opt, x, y, 3)
        pub.snapshot(2)
        take_steps(net, opt, x, y, 2)
        pub.snapshot(4)
    (first, meta1), (last, meta2) = snapshots(p)
    assert_metadata(meta1, dict(expected, optimizer_step="3"))
    assert_metadata(meta2, dict(expected, optimizer_step="5"))
    state = {f"optimizer.{b}.{name}" for b in buffers for name in LAYERS}
    assert set(last) == set(LAYERS) | state
    for b in buffers:
        for name, param in LAYERS.items():
            want = opt.state[param(net)][b].numpy()
            got = last[f"optimizer.{b}.{name}"]
            assert got.dtype == np.float64 and got.shape == want.shape
            np.testing.assert_array_equal(got, want)
            assert np.abs(got).max() > 0, "a state that is zero everywhere would not tell a wrong buffer"
        assert not np.array_equal(first[f"optimizer.{b}.layer1.weight"], last[f"optimizer.{b}.layer1.weight"])
    run = json.loads(p.on("eos.runs")[0]["value"])
    # the runs record: the same settings by run.json's names, which io.eoscope.wire.RunRecord reads (learningRate,
    # weightDecay; the others as in the metadata), and only those the rule uses
    by_run_name = {"lr": "learningRate", "weight_decay": "weightDecay"}
    assert {k: v for k, v in run.items() if k in ("optimizer", "learningRate", "momentum", "beta1", "beta2", "eps",
                                                   "weightDecay")} == {by_run_name.get(k, k): v for k, v in expected.items()}
    assert "batchSize" not in run


def test_before_the_first_step_the_state_is_zeros_and_adam_says_it_has_taken_no_step():
    """PyTorch starts every buffer at zero, so zeros are its state; optimizer_step 0 says that Adam's preconditioner
    (1 − β1ᵗ) diag(√(v/(1 − β2ᵗ)) + ε) does not exist yet."""
    x, y = dataset()
    net = mlp()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    p = MemoryProducer()
    with Publisher("unused:9092", run="r", model=net, inputs=x, labels=y, optimizer=opt, producer=p) as pub:
        pub.snapshot(0)
        take_steps(net, opt, x, y, 1)
        pub.snapshot(1)
    (zero, meta0), (one, meta1) = snapshots(p)
    assert meta0["optimizer_step"] == "0" and meta1["optimizer_step"] == "1"
    for b in ("exp_avg", "exp_avg_sq"):
        for name, param in LAYERS.items():
            z = zero[f"optimizer.{b}.{name}"]
            assert z.dtype == np.float64 and z.shape == tuple(param(net).shape) and not z.any()
            np.testing.assert_array_equal(one[f"optimizer.{b}.{name}"], opt.state[param(net)][b].numpy())


def test_a_torchscript_model_in_float32_has_its_state_by_the_modules_names_in_float32():
    x = torch.randn(6, 1, 4, 4)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    net = Cnn()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    p = MemoryProducer()
    with Publisher("unused:9092", run="cnn", model=net, inputs=x, labels=y, optimizer=opt, producer=p) as pub:
        take_steps(net, opt, x, y, 2)
        pub.snapshot(1)
    (tensors, meta), = snapshots(p)
    assert meta["optimizer"] == "adam" and meta["optimizer_step"] == "2"
    for name, param in net.named_parameters():
        for b in ("exp_avg", "exp_avg_sq"):
            got = tensors[f"optimizer.{b}.{name}"]
            assert got.dtype == np.float32
            np.testing.assert_array_equal(got, opt.state[param][b].numpy())


@pytest.mark.parametrize("scheduler_first", [True, False])
def test_the_step_size_is_read_at_each_call_so_an_lr_scheduler_is_followed(scheduler_first):
    """A snapshot carries η of the next step (the one its stability is judged for); telemetry records the step just
    taken with the η it was taken with, though the scheduler has halved it since. The scheduler, made before or
    after the Publisher, still sees every optimizer.step() (PyTorch warns otherwise: an error here)."""
    x, y = dataset()
    net = mlp()
    opt = torch.optim.SGD(net.parameters(), lr=0.4, momentum=0.5)
    halving = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5) if scheduler_first else None
    p = MemoryProducer()
    with warnings.catch_warnings(), Publisher("unused:9092", run="r", model=net, inputs=x, labels=y, optimizer=opt,
                                              producer=p) as pub:
        warnings.simplefilter("error")
        halving = halving or torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        pub.telemetry(0, loss=1.0)  # before any step: the current η
        for step in range(1, 4):
            take_steps(net, opt, x, y, 1, halving)
            pub.telemetry(step, loss=1.0)
            pub.snapshot(step)
    assert [float(meta["lr"]) for _, meta in snapshots(p)] == [0.2, 0.1, 0.05]
    assert [meta["optimizer_step"] for _, meta in snapshots(p)] == ["1", "2", "3"]
    steps = [json.loads(r["value"]) for r in p.on("eos.telemetry") if json.loads(r["value"])["type"] == "step"]
    assert [s["step_size"] for s in steps] == [0.4, 0.4, 0.2, 0.1] and steps[-1]["time"] == pytest.approx(1.1)


@pytest.mark.parametrize("batch_size, published", [(5, "5"), (20, None)])
def test_a_mini_batch_size_is_published_and_the_full_batch_is_not(batch_size, published):
    x, y = dataset()
    net = mlp()
    p = MemoryProducer()
    with Publisher("unused:9092", run="r", model=net, inputs=x, labels=y, batch_size=batch_size,
                   optimizer=torch.optim.SGD(net.parameters(), lr=0.1), producer=p) as pub:
        pub.snapshot(0)
    (_, meta), = snapshots(p)
    assert meta.get("batch_size") == published
    assert json.loads(p.on("eos.runs")[0]["value"]).get("batchSize") == (batch_size if published else None)


def two_groups(net, **second):
    return torch.optim.SGD([{"params": net[0].parameters()}, {"params": net[2].parameters(), **second}], lr=0.1)


class MyAdam(torch.optim.Adam):
    pass


@pytest.mark.parametrize("make, kwargs, message", [
    (lambda net: torch.optim.Adam(net.parameters(), amsgrad=True), {},
     "optimizer: Adam's amsgrad=True is not supported"),
    (lambda net: torch.optim.AdamW(net.parameters(), amsgrad=True), {}, "optimizer: AdamW's amsgrad=True is not supported"),
    (lambda net: torch.optim.RMSprop(net.parameters(), centered=True), {},
     "optimizer: RMSprop's centered=True is not supported"),
    (lambda net: torch.optim.RMSprop(net.parameters(), momentum=0.9), {},
     "optimizer: RMSprop's momentum=0.9 is not supported (momentum 0 only)"),
    (lambda net: torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, dampening=0.1), {},
     "optimizer: SGD's dampening=0.1 is not supported"),
    (lambda net: torch.optim.SGD(net.parameters(), lr=0.1, weight_decay=1e-4), {},
     "optimizer: SGD's weight_decay=0.0001 is not supported: it adds an L2 term to the loss"),
    (lambda net: torch.optim.Adam(net.parameters(), weight_decay=1e-4), {},
     "optimizer: Adam's weight_decay=0.0001 is not supported: it adds an L2 term to the loss whose curvature is "
     "measured (use AdamW for decoupled decay)"),
    (lambda net: torch.optim.RMSprop(net.parameters(), weight_decay=1e-4), {},
     "optimizer: RMSprop's weight_decay=0.0001 is not supported"),
    (lambda net: torch.optim.SGD(net.parameters(), lr=0.1, maximize=True), {},
     "optimizer: SGD's maximize=True is not supported"),
    (lambda net: torch.optim.Adam(net.parameters(), maximize=True), {}, "optimizer: Adam's maximize=True is not supported"),
    (lambda net: two_groups(net, lr=0.01), {},
     "optimizer: parameter groups 0 and 1 differ in lr (0.1 vs 0.01) at the start: eoscope describes one setting"),
    (lambda net: two_groups(net, momentum=0.9), {}, "optimizer: parameter groups 0 and 1 differ in momentum (0 vs 0.9)"),
    (lambda net: torch.optim.Adagrad(net.parameters()), {},
     "optimizer torch.optim.adagrad.Adagrad is not one that eoscope describes (torch.optim.SGD, Adam, AdamW or RMSprop"),
    (lambda net: MyAdam(net.parameters()), {}, "optimizer test_optimizer.MyAdam is not one that eoscope describes"),
    (lambda net: torch.optim.SGD(net[0].parameters(), lr=0.1), {},
     "optimizer: it does not hold the model's parameter '2.weight' (shape (3, 8))"),
    (lambda net: torch.optim.SGD(list(net.parameters()) + [nn.Parameter(torch.zeros(5, 2))], lr=0.1), {},
     "optimizer: it holds a parameter of shape (5, 2) that is not one of the model's"),
    (lambda net: torch.optim.SGD(net.parameters(), lr=0.1, momentum=1.0), {},
     "optimizer: SGD's momentum must be in (0, 1), got 1.0 at the start"),
    (lambda net: torch.optim.Adam(net.parameters(), eps=0.0), {}, "optimizer: eps must be positive, got 0.0 at the start"),
    (lambda net: torch.optim.RMSprop(net.parameters(), alpha=1.0), {}, "optimizer: alpha must be in [0, 1), got 1.0"),
    (lambda net: torch.optim.SGD(net.parameters(), lr=0.0), {},
     "optimizer: lr is 0.0 at the start; the stability threshold needs a positive step size"),
    (lambda net: torch.optim.SGD(net.parameters(), lr=0.1), {"lr": 0.1},
     "lr and optimizer were both given: with an optimizer, the step size is read from its parameter groups"),
    (lambda net: None, {"batch_size": 0}, "batch_size must be a whole number from 1 to N = 20 (the training set's size), got 0"),
    (lambda net: None, {"batch_size": 21}, "batch_size must be a whole number from 1 to N = 20"),
    (lambda net: None, {"batch_size": 4.0}, "batch_size must be a whole number from 1 to N = 20"),
    (lambda net: None, {"batch_size": True}, "batch_size must be a whole number from 1 to N = 20"),
])
def test_what_eoscope_cannot_describe_is_refused_before_anything_is_sent(make, kwargs, message):
    x, y = dataset()
    net = mlp()
    p = MemoryProducer()
    with pytest.raises(PublisherError) as raised:
        Publisher("unused:9092", run="r", model=net, inputs=x, labels=y, optimizer=make(net), producer=p, **kwargs)
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)
    assert p.records == []


def test_two_parameter_groups_with_the_same_settings_are_one_setting():
    x, y = dataset()
    net = mlp()
    p = MemoryProducer()
    with Publisher("unused:9092", run="r", model=net, inputs=x, labels=y, optimizer=two_groups(net), producer=p) as pub:
        pub.snapshot(0)
    (_, meta), = snapshots(p)
    assert meta["optimizer"] == "gd" and float(meta["lr"]) == 0.1


def refused_at_snapshot(opt, net, change, message, steps=1):
    x, y = dataset()
    p = MemoryProducer()
    with Publisher("unused:9092", run="r", model=net, inputs=x, labels=y, optimizer=opt, producer=p) as pub:
        take_steps(net, opt, x, y, steps)
        change()
        with pytest.raises(PublisherError) as raised:
            pub.snapshot(steps)
        assert str(raised.value).startswith(message) and "\n" not in str(raised.value)
    assert p.on("eos.snapshots") == [] and json.loads(p.on("eos.runs")[-1]["value"])["status"] == "finished"


def test_an_lr_scheduler_that_reaches_zero_is_refused_at_the_snapshot_naming_the_step():
    net = mlp()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2, eta_min=0.0)
    refused_at_snapshot(opt, net, lambda: (cosine.step(), cosine.step()),
                        "optimizer: lr is 0.0 at snapshot step 1; the stability threshold needs a positive step size "
                        "(an LR scheduler that anneals to 0 reaches it at its end)")


@pytest.mark.parametrize("lr, message", [
    (float("nan"), "optimizer: lr must be a finite number, got nan at snapshot step 1"),
    ("0.1", "optimizer: lr must be a finite number, got '0.1' at snapshot step 1"),
    (torch.tensor([0.1, 0.2]), "optimizer: lr must be a finite number, got tensor([0.1000, 0.2000]) at snapshot step 1"),
])
def test_an_lr_that_is_not_one_finite_number_is_refused_at_the_snapshot(lr, message):
    net = mlp()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    refused_at_snapshot(opt, net, lambda: opt.param_groups[0].update(lr=lr), message)


def test_a_per_group_lr_scheduler_that_makes_the_groups_differ_is_refused_at_the_snapshot():
    net = mlp()
    opt = two_groups(net)
    per_group = torch.optim.lr_scheduler.LambdaLR(opt, [lambda k: 1.0, lambda k: 0.5 ** k])
    refused_at_snapshot(opt, net, per_group.step,
                        "optimizer: parameter groups 0 and 1 differ in lr (0.1 vs 0.05) at snapshot step 1")


def test_adam_with_a_parameter_that_missed_a_step_is_refused_it_has_two_step_counts():
    x, y = dataset()
    net = mlp()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def skip_the_first_layer_once():
        opt.zero_grad()
        nn.functional.cross_entropy(net(x.double()), y).backward()
        net[0].weight.grad = None  # torch.optim steps only the parameters with a gradient
        opt.step()

    refused_at_snapshot(opt, net, skip_the_first_layer_once,
                        "optimizer: Adam has taken 1 steps for parameter 'layer1.weight' and 2 for 'layer1.bias'")


def test_a_non_finite_state_is_refused_naming_the_tensor():
    net = mlp()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    refused_at_snapshot(opt, net, lambda: opt.state[net[2].bias]["exp_avg_sq"].__setitem__(1, float("inf")),
                        "optimizer state 'optimizer.exp_avg_sq.layer2.bias' holds a non-finite value (inf at flat "
                        "index 1): the snapshot is not sent")
