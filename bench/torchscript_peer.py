#!/usr/bin/python3
"""The PyTorch side of ``bench/run torchscript`` (io.eoscope.bench.TorchScriptBench runs it; see bench/README.md).

For one model (``--model cnn`` or ``resnet``) it

1. writes the fixtures into ``--dir``: ``module.pt`` (``torch.jit.trace`` of a float32, eval-mode copy of the model,
   saved with ``torch.jit.save``), ``snapshot.safetensors`` (its parameters, metadata as eoscope's Python client
   writes a TorchScript snapshot: format, module = SHA-256 of module.pt, input_shape, classes, loss, run, step) and
   ``data.safetensors`` (x [N, d] float32, flattened samples; y [N] int64), with eoscope's own safetensors writer
   (clients/python/eoscope/safetensors.py); and ``check.safetensors`` (a unit vector v, PyTorch's ∇L and 𝓗v on it,
   flat in the module's parameter order), so that the Java side can check that it computes the same thing;
2. times PyTorch itself on the same files (``torch.jit.load`` of module.pt, the dataset as read back), with
   ``torch.set_num_threads(--threads)``: the loss (forward, no graph), the gradient of the mean cross-entropy, and the
   float32 double-backward HVP (grad with create_graph, then grad of ⟨g, v⟩), recomputed from the forward pass each
   time, as a user would write it; interleaved, median of ``--reps`` after ``--warmup`` rounds; then a top-1
   eigenvalue solve of the Hessian by scipy's ``eigsh`` (a LinearOperator over that HVP, k = 1, which='LM', tol =
   ``--tol``), counting its products (a plain Lanczos in torch when scipy is missing, saying so);
3. writes one JSON (``--json``, else stdout): medians/min/max per operation in ms, product counts, parameter counts,
   torch version and threads. Progress goes to stderr.

Debian packages only: python3-torch, python3-numpy, python3-scipy (optional).
"""
import argparse
import copy
import hashlib
import io
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.dont_write_bytecode = True  # no __pycache__ left in examples/ or clients/python/ by the imports below
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
sys.path.insert(0, os.path.join(ROOT, "examples"))

from eoscope import safetensors  # noqa: E402  (eoscope's own writer of the files it reads)
from pytorch_cnn import SmallCnn  # noqa: E402  (the README's CNN)


def say(text):
    print("[peer] " + text, file=sys.stderr, flush=True)


# ---- the ResNet-style model ----------------------------------------------------------------------------------------

class Block(nn.Module):
    """conv-BN-ReLU-conv-BN plus the skip (a 1×1 projection with BN where the shape changes), then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.proj is None else self.proj(x)))


class SmallResNet(nn.Module):
    """A ResNet-style CNN for 3×32×32 inputs: a 3×3 stem convolution of stride 2 (16 channels, 16×16) with BN and
    ReLU, four residual blocks (16 → 16; 16 → 32 at stride 2, 8×8; 32 → 32; 32 → 64 at stride 2, 4×4; the
    downsampling blocks with 1×1 projections), global average pooling and a linear head: 96,602 parameters for 10
    classes."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.blocks = nn.Sequential(Block(16, 16, 1), Block(16, 32, 2), Block(32, 32, 1), Block(32, 64, 2))
        self.head = nn.Linear(64, classes)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn(self.stem(x))))
        return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1))


MODELS = {
    # name: (constructor, N, classes, one sample's shape)
    "cnn": (lambda classes: SmallCnn(classes), 256, 4, (3, 32, 32)),
    "resnet": (lambda classes: SmallResNet(classes), 1000, 10, (3, 32, 32)),
}


# ---- fixtures ------------------------------------------------------------------------------------------------------

def images(n, classes, eos, seed):
    """eoscope's synthetic images (3×32×32, channel-major) by ``eos dataset``, centred per pixel as
    examples/pytorch_cnn.py does; seeded Gaussian images when ``eos`` is not given or fails. Returns (x, y, source)."""
    if eos:
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "synthetic.safetensors")
            cmd = shlex.split(eos) + ["dataset", "--n", str(n), "--classes", str(classes), "--out", out]
            t0 = time.perf_counter()
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if r.returncode == 0:
                tensors, _ = safetensors.decode(open(out, "rb").read())
                x = torch.from_numpy(np.array(tensors["x"], dtype=np.float32)).reshape(-1, 3, 32, 32)
                y = torch.from_numpy(np.array(tensors["y"], dtype=np.int64))
                say(f"eoscope's synthetic images: eos dataset --n {n} --classes {classes} ({time.perf_counter() - t0:.1f} s)")
                return x - x.mean(0), y, "eos dataset (synthetic), centred per pixel"
            say(f"eos dataset failed ({r.returncode}): {r.stderr.strip()[-300:]}; using seeded Gaussian images")
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 32, 32, generator=g)
    y = torch.randint(0, classes, (n,), generator=g)
    return x, y, f"seeded Gaussian N(0, 1) images (seed {seed})"


