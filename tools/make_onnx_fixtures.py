#!/usr/bin/python3
"""Reference ONNX models from PyTorch for Loom's importer tests (Debian python3-torch 1.13, torch.onnx.export, opset 17).

    /usr/bin/python3 tools/make_onnx_fixtures.py

Writes tests/Loom.Tests/Fixtures/onnx/NAME.onnx and NAME.safetensors (inputs and PyTorch's outputs, float32; token ids
as whole-number floats, as Loom stores them) for:
  lenet         Loom's lenet architecture, (N, 1, 28, 28) → 10
  bilstm-tagger Embedding(50, 16) → 2-layer bidirectional LSTM(16, 24) → Linear(48, 5) at every step
  gru-classifier Embedding(50, 16) → GRU(16, 32), final state h_n[-1] → Linear(32, 3)
  char-lstm     Embedding(30, 16) → LSTM(16, 32) with its state as inputs h0, c0 and outputs hn, cn → Linear(32, 30)
  residual-cnn  Conv2d(1, 8, 3, p=1) → ReLU → x + ReLU(Conv2d(8, 8, 3, p=1)(x)) → MaxPool2d(2) → Flatten → Linear(1568, 10)
                (an Add of the block's input and its body: a residual DAG)
  branch-cnn    Conv2d(1, 4, 3, p=1) → ReLU and Conv2d(1, 4, 5, p=2) → ReLU side by side on the input, Concat on
                channels → MaxPool2d(2) → Flatten → Linear(1568, 10) (a Concat of two branches)
Batch and time are dynamic axes. Weights are seeded (torch.manual_seed(0)); the files are small and committed.
"""
import os

import torch
import torch.nn as nn

import safetensors_io  # tools/, beside this script

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Loom.Tests", "Fixtures", "onnx")


def write_safetensors(path, tensors):
    safetensors_io.write(path, [(name, t.detach().to(torch.float32)) for name, t in tensors.items()],
                         {"producer": "tools/make_onnx_fixtures.py"})


class LeNet(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(50, 16)
        self.lstm = nn.LSTM(16, 24, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(48, 5)

    def forward(self, tokens):
        y, _ = self.lstm(self.embedding(tokens))
        return self.head(y)


class GruClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(50, 16)
        self.gru = nn.GRU(16, 32, batch_first=True)
        self.head = nn.Linear(32, 3)

    def forward(self, tokens):
        _, h = self.gru(self.embedding(tokens))
        return self.head(h[-1])


class CharLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(30, 16)
        self.lstm = nn.LSTM(16, 32, batch_first=True)
        self.head = nn.Linear(32, 30)

    def forward(self, tokens, h0, c0):
        y, (h, c) = self.lstm(self.embedding(tokens), (h0, c0))
        return self.head(y), h, c


class ResidualCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.body = nn.Conv2d(8, 8, 3, padding=1)
        self.head = nn.Linear(8 * 14 * 14, 10)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = x + torch.relu(self.body(x))
        return self.head(torch.max_pool2d(x, 2).flatten(1))


class BranchCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.narrow = nn.Conv2d(1, 4, 3, padding=1)
        self.wide = nn.Conv2d(1, 4, 5, padding=2)
        self.head = nn.Linear(8 * 14 * 14, 10)

    def forward(self, x):
        x = torch.cat([torch.relu(self.narrow(x)), torch.relu(self.wide(x))], 1)
        return self.head(torch.max_pool2d(x, 2).flatten(1))


def export(name, model, args, input_names, output_names, dynamic):
    model.eval()
    path = os.path.join(OUT, name + ".onnx")
    torch.onnx.export(model, args, path, opset_version=17, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic, do_constant_folding=True)
    with torch.no_grad():
        outputs = model(*args)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    tensors = {n: a.to(torch.float32) for n, a in zip(input_names, args)}
    tensors.update({n: o for n, o in zip(output_names, outputs)})
    write_safetensors(os.path.join(OUT, name + ".safetensors"), tensors)
    print(f"{path}: {os.path.getsize(path)} bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    export("lenet", LeNet(), (torch.rand(3, 1, 28, 28),), ["input"], ["logits"], {"input": {0: "N"}, "logits": {0: "N"}})
    seq = {"tokens": {0: "N", 1: "T"}, "logits": {0: "N", 1: "T"}}
    export("bilstm-tagger", Tagger(), (torch.randint(0, 50, (4, 9)),), ["tokens"], ["logits"], seq)
    export("gru-classifier", GruClassifier(), (torch.randint(0, 50, (4, 11)),), ["tokens"], ["logits"], {"tokens": {0: "N", 1: "T"}, "logits": {0: "N"}})
    state = {0: "L", 1: "N"}
    export("char-lstm", CharLstm(), (torch.randint(0, 30, (2, 7)), torch.randn(1, 2, 32) * 0.5, torch.randn(1, 2, 32) * 0.5),
           ["tokens", "h0", "c0"], ["logits", "hn", "cn"], {**seq, "h0": {1: "N"}, "c0": {1: "N"}, "hn": {1: "N"}, "cn": {1: "N"}})
    # Last, so that the generator's draws for the files above stay as they were.
    image = {"input": {0: "N"}, "logits": {0: "N"}}
    export("residual-cnn", ResidualCnn(), (torch.rand(3, 1, 28, 28),), ["input"], ["logits"], image)
    export("branch-cnn", BranchCnn(), (torch.rand(3, 1, 28, 28),), ["input"], ["logits"], image)


if __name__ == "__main__":
    main()
