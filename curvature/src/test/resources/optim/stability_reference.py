"""Float64 references for PreconditionedSharpnessTest, computed by PyTorch itself.

Usage:  python3 stability_reference.py OUT_DIR
For an MLP (Adam, AdamW and RMSprop) and the TorchScript CNN fixture (Adam), trains a few full-batch steps with
torch.optim and writes to OUT_DIR:
  NAME.safetensors         the snapshot after the last step: parameters, the optimizer's state tensors
                           optimizer.<buffer>.<parameter> and its settings in the metadata, as eoscope reads them;
  NAME-update.safetensors  delta.<parameter> (the last step's change of θ) and direction.<parameter> (Adam's m, RMSprop's
                           g), so that the test can check that PyTorch's step was θ ← θ − η P⁻¹ direction;
  mlp-data.safetensors     the MLP's dataset (the CNN's is the fixture's);
and prints one JSON object: for each NAME the top eigenvalue by magnitude of P^-½ 𝓗 P^-½, with 𝓗 the dense Hessian of
the mean loss (torch.autograd.functional.hessian) and P built from the state, by numpy's eigvalsh.
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn
from torch.nn.utils import stateless

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../torchscript"))
sys.path.insert(0, os.path.join(HERE, "../../../../../clients/python"))
from eoscope import safetensors  # noqa: E402
from make_fixtures import SmallCnn, per_sample_loss  # noqa: E402

BUFFERS = {"adam": ["exp_avg", "exp_avg_sq"], "adamw": ["exp_avg", "exp_avg_sq"], "rmsprop": ["square_avg"]}


def preconditioner(kind, state, settings, step):
    """P's diagonal, as docs/science.md#other-optimizers defines it."""
    if kind == "rmsprop":
        return np.sqrt(state["square_avg"]) + settings["eps"]
    b1, b2 = settings["beta1"], settings["beta2"]
    return (1 - b1 ** step) * (np.sqrt(state["exp_avg_sq"] / (1 - b2 ** step)) + settings["eps"])


def run(name, model, x, y, loss, kind, settings, steps, out, extra_meta, param_names=None):
    model = model.double()
    names = [n for n, _ in model.named_parameters()]
    file_names = param_names or names
    shapes = [p.shape for _, p in model.named_parameters()]
    sizes = [p.numel() for p in model.parameters()]
    if kind == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=settings["lr"], alpha=settings["beta2"], eps=settings["eps"])
    elif kind == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=settings["lr"], betas=(settings["beta1"], settings["beta2"]),
                               eps=settings["eps"])
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=settings["lr"], betas=(settings["beta1"], settings["beta2"]),
                                eps=settings["eps"], weight_decay=settings["weight_decay"])
    before = None
    grads = None
    for _ in range(steps):
        before = [p.detach().clone() for p in model.parameters()]
        opt.zero_grad()
        per_sample_loss(model(x), y, loss).mean().backward()
        grads = [p.grad.detach().clone() for p in model.parameters()]
        opt.step()
    params = list(model.parameters())
    tensors = {}
    update = {}
    flat_state = {b: [] for b in BUFFERS[kind]}
    for n, fn, p, b, g in zip(names, file_names, params, before, grads):
        tensors[fn] = p.detach().numpy().copy()
        st = opt.state[p]
        for buf in BUFFERS[kind]:
            tensors[f"optimizer.{buf}.{fn}"] = st[buf].numpy().copy()
            flat_state[buf].append(st[buf].numpy().ravel())
        delta = p.detach() - b
        if kind == "adamw":  # the decoupled decay is applied before Adam's step: take it out
            delta = delta + settings["lr"] * settings["weight_decay"] * b
        update[f"delta.{fn}"] = delta.numpy()
        update[f"direction.{fn}"] = (st["exp_avg"] if kind != "rmsprop" else g).numpy()
    meta = dict(extra_meta)
    meta.update({"optimizer": kind, "lr": repr(settings["lr"]), "beta2": repr(settings["beta2"]), "eps": repr(settings["eps"]),
                 "optimizer_step": str(steps)})
    if kind != "rmsprop":
        meta["beta1"] = repr(settings["beta1"])
    if kind == "adamw":
        meta["weight_decay"] = repr(settings["weight_decay"])
    with open(os.path.join(out, name + ".safetensors"), "wb") as f:
        f.write(safetensors.encode(tensors, meta))
    with open(os.path.join(out, name + "-update.safetensors"), "wb") as f:
        f.write(safetensors.encode(update))

    theta = torch.cat([p.detach().flatten() for p in params])

    def unflat(t):
        return dict(zip(names, [a.reshape(s) for a, s in zip(torch.split(t, sizes), shapes)]))

    def total(t):
        return per_sample_loss(stateless.functional_call(model, unflat(t), (x,)), y, loss).mean()

    hess = torch.autograd.functional.hessian(total, theta).numpy()
    state = {b: np.concatenate(v) for b, v in flat_state.items()}
    d = 1 / np.sqrt(preconditioner(kind, state, settings, steps))
    w = np.linalg.eigvalsh(d[:, None] * hess * d[None, :])
    h = np.linalg.eigvalsh(hess)
    return {"top": float(w.max()), "hessian_top": float(h[np.argmax(np.abs(h))]), "parameters": len(theta)}


def mlp(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))


def main(out):
    refs = {}
    torch.manual_seed(3)
    x = torch.randn(24, 4, dtype=torch.float64)
    y = torch.randint(0, 3, (24,))
    with open(os.path.join(out, "mlp-data.safetensors"), "wb") as f:
        f.write(safetensors.encode({"x": x.numpy(), "y": y.numpy().astype(np.int64)}))
    mlp_names = ["layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias", "layer3.weight", "layer3.bias"]
    mlp_meta = {"activation": "tanh", "loss": "cross_entropy", "run": "optim", "step": "9", "time": "0.09", "dataset": "mlp"}
    refs["mlp-adam"] = run("mlp-adam", mlp(5), x, y, "cross_entropy", "adam",
                           {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, 9, out, mlp_meta, mlp_names)
    refs["mlp-adamw"] = run("mlp-adamw", mlp(5), x, y, "cross_entropy", "adamw",
                            {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.05}, 6, out, mlp_meta,
                            mlp_names)
    refs["mlp-rmsprop"] = run("mlp-rmsprop", mlp(5), x, y, "cross_entropy", "rmsprop",
                              {"lr": 0.003, "beta2": 0.9, "eps": 1e-8}, 7, out, mlp_meta, mlp_names)
    fixture, cnn_meta = safetensors.decode(open(os.path.join(HERE, "../torchscript/cnn.safetensors"), "rb").read())
    data, _ = safetensors.decode(open(os.path.join(HERE, "../torchscript/cnn-data.safetensors"), "rb").read())
    cnn = SmallCnn().double()
    cnn.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in fixture.items()})
    cx = torch.from_numpy(data["x"].copy()).reshape(-1, 3, 8, 8)
    cy = torch.from_numpy(data["y"].copy())
    refs["cnn-adam"] = run("cnn-adam", cnn, cx, cy, "cross_entropy", "adam",
                           {"lr": 0.02, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, 5, out, cnn_meta)
    print(json.dumps(refs))


if __name__ == "__main__":
    main(sys.argv[1])
