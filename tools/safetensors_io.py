"""The one safetensors writer of the fixture scripts (tools/make_*.py).

A safetensors file is an 8-byte little-endian header length, a JSON header (padded with spaces to a multiple of
8 bytes) naming each tensor's dtype, shape and byte range, then the raw little-endian data. Loom's tests read what
these scripts write, so the byte layout is fixed here once: the scripts differ only in the order of the data and
of the header's keys, which they pass in.
"""

import json
import struct

import torch

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64", torch.int64: "I64"}


def tensor_bytes(t):
    """The tensor's values as little-endian bytes of its own dtype (bfloat16: the high half of each float32)."""
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        # numpy has no bfloat16: its bits are the high half of the float32's.
        return (t.to(torch.float32).view(torch.int32) >> 16).to(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().tobytes()  # little-endian on x86-64 and arm64


def write(path, tensors, metadata, sort_header=False):
    """Writes (name, tensor) pairs, data in the order given; header keys in that order too, or sorted by name
    (safetensors.torch.save_file's choice) with sort_header. The metadata, a dict of strings, comes first."""
    entries, blobs, offset = {}, [], 0
    for name, t in tensors:
        data = tensor_bytes(t)
        entries[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    if sort_header:
        entries = dict(sorted(entries.items()))
    raw = json.dumps({"__metadata__": metadata, **entries}, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
