"""Minimal safetensors reader and writer (the format of eoscope's model, snapshot and dataset files).

safetensors: an 8-byte little-endian header length, a JSON header (tensors' dtype, shape and byte
range, and ``__metadata__``: string to string), then the little-endian tensor bytes, back to back.
"""
import json
import struct

import numpy as np

_DTYPES = {"F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4")}
_NAMES = {v: k for k, v in _DTYPES.items()}


def encode(tensors, metadata=None):
    """The bytes of a safetensors file: ``tensors`` maps names to NumPy arrays (float64, float32,
    int64 or int32), written in the order given; ``metadata`` maps strings to strings."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, array in tensors.items():
        a = np.ascontiguousarray(array)
        dtype = a.dtype.newbyteorder("<")
        if dtype not in _NAMES:
            raise ValueError(f"tensor '{name}' has dtype {a.dtype}; safetensors here holds float64, float32, int64 or int32")
        data = a.astype(dtype, copy=False).tobytes()
        header[name] = {"dtype": _NAMES[dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def decode(data):
    """(tensors, metadata) of a safetensors file's bytes; tensors as NumPy arrays."""
    if len(data) < 8:
        raise ValueError("not a safetensors file: shorter than its 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"not a safetensors file: header length {n} exceeds the file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    body = data[8 + n:]
    tensors = {}
    for name, spec in header.items():
        begin, end = spec["data_offsets"]
        dtype = _DTYPES[spec["dtype"]]
        tensors[name] = np.frombuffer(body[begin:end], dtype=dtype).reshape(spec["shape"])
    return tensors, metadata
