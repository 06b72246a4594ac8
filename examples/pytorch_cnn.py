#!/usr/bin/python3
"""Watch a PyTorch CNN reach the edge of stability with eoscope (README, "Watch your own PyTorch training").

A small CNN (two convolutions with pooling, a linear head) trained by full-batch gradient descent with the
square loss on eoscope's synthetic images, published to a broker with eoscope's Python client. Start a broker, an analyzer and a
gateway first (the README shows how), then:

    PYTHONPATH=clients/python /usr/bin/python3 examples/pytorch_cnn.py --bootstrap-servers 127.0.0.1:9092

and open the gateway's page: the sharpness (the analyzer's λmax of the Hessian) rises from about 4 to
2/η = 20 within about 100 steps and hovers there (measured with PyTorch's own Lanczos on this script's
run: 4.3 at step 0, 20.9 at step 100, 20.2 to 20.5 from step 200 to 1,500).
"""
import argparse
import subprocess
import tempfile
import os

import numpy as np
import torch
from torch import nn

from eoscope import Publisher, safetensors

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


class SmallCnn(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 5, stride=2, padding=2)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.head = nn.Linear(16 * 4 * 4, classes)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.avg_pool2d(torch.relu(self.conv2(x)), 2)
        return self.head(x.flatten(1))


def synthetic_images(n, classes):
    """eoscope's synthetic images (3x32x32, channel-major), written by ./eos dataset."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "synthetic.safetensors")
        subprocess.run([os.path.join(ROOT, "eos"), "dataset", "--n", str(n), "--classes", str(classes), "--out", out],
                       check=True)
        tensors, _ = safetensors.decode(open(out, "rb").read())
    x = torch.from_numpy(np.array(tensors["x"], dtype=np.float32)).reshape(-1, 3, 32, 32)
    return x - x.mean(0), torch.from_numpy(np.array(tensors["y"], dtype=np.int64))  # centred per pixel


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    p.add_argument("--run", default="pytorch-cnn")
    p.add_argument("--n", type=int, default=256, help="training samples (default: 256)")
    p.add_argument("--classes", type=int, default=4)
    p.add_argument("--lr", type=float, default=0.1, help="GD step size η (default: 0.1, so 2/η = 20)")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--snapshot-every", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    x, y = synthetic_images(args.n, args.classes)
    model = SmallCnn(args.classes)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    target = nn.functional.one_hot(y, args.classes).float()
    with Publisher(args.bootstrap_servers, run=args.run, model=model, inputs=x, labels=y, loss="mse",
                   lr=args.lr, solver="gd") as pub:
        for step in range(args.steps):
            opt.zero_grad()
            z = model(x)
            loss = ((z - target) ** 2).sum(1).mean()  # eoscope's mse: summed over outputs, averaged over samples
            loss.backward()
            opt.step()
            pub.telemetry(step, loss=loss.item(), lr=args.lr, accuracy=(z.argmax(1) == y).float().mean().item())
            if step % args.snapshot_every == 0 or step == args.steps - 1:
                pub.snapshot(step)
            if step % 100 == 0:
                print(f"step {step}: loss {loss.item():.4f}", flush=True)


if __name__ == "__main__":
    main()
