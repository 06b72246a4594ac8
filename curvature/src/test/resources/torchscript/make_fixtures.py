"""Writes the TorchScript fixtures of ScriptedModelTest, with float64 references computed by PyTorch itself.

Run from the repository root with Debian's python3-torch:  /usr/bin/python3 curvature/src/test/resources/torchscript/make_fixtures.py
For each model: NAME.pt and NAME-float32.pt (TorchScript, traced by eoscope's Python client in float64 and in
float32), NAME.safetensors (a snapshot of its parameters, naming both modules), NAME-data.safetensors (the dataset) and NAME-reference.safetensors: a direction v, the exact
products Hv, Gv, Rv (R = H - G, the residual) by dense float64 matrices, and the top eigenvalue by magnitude of
H, G, R and of each layer's Gauss-Newton block, by numpy's dense eigensolver.
"""
import hashlib
import io
import os
import sys

import numpy as np
import torch
from torch import nn
from torch.nn.utils import stateless

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../../../../clients/python"))
from eoscope import safetensors  # noqa: E402
from eoscope.model import _trace  # noqa: E402


class SmallCnn(nn.Module):
    """Two convolutions, max and average pooling, ELU and tanh, a linear head."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.tanh(self.conv1(x)), 2)
        x = nn.functional.avg_pool2d(nn.functional.elu(self.conv2(x)), 2)
        return self.head(x.flatten(1))


class BasicBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus the input (through a 1x1 convolution and BN when the block downsamples), then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = None
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(out + (x if self.skip is None else self.skip(x)))


class TinyResNet(nn.Module):
    """A ResNet in miniature: a stem, a residual block, a downsampling one, global average pooling, a linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.block1 = BasicBlock(4, 4, 1)
        self.block2 = BasicBlock(4, 6, 2)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        x = torch.relu(self.bn(self.stem(x)))
        x = self.block2(self.block1(x))
        return self.head(x.mean((2, 3)))


class Float64Constant(nn.Module):
    """A linear model whose forward adds a float64 tensor of its own: traced from a float32 copy, it still returns float64."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(5, 3)

    def forward(self, x):
        return self.lin(x) + torch.zeros(3, dtype=torch.float64)


def write_mixed():
    """mixed-float32.pt: Float64Constant traced from a float32 copy (float32 parameters, float64 logits), and
    mixed.safetensors, a snapshot of its parameters (the float64 trace would be a faithful module)."""
    torch.manual_seed(3)
    model = Float64Constant()
    traced = torch.jit.trace(model.eval(), torch.randn(4, 5))
    buf = io.BytesIO()
    torch.jit.save(traced, buf)
    module = buf.getvalue()
    with open(os.path.join(HERE, "mixed-float32.pt"), "wb") as f:
        f.write(module)
    meta = {"format": "torchscript", "module": "0" * 64, "module_float32": hashlib.sha256(module).hexdigest(),
            "loss": "mse", "classes": "3", "input_shape": "5", "run": "mixed", "step": "0", "time": "0.0", "dataset": "none"}
    with open(os.path.join(HERE, "mixed.safetensors"), "wb") as f:
        f.write(safetensors.encode({n: p.detach().numpy() for n, p in model.named_parameters()}, meta))


def per_sample_loss(z, y, loss):
    if loss == "cross_entropy":
        return nn.functional.cross_entropy(z, y, reduction="none")
    return ((z - nn.functional.one_hot(y, z.shape[1]).to(z.dtype)) ** 2).sum(1)


def write(name, model, x, y, loss):
    model = model.double()
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    theta = torch.cat([p.detach().flatten() for p in model.parameters()])
    sizes = [p.numel() for p in model.parameters()]

    def unflat(t):
        return dict(zip(names, [a.reshape(s) for a, s in zip(torch.split(t, sizes), shapes)]))

    def logits(t):
        return stateless.functional_call(model, unflat(t), (x,))

    def total(t):
        return per_sample_loss(logits(t), y, loss).mean()

    hess = torch.autograd.functional.hessian(total, theta)
    z = logits(theta).detach()
    jac = torch.autograd.functional.jacobian(logits, theta)  # [N, C, P]
    if loss == "cross_entropy":
        p = torch.softmax(z, 1)
        s = torch.diag_embed(p) - p.unsqueeze(2) * p.unsqueeze(1)
    else:
        s = 2 * torch.eye(z.shape[1], dtype=z.dtype).expand(len(z), -1, -1)
    gn = torch.einsum("nip,nij,njq->pq", jac, s, jac) / len(x)
    res = hess - gn
    v = torch.randn(len(theta), dtype=torch.float64, generator=torch.Generator().manual_seed(7))

    def top(m):
        w = np.linalg.eigvalsh(m.numpy())
        return w[np.argmax(np.abs(w))]

    groups, offset = [], 0
    for n, size in zip(names, sizes):
        g = n.rsplit(".", 1)[0]
        if groups and groups[-1][0] == g:
            groups[-1][2] = offset + size
        else:
            groups.append([g, offset, offset + size])
        offset += size
    module = _trace(model, x)
    module32 = _trace(model, x, torch.float32)
    meta = {"format": "torchscript", "module": hashlib.sha256(module).hexdigest(),
            "module_float32": hashlib.sha256(module32).hexdigest(), "loss": loss, "classes": str(z.shape[1]),
            "input_shape": ",".join(str(s) for s in x.shape[1:]), "run": name, "step": "0", "time": "0.0", "dataset": "none"}
    with open(os.path.join(HERE, name + ".pt"), "wb") as f:
        f.write(module)
    with open(os.path.join(HERE, name + "-float32.pt"), "wb") as f:
        f.write(module32)
    params = {n: p.detach().numpy() for n, p in model.named_parameters()}
    with open(os.path.join(HERE, name + ".safetensors"), "wb") as f:
        f.write(safetensors.encode(params, meta))
    with open(os.path.join(HERE, name + "-data.safetensors"), "wb") as f:
        f.write(safetensors.encode({"x": x.reshape(len(x), -1).numpy(), "y": y.numpy()}))
    ref = {"v": v.numpy(), "hv": (hess @ v).numpy(), "gv": (gn @ v).numpy(), "rv": (res @ v).numpy(),
           "tops": np.array([top(hess), top(gn), top(res)]), "loss": np.array([total(theta).item()]),
           "group_tops": np.array([np.linalg.eigvalsh(gn[a:b, a:b].numpy())[-1] for _, a, b in groups])}
    with open(os.path.join(HERE, name + "-reference.safetensors"), "wb") as f:
        f.write(safetensors.encode(ref, {"groups": ",".join(g for g, _, _ in groups)}))
    print(name, "P =", len(theta), "tops", ref["tops"], "groups", [g for g, _, _ in groups], ref["group_tops"])


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(16, 3, 8, 8, dtype=torch.float64)
    y = torch.randint(0, 3, (16,))
    write("cnn", SmallCnn(), x, y, "cross_entropy")
    torch.manual_seed(1)
    x = torch.randn(12, 5, dtype=torch.float64)
    y = torch.randint(0, 3, (12,))
    write("mlp", nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 3)), x, y, "mse")
    torch.manual_seed(2)
    net = TinyResNet().double()
    with torch.no_grad():  # batch norm's running statistics from a few training-mode passes, then eval mode
        for _ in range(3):
            net(torch.randn(32, 3, 8, 8, dtype=torch.float64) * 1.5 + 0.3)
    net.eval()
    x = torch.randn(16, 3, 8, 8, dtype=torch.float64)
    y = torch.randint(0, 3, (16,))
    write("resnet", net, x, y, "cross_entropy")
    write_mixed()
