#!/usr/bin/python3
"""The PyTorch side of ``bench/run analysis --beyond-top`` (io.eoscope.bench.AnalysisBench runs it; see bench/README.md).

What PyHessian's defaults would spend on the same problem, timed in PyTorch itself: PyHessian (Yao et al. 2020) computes
the trace by Hutchinson's method with up to ``maxIter=100`` Hessian-vector products and the density by stochastic
Lanczos quadrature with ``iter=100`` Lanczos steps per probe (``n_v=1``), each step one product, with full
reorthogonalisation. This script builds an MLP of the same architecture (ELU, mean cross-entropy, float32, PyTorch's
default initialisation) on Gaussian inputs with random labels, and times, with ``torch.set_num_threads(--threads)``:

- one full-batch gradient (forward and backward);
- one double-backward Hessian-vector product as PyHessian writes it (gradient with ``create_graph``, then the gradient
  of ⟨g, v⟩), from the forward pass each time;
- the trace as PyHessian's defaults run it: 100 Rademacher products, summed;
- the density as PyHessian's defaults run it: one probe, 100 Lanczos steps with full reorthogonalisation, then the
  tridiagonal's eigendecomposition.

Medians over ``--reps`` rounds after one untimed round. One JSON object on stdout (``--json``: to a file), progress on
stderr. Debian packages only: python3-torch.
"""
import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


def say(text):
    print("pyhessian_peer: " + text, file=sys.stderr, flush=True)


def mlp(widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.ELU())
    return nn.Sequential(*layers)


def hvp(model, params, x, y, v):
    loss = F.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    dot = sum((g * u).sum() for g, u in zip(grads, v))
    return torch.autograd.grad(dot, params)


def trace_pyhessian(model, params, x, y, products):
    total = 0.0
    for _ in range(products):
        v = [torch.randint_like(p, high=2) * 2 - 1 for p in params]
        hv = hvp(model, params, x, y, v)
        total += sum((h * u).sum() for h, u in zip(hv, v)).item()
    return total


def density_pyhessian(model, params, x, y, steps):
    flat = sum(p.numel() for p in params)

    def apply(vec):
        parts, at = [], 0
        for p in params:
            parts.append(vec[at:at + p.numel()].view_as(p))
            at += p.numel()
        return torch.cat([h.reshape(-1) for h in hvp(model, params, x, y, parts)])

    v = torch.randn(flat)
    v = v / v.norm()
    basis, alphas, betas = [v], [], []
    w = apply(v)
    for j in range(steps):
        alpha = torch.dot(w, basis[-1])
        alphas.append(alpha.item())
        w = w - alpha * basis[-1] - (betas[-1] * basis[-2] if j > 0 else 0)
        for b in basis:  # full reorthogonalisation, as PyHessian does
            w = w - torch.dot(w, b) * b
        beta = w.norm()
        if j == steps - 1 or beta.item() == 0:
            break
        betas.append(beta)
        basis.append(w / beta)
        w = apply(basis[-1])
    t = torch.diag(torch.tensor(alphas)) + torch.diag(torch.tensor([b.item() for b in betas]), 1) \
        + torch.diag(torch.tensor([b.item() for b in betas]), -1)
    return torch.linalg.eigh(t)


def median(values):
    s = sorted(values)
    return s[len(s) // 2]


def timed(op, reps):
    op()  # untimed: the allocator's first touch
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        op()
        out.append((time.perf_counter() - t0) * 1000)
    return median(out)


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--arch", default="784-512-512-10")
    a.add_argument("--n", type=int, default=1000)
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--reps", type=int, default=3)
    a.add_argument("--trace-products", type=int, default=100, help="PyHessian's trace maxIter (default 100)")
    a.add_argument("--density-steps", type=int, default=100, help="PyHessian's density iter (default 100)")
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--json")
    o = a.parse_args()
    torch.set_num_threads(o.threads)
    torch.manual_seed(o.seed)
    widths = [int(w) for w in o.arch.split("-")]
    model = mlp(widths)
    params = list(model.parameters())
    x = torch.randn(o.n, widths[0])
    y = torch.randint(0, widths[-1], (o.n,))

    def gradient():
        torch.autograd.grad(F.cross_entropy(model(x), y), params)

    def one_hvp():
        hvp(model, params, x, y, [torch.randn_like(p) for p in params])

    say(f"{o.arch}, N = {o.n}, float32, {o.threads} threads: gradient and one product")
    gradient_ms = timed(gradient, o.reps)
    hvp_ms = timed(one_hvp, o.reps)
    say(f"trace, {o.trace_products} products")
    trace_ms = timed(lambda: trace_pyhessian(model, params, x, y, o.trace_products), 1)
    say(f"density, 1 probe × {o.density_steps} steps")
    density_ms = timed(lambda: density_pyhessian(model, params, x, y, o.density_steps), 1)
    out = {"arch": o.arch, "n": o.n, "parameters": sum(p.numel() for p in params), "threads": o.threads,
           "torch": torch.__version__, "gradient_ms": gradient_ms, "hvp_ms": hvp_ms,
           "trace_products": o.trace_products, "trace_ms": trace_ms,
           "density_products": o.density_steps, "density_ms": density_ms}
    text = json.dumps(out, indent=1)
    if o.json:
        with open(o.json, "w") as f:
            f.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
