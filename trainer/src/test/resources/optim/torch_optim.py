"""PyTorch's side of TorchOptimParityTest: trains each case of a directory with torch.optim, in float64.

Usage: torch_optim.py DIR. Every subdirectory of DIR written by the Java test holds model.safetensors (the initial
MLP: layer{l}.weight, layer{l}.bias), data.safetensors (x [N, d], y [N]) and case.json (the optimizer, its
hyper-parameters, the number of steps and, for mini-batch cases, the batches the Java trainer drew, one list of
sample indices per step). This script writes torch.safetensors beside them: theta [steps + 1, P] (the flat
parameters before the first step and after each, in the order layer1.weight, layer1.bias, layer2.weight, ...) and
state.<buffer> (the optimizer's buffers after the last step, flat in the same order) with step (steps taken).
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F64": "<f8", "F32": "<f4", "I64": "<i8", "I32": "<i4"}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        start, end = t["data_offsets"]
        tensors[name] = np.frombuffer(raw[8 + n + start:8 + n + end], dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
    return tensors, metadata


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        data = np.ascontiguousarray(a, dtype="<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(np.shape(a)), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def optimizer(case, params):
    kind, lr = case["optimizer"], case["lr"]
    if kind == "gd":
        return torch.optim.SGD(params, lr=lr)
    if kind in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=case["momentum"], nesterov=kind == "nesterov")
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=case["beta2"], eps=case["eps"])
    betas = (case["beta1"], case["beta2"])
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=case["eps"])
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=betas, eps=case["eps"], weight_decay=case["weight_decay"])
    raise ValueError(kind)


def flat(tensors):
    return torch.cat([t.detach().reshape(-1) for t in tensors]).numpy().copy()


def train(directory):
    with open(os.path.join(directory, "case.json")) as f:
        case = json.load(f)
    model, meta = read_safetensors(os.path.join(directory, "model.safetensors"))
    data, _ = read_safetensors(os.path.join(directory, "data.safetensors"))
    layers = len([k for k in model if k.endswith(".weight")])
    params = []
    for l in range(1, layers + 1):
        params.append(torch.tensor(model["layer%d.weight" % l], dtype=torch.float64, requires_grad=True))
        params.append(torch.tensor(model["layer%d.bias" % l], dtype=torch.float64, requires_grad=True))
    x = torch.tensor(data["x"], dtype=torch.float64)
    y = torch.tensor(data["y"], dtype=torch.int64)
    classes = params[-1].shape[0]
    activation = {"elu": F.elu, "tanh": torch.tanh}[meta["activation"]]

    def loss(indices):
        h = x[indices]
        for l in range(layers):
            z = F.linear(h, params[2 * l], params[2 * l + 1])
            h = activation(z) if l + 1 < layers else z
        if meta["loss"] == "cross_entropy":
            return F.cross_entropy(h, y[indices])
        return ((h - F.one_hot(y[indices], classes).to(torch.float64)) ** 2).sum(dim=1).mean()

    opt = optimizer(case, params)
    everything = torch.arange(x.shape[0])
    theta = [flat(params)]
    for u in range(case["steps"]):
        indices = torch.tensor(case["batches"][u], dtype=torch.int64) if case["batches"] is not None else everything
        opt.zero_grad()
        loss(indices).backward()
        opt.step()
        theta.append(flat(params))
    out = {"theta": np.stack(theta)}
    state = [opt.state[p] for p in params]
    for buffer in ("momentum_buffer", "square_avg", "exp_avg", "exp_avg_sq"):
        if state[0].get(buffer) is not None:  # plain SGD keeps momentum_buffer None
            out["state." + buffer] = flat([s[buffer] for s in state])
    if "step" in state[0]:
        out["step"] = np.array([float(state[0]["step"])])
    write_safetensors(os.path.join(directory, "torch.safetensors"), out)


if __name__ == "__main__":
    torch.set_num_threads(1)
    root = sys.argv[1]
    for name in sorted(os.listdir(root)):
        if os.path.isdir(os.path.join(root, name)):
            train(os.path.join(root, name))
    print("trained", len(os.listdir(root)), "cases with torch", torch.__version__)
