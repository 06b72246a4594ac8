#!/usr/bin/env python3
"""Writes the bundled example (plain Python, no NumPy): an XOR-2D dataset (docs/science.md#datasets) and
a 2-32-32-2 ELU cross-entropy MLP with the xavier initialisation (docs/science.md#initialisation), both float64 safetensors."""
import json, math, random, struct, os

def write(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, (dtype, shape, fmt, values) in tensors.items():
        blob = struct.pack("<%d%s" % (len(values), fmt), *values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob); offset += len(blob)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)

rng = random.Random(7)
n = 256
xs, ys = [], []
for _ in range(n):
    a, b = rng.random(), rng.random()
    xs += [a, b]; ys.append(int((a > 0.5) != (b > 0.5)))
here = os.path.dirname(os.path.abspath(__file__))
write(os.path.join(here, "xor-data.safetensors"),
      {"x": ("F64", [n, 2], "d", xs), "y": ("I64", [n], "q", ys)}, {"dataset": "xor-2d", "seed": "7"})
widths = [2, 32, 32, 2]
tensors = {}
for l in range(1, len(widths)):
    fan_in, fan_out = widths[l - 1], widths[l]
    std = math.sqrt(2) * math.sqrt(2 / (fan_in + fan_out))
    tensors["layer%d.weight" % l] = ("F64", [fan_out, fan_in], "d", [rng.gauss(0, std) for _ in range(fan_in * fan_out)])
    tensors["layer%d.bias" % l] = ("F64", [fan_out], "d", [0.0] * fan_out)
write(os.path.join(here, "xor-mlp.safetensors"), tensors, {"activation": "elu", "loss": "cross_entropy"})
