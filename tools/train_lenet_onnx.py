#!/usr/bin/python3
"""Trains Loom's lenet architecture in PyTorch on the embedded fashion-mnist-mini (raw [0, 1] pixels, 300 Adam steps of
64, seed 0), prints its test accuracy and exports it to ONNX for the fine-tuning check in docs/interop.md:

    /usr/bin/python3 tools/train_lenet_onnx.py /tmp/lenet-torch.onnx
    loom eval  --model /tmp/lenet-torch.onnx --data fashion-mnist-mini
    loom train --model /tmp/lenet-torch.onnx --data fashion-mnist-mini --epochs 1 --out /tmp/lenet-tuned.safetensors
"""
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_onnx_fixtures import LeNet  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "fashion-mnist-mini")


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main(out):
    torch.manual_seed(0)
    x = torch.tensor(idx("train-images-idx3-ubyte.gz"), dtype=torch.float32).unsqueeze(1) / 255
    y = torch.tensor(idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
    tx = torch.tensor(idx("t10k-images-idx3-ubyte.gz"), dtype=torch.float32).unsqueeze(1) / 255
    ty = torch.tensor(idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
    model = LeNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(300):
        i = torch.randint(0, len(x), (64,))
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[i]), y[i]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(tx).argmax(1) == ty).float().mean().item()
    print(f"PyTorch lenet after 300 steps: test accuracy {acc:.4f} on {len(tx)} images")
    torch.onnx.export(model, (tx[:1],), out, opset_version=17, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "lenet-torch.onnx")