def write_fixtures(name, directory, eos, seed):
    make, n, classes, shape = MODELS[name]
    x, y, source = images(n, classes, eos, seed)
    torch.manual_seed(seed)
    model = make(classes)
    if any(isinstance(m, nn.BatchNorm2d) for m in model.modules()):
        # non-trivial running statistics (and affine parameters) for batch norm in eval mode: four training-mode
        # forward passes over quarters of the data (momentum None: the running statistics become the average of the
        # four batches' statistics), then small random perturbations of its weights and biases
        bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        model.train()
        with torch.no_grad():
            for m in bns:
                m.momentum = None
            for i in range(4):
                model(x[i * (n // 4):(i + 1) * (n // 4)])
            for m in bns:
                m.momentum = 0.1
                m.weight.add_(0.1 * torch.randn_like(m.weight))
                m.bias.add_(0.1 * torch.randn_like(m.bias))
    model.eval()
    copy_ = copy.deepcopy(model).to(torch.float32).eval()
    with torch.no_grad():
        traced = torch.jit.trace(copy_, x[:8], check_trace=False)
        err = (traced(x) - copy_(x)).abs().max().item()
    buf = io.BytesIO()
    torch.jit.save(traced, buf)
    module = buf.getvalue()
    with open(os.path.join(directory, "module.pt"), "wb") as f:
        f.write(module)
    params = {k: v.detach().numpy().astype(np.float32) for k, v in traced.named_parameters()}
    meta = {"format": "torchscript", "module": hashlib.sha256(module).hexdigest(),
            "input_shape": ",".join(str(s) for s in shape), "classes": str(classes), "loss": "cross_entropy",
            "run": f"torchscript-bench-{name}", "step": "0"}
    with open(os.path.join(directory, "snapshot.safetensors"), "wb") as f:
        f.write(safetensors.encode(params, meta))
    data = {"x": x.reshape(n, -1).numpy().astype(np.float32), "y": y.numpy().astype(np.int64)}
    with open(os.path.join(directory, "data.safetensors"), "wb") as f:
        f.write(safetensors.encode(data))
    count = sum(p.size for p in params.values())
    say(f"{name}: wrote module.pt ({len(module):,} bytes), snapshot ({count:,} parameters), data (N = {n}) to {directory}")
    buffers = {k: v for k, v in traced.named_buffers() if "running" in k}
    return {"data_source": source, "trace_max_abs_error": err, "module_bytes": len(module),
            "module_sha256": meta["module"],
            "batch_norm_running_var_range": [min(float(b.min()) for k, b in buffers.items() if k.endswith("running_var")),
                                             max(float(b.max()) for k, b in buffers.items() if k.endswith("running_var"))]
            if buffers else None,
            "batch_norm_running_mean_range": [min(float(b.min()) for k, b in buffers.items() if k.endswith("running_mean")),
                                              max(float(b.max()) for k, b in buffers.items() if k.endswith("running_mean"))]
            if buffers else None}


# ---- PyTorch's own products ----------------------------------------------------------------------------------------

def load(directory):
    """The module and data as read back from the fixture files (what both sides time on)."""
    module = torch.jit.load(os.path.join(directory, "module.pt"))
    tensors, meta = safetensors.decode(open(os.path.join(directory, "snapshot.safetensors"), "rb").read())
    shape = tuple(int(s) for s in meta["input_shape"].split(","))
    data, _ = safetensors.decode(open(os.path.join(directory, "data.safetensors"), "rb").read())
    x = torch.from_numpy(np.array(data["x"])).reshape((-1,) + shape)
    y = torch.from_numpy(np.array(data["y"]))
    params = list(module.parameters())
    names = [k for k, _ in module.named_parameters()]
    for k, p in zip(names, params):  # the snapshot's values (equal to the module's own here)
        with torch.no_grad():
            p.copy_(torch.from_numpy(np.array(tensors[k])))
    return module, params, names, x, y


def loss_of(module, x, y):
    return F.cross_entropy(module(x), y)


def gradient(module, params, x, y):
    return torch.autograd.grad(loss_of(module, x, y), params)


def hvp(module, params, x, y, v):
    """𝓗v by double backward, from the forward pass: what a user would write."""
    g = torch.autograd.grad(loss_of(module, x, y), params, create_graph=True)
    dot = sum((gi * vi).sum() for gi, vi in zip(g, v))
    return torch.autograd.grad(dot, params)


def flat(parts):
    return torch.cat([p.reshape(-1) for p in parts])


def split(vector, params):
    out, at = [], 0
    for p in params:
        out.append(vector[at:at + p.numel()].view_as(p))
        at += p.numel()
    return out


def time_interleaved(ops, warmup, reps):
    samples = {k: [] for k in ops}
    for r in range(-warmup, reps):
        for k, op in ops.items():
            t0 = time.perf_counter()
            op()
            dt = (time.perf_counter() - t0) * 1e3
            if r >= 0:
                samples[k].append(dt)
    return {k: stats(v) for k, v in samples.items()}


def stats(ms):
    s = sorted(ms)
    n = len(s)
    median = s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])
    return {"median": median, "min": s[0], "max": s[-1], "samples": ms}


def lanczos(matvec, p, k_max, tol, v0):
    """Top-1 (by magnitude) eigenvalue by Lanczos with full reorthogonalisation, in float64 on the host: stops when the
    Ritz value changes by at most tol·|λ| and the residual estimate |β_j s_j| ≤ √tol·|λ|, as eoscope's rule does."""
    q = v0 / np.linalg.norm(v0)
    basis, alphas, betas = [q], [], []
    previous = None
    for j in range(k_max):
        w = matvec(basis[-1])
        alpha = float(w @ basis[-1])
        alphas.append(alpha)
        for b in basis:  # two passes of full reorthogonalisation
            w -= (w @ b) * b
        for b in basis:
            w -= (w @ b) * b
        beta = float(np.linalg.norm(w))
        t = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
        vals, vecs = np.linalg.eigh(t)
        i = int(np.argmax(np.abs(vals)))
        lam, s = vals[i], vecs[:, i]
        if previous is not None and abs(lam - previous) <= tol * abs(lam) and abs(beta * s[-1]) <= np.sqrt(tol) * abs(lam):
            break
        previous = lam
        betas.append(beta)
        basis.append(w / beta)
    return lam, np.array(basis[:len(s)]).T @ s


def top1(module, params, x, y, tol, seed, max_products):
    """(λ, products, seconds, relative residual, solver) of the top-1 Hessian eigenvalue."""
    p = sum(q.numel() for q in params)
    count = [0]

    def matvec(u):
        count[0] += 1
        v = split(torch.from_numpy(np.asarray(u, dtype=np.float32).reshape(-1)), params)
        return flat(hvp(module, params, x, y, v)).double().numpy()

    v0 = np.random.default_rng(seed).standard_normal(p)
    t0 = time.perf_counter()
    try:
        from scipy.sparse.linalg import LinearOperator, eigsh
        op = LinearOperator((p, p), matvec=matvec, dtype=np.float64)
        vals, vecs = eigsh(op, k=1, which="LM", tol=tol, v0=v0)
        lam, vec, solver = float(vals[0]), vecs[:, 0], "scipy.sparse.linalg.eigsh (ARPACK)"
    except ImportError:
        lam, vec = lanczos(matvec, p, max_products, tol, v0)
        solver = "plain Lanczos in torch/numpy (scipy is missing: apt-get install python3-scipy)"
    seconds = time.perf_counter() - t0
    products = count[0]
    r = matvec(vec) - lam * vec  # untimed and uncounted: the residual of the answer
    return {"eigenvalue": lam, "products": products, "seconds": seconds,
            "relative_residual": float(np.linalg.norm(r) / (abs(lam) * np.linalg.norm(vec))), "solver": solver}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=sorted(MODELS), required=True)
    ap.add_argument("--dir", required=True, help="where the fixtures are written")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default: 2)")
    ap.add_argument("--reps", type=int, default=10, help="timed rounds (default: 10)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed rounds first (default: 3)")
    ap.add_argument("--solve-reps", type=int, default=1, help="top-1 solves timed (default: 1)")
    ap.add_argument("--tol", type=float, default=1e-4, help="eigsh's tol (default: 1e-4, eoscope's default tolerance)")
    ap.add_argument("--max-products", type=int, default=5000, help="the fallback Lanczos's budget (default: 5000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eos", default=None, help="command that runs eos (for 'eos dataset'); default: seeded Gaussian images")
    ap.add_argument("--fixtures-only", action="store_true", help="write the fixtures, time nothing")
    ap.add_argument("--json", default=None, help="write the JSON here (default: stdout)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    os.makedirs(args.dir, exist_ok=True)
    out = {"model": args.model, "torch": torch.__version__, "python": platform.python_version(),
           "numpy": np.__version__, "threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
           "dtype": "float32"}
    try:
        import scipy
        out["scipy"] = scipy.__version__
    except ImportError:
        out["scipy"] = None
    out["fixtures"] = write_fixtures(args.model, args.dir, args.eos, args.seed)

    module, params, names, x, y = load(args.dir)
    p = sum(q.numel() for q in params)
    out.update({"parameters": p, "parameter_tensors": len(params), "samples": int(x.shape[0]),
                "input_shape": list(x.shape[1:]), "classes": MODELS[args.model][2]})
    g = torch.Generator().manual_seed(args.seed + 2)
    v_flat = torch.randn(p, generator=g)
    v_flat /= v_flat.norm()
    v = split(v_flat, params)
    # the check file: ∇L and 𝓗v on v, for the Java side to compare its own with
    grad0 = flat(gradient(module, params, x, y)).detach()
    hv0 = flat(hvp(module, params, x, y, v)).detach()
    with open(os.path.join(args.dir, "check.safetensors"), "wb") as f:
        f.write(safetensors.encode({"v": v_flat.numpy(), "gradient": grad0.numpy(), "hvp": hv0.numpy()},
                                   {"parameters": ",".join(names)}))
    out["hvp_norm"] = float(hv0.norm())
    out["loss"] = float(loss_of(module, x, y))
    if args.fixtures_only:
        emit(out, args.json)
        return

    say(f"{args.model}: P = {p:,}, N = {x.shape[0]}, torch {torch.__version__}, {torch.get_num_threads()} threads; timing "
        f"loss, gradient, HVP: {args.warmup} warm-up + {args.reps} timed rounds (interleaved)")
    sink = [0.0]

    def loss_op():
        with torch.no_grad():
            sink[0] += float(loss_of(module, x, y))

    ops = {"loss": loss_op,
           "gradient": lambda: sink.__setitem__(0, sink[0] + float(gradient(module, params, x, y)[0].reshape(-1)[0])),
           "hvp": lambda: sink.__setitem__(0, sink[0] + float(hvp(module, params, x, y, v)[0].reshape(-1)[0]))}
    out["timing_ms"] = time_interleaved(ops, args.warmup, args.reps)
    for k, s in out["timing_ms"].items():
        say(f"  {k}: median {s['median']:.1f} ms (min {s['min']:.1f}, max {s['max']:.1f})")
    solves = []
    for i in range(args.solve_reps):
        say(f"{args.model}: top-1 eigenvalue of the Hessian, tol {args.tol:g} (solve {i + 1} of {args.solve_reps})")
        s = top1(module, params, x, y, args.tol, args.seed + 3, args.max_products)
        say(f"  λ = {s['eigenvalue']:.6g}, {s['products']} products, {s['seconds']:.2f} s, relative residual "
            f"{s['relative_residual']:.2e} ({s['solver']})")
        solves.append(s)
    secs = sorted(s["seconds"] for s in solves)
    out["top1"] = {"solver": solves[0]["solver"], "tol": args.tol, "which": "LM", "k": 1,
                   "arpack_ncv": 20 if solves[0]["solver"].startswith("scipy") else None,
                   "operator_dtype": "float64 vectors, float32 HVP", "solves": solves,
                   "ms": stats([s * 1e3 for s in secs]), "products": solves[0]["products"],
                   "eigenvalue": solves[0]["eigenvalue"]}
    emit(out, args.json)


def emit(out, path):
    text = json.dumps(out, indent=1)
    if path:
        with open(path, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
