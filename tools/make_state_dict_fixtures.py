#!/usr/bin/python3
"""PyTorch state dicts of twins of Loom's built-in models, for `loom import` / StateDictImport (Debian python3-torch 1.13).

    /usr/bin/python3 tools/make_state_dict_fixtures.py

Writes tests/Loom.Tests/Fixtures/state_dict/NAME.safetensors (the twin's state_dict, as safetensors.torch.save_file
lays it out) and NAME.io.safetensors (the fixed input `x` and the twin's output `y` in eval mode, float32):

  lenet          Loom's lenet written the way PyTorch users write it: attributes conv1, conv2, fc1, fc2 (so every
                 name differs from Loom's 0.weight, 3.weight, …), F32
  fashion-cnn    an nn.Sequential twin (Loom's very names), weights and BatchNorm statistics in F16, num_batches_tracked
                 an I64 scalar as PyTorch keeps it
  bilstm-tagger  attributes embedding, lstm (bidirectional: weight_ih_l0_reverse, …), head; BF16; vocabulary 40, 6 tags
  row-gru        attributes gru, fc, saved through nn.DataParallel (every name starts "module."), F64

    /usr/bin/python3 tools/make_state_dict_fixtures.py --trained /tmp/lenet-state.safetensors

trains the named-attribute lenet in PyTorch on the embedded fashion-mnist-mini (300 Adam steps of 64, seed 0, on pixels
normalised as Loom's lenet spec normalises them: (x - 0.2860) / 0.3530), prints its test accuracy and saves its state
dict, for the check in docs/interop.md that `loom import` then `loom eval` gives the same accuracy.

Debian has no python3-safetensors, so the file is written here from the format (8-byte little-endian header length,
JSON header, raw little-endian data): keys sorted as save_file sorts them, "__metadata__" {"format": "pt"}. The output
is computed after the weights are rounded to the stored dtype, so Loom, reading the same numbers, must give the same
answer (float32 arithmetic on both sides). Seeded (torch.manual_seed(0)); the files are small and committed.
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import safetensors_io  # tools/, beside this script

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Loom.Tests", "Fixtures", "state_dict")

def save_file(tensors, path, metadata=None):
    """safetensors.torch.save_file's layout: data sorted by dtype width (widest first), then name; header keys by name."""
    order = sorted(tensors, key=lambda n: (-tensors[n].element_size(), n))
    safetensors_io.write(path, [(n, tensors[n]) for n in order], metadata or {"format": "pt"}, sort_header=True)


class LeNet(nn.Module):
    """Conv2d(1,32,3,p=1)-ReLU-MaxPool2-Conv2d(32,64,3,p=1)-ReLU-MaxPool2-Flatten-Linear(3136,128)-ReLU-Linear(128,10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(3136, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def fashion_cnn():
    """Loom's fashion-cnn layer for layer, so its state_dict names are Loom's (0.weight, 1.running_mean, …)."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2), nn.Dropout(0.1),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2), nn.Dropout(0.2),
        nn.Flatten(), nn.Linear(3136, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.4),
        nn.Linear(256, 10))


class Tagger(nn.Module):
    """Loom's bilstm-tagger: Embedding(V, 100, padding 0) → BiLSTM(100, 128) → Linear(256, tags) at every step."""

    def __init__(self, vocab, tags):
        super().__init__()
        self.embedding = nn.Embedding(vocab, 100, padding_idx=0)
        self.lstm = nn.LSTM(100, 128, batch_first=True, bidirectional=True)
        self.head = nn.Linear(256, tags)

    def forward(self, tokens):
        y, _ = self.lstm(self.embedding(tokens))
        return self.head(y)


class RowGru(nn.Module):
    """Loom's row-gru: each of the 28 rows one step → GRU(28, 128), final state → Linear(128, 10)."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(28, 128, batch_first=True)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        _, h = self.gru(x.flatten(1, 2))
        return self.fc(h[-1])


def store(name, model, state, dtype, x):
    """Rounds the float tensors of `state` to `dtype`, loads them back (so the output is that of the stored numbers), writes both files."""
    stored = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in state.items()}
    model.load_state_dict({k.removeprefix("module."): v.to(torch.float32) if v.is_floating_point() else v for k, v in stored.items()})
    model.eval()
    with torch.no_grad():
        y = model(x)
    save_file(stored, os.path.join(OUT, name + ".safetensors"))
    save_file({"x": x.to(torch.float32), "y": y}, os.path.join(OUT, name + ".io.safetensors"),
              {"producer": "tools/make_state_dict_fixtures.py", "torch": torch.__version__})
    print(f"{name}: {len(stored)} tensors, {os.path.getsize(os.path.join(OUT, name + '.safetensors'))} bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    images = torch.rand(3, 1, 28, 28)

    lenet = LeNet()
    store("lenet", lenet, lenet.state_dict(), torch.float32, images)

    cnn = fashion_cnn()
    with torch.no_grad():
        # Statistics as training leaves them, not the fresh zeros and ones that would hide a swapped mean and variance.
        for m in cnn.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.num_batches_tracked.fill_(937)
    store("fashion-cnn", cnn, cnn.state_dict(), torch.float16, images)

    tagger = Tagger(40, 6)
    # No padding ids: Loom's tagger stops each row at its last non-padding token, PyTorch's unpacked LSTM does not.
    tokens = torch.randint(1, 40, (4, 9))
    store("bilstm-tagger", tagger, tagger.state_dict(), torch.bfloat16, tokens)

    gru = RowGru()
    store("row-gru", gru, nn.DataParallel(gru).state_dict(), torch.float64, images)


def trained_lenet(out):
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from train_lenet_onnx import idx
    torch.manual_seed(0)
    # Loom's lenet spec normalises by the Fashion-MNIST training statistics before the first layer; so does this.
    norm = lambda images: (torch.tensor(images, dtype=torch.float32).unsqueeze(1) / 255 - 0.2860) / 0.3530
    x, y = norm(idx("train-images-idx3-ubyte.gz")), torch.tensor(idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
    tx, ty = norm(idx("t10k-images-idx3-ubyte.gz")), torch.tensor(idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
    model = LeNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(300):
        i = torch.randint(0, len(x), (64,))
        opt.zero_grad()
        F.cross_entropy(model(x[i]), y[i]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        logits = model(tx)
    print(f"PyTorch lenet after 300 steps: test accuracy {(logits.argmax(1) == ty).float().mean().item():.4f}, "
          f"loss {F.cross_entropy(logits, ty).item():.4f} on {len(tx)} images")
    save_file(model.state_dict(), out)
    print(f"wrote {out}")


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--trained":
        trained_lenet(sys.argv[2])
    else:
        main()
