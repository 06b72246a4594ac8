#!/usr/bin/python3
"""Watch a PyTorch Adam run at its own edge of stability with eoscope (clients/python/README.md, "Optimizers").

An MLP (784-128-128-4, ELU, PyTorch's initialisation) trained by full-batch Adam (η 2e-3, β 0.9/0.999) with the
square loss on 512 Fashion-MNIST images of 4 classes, standardized per pixel, published with eoscope's Python
client. ``optimizer=opt`` sends Adam's settings and state (its second moments and step count) with each snapshot,
so that the run is judged by Adam's own stability quantity λmax(P⁻¹𝓗) against its threshold
(2 + 2β1)/((1 − β1)η) = 38/η = 19,000 (docs/science.md#other-optimizers). Start a broker, an analyzer and a
gateway first (the main README, "Watch your own PyTorch training"), then:

    PYTHONPATH=clients/python /usr/bin/python3 examples/pytorch_adam.py --bootstrap-servers 127.0.0.1:9092

Needs Fashion-MNIST (Debian package dataset-fashion-mnist, or --data-dir with its IDX files).
"""
import argparse
import os
import subprocess
import tempfile

import numpy as np
import torch
from torch import nn

from eoscope import Publisher, safetensors

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def fashion_mnist(n, classes, data_dir=None):
    """eoscope's balanced, standardized Fashion-MNIST subset, written by ./eos dataset."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "fmnist.safetensors")
        extra = ["--data-dir", data_dir] if data_dir else []
        subprocess.run([os.path.join(ROOT, "eos"), "dataset", "--dataset", "fashion-mnist", "--n", str(n), "--classes",
                        str(classes), "--preprocess", "standardize", "--out", out, *extra], check=True)
        tensors, _ = safetensors.decode(open(out, "rb").read())
    return torch.from_numpy(np.array(tensors["x"], dtype=np.float32)), torch.from_numpy(np.array(tensors["y"], dtype=np.int64))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    p.add_argument("--run", default="pytorch-adam")
    p.add_argument("--data-dir", help="Fashion-MNIST's IDX files (default: the Debian package's)")
    p.add_argument("--n", type=int, default=512, help="training samples (default: 512)")
    p.add_argument("--classes", type=int, default=4)
    p.add_argument("--lr", type=float, default=2e-3, help="Adam's η (default: 2e-3, so 38/η = 19,000)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--snapshot-every", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    x, y = fashion_mnist(args.n, args.classes, args.data_dir)
    model = nn.Sequential(nn.Linear(x.shape[1], 128), nn.ELU(), nn.Linear(128, 128), nn.ELU(), nn.Linear(128, args.classes))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    target = nn.functional.one_hot(y, args.classes).float()
    with Publisher(args.bootstrap_servers, run=args.run, model=model, inputs=x, labels=y, loss="mse", optimizer=opt) as pub:
        for step in range(args.steps):
            opt.zero_grad()
            z = model(x)
            loss = ((z - target) ** 2).sum(1).mean()  # eoscope's mse: summed over outputs, averaged over samples
            loss.backward()
            opt.step()
            pub.telemetry(step, loss=loss.item(), accuracy=(z.argmax(1) == y).float().mean().item())
            if step % args.snapshot_every == 0 or step == args.steps - 1:
                pub.snapshot(step)  # the parameters, and Adam's settings and state after this step
            if step % 100 == 0:
                print(f"step {step}: loss {loss.item():.4f}", flush=True)


if __name__ == "__main__":
    main()
