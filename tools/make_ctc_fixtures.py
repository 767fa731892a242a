#!/usr/bin/env python3
"""Writes the PyTorch reference fixture for Loom's CTC loss (tests/Loom.Tests/Speech/CtcParityTests.cs).

    /usr/bin/python3 tools/make_ctc_fixtures.py

Output: tests/Loom.Tests/Fixtures/parity/ctc.safetensors, in the format of tools/make_fixtures.py (whose
Fixture writer it reuses): tensors "<case>/<what>", metadata "cases" and "<case>.<key>".

Per case: log_probs (T, N, C) = log_softmax of float32 normal logits, rounded to float32 (exactly what Loom
reads); targets (N, S) padded or (sum of lengths) concatenated, input_lengths (N), target_lengths (N), all as
float32 whole numbers; loss (the reduced loss, or (N) for reduction "none") and grad (the gradient that
F.ctc_loss sends to log_probs, of the loss or of (loss * gy).sum() with a stored gy for "none"). The
reference runs in float64 from the stored float32 inputs. Metadata: blank, reduction, zero_infinity.

Cases cover every reduction, padded and concatenated targets, repeated labels, targets as long as the input
allows (T equal to L plus the number of repeats), an empty target, input lengths below T, impossible
alignments (loss inf; the gradient NaN without zero_infinity, 0 with it), blank not 0, and a batch large
enough that Loom runs its samples in parallel.
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import Fixture  # noqa: E402

SEED = 1500


def min_frames(target):
    """Fewest frames an alignment needs: one per label plus a blank between each pair of equal neighbours."""
    return len(target) + sum(1 for a, b in zip(target, target[1:]) if a == b)


def random_target(length, classes, blank, repeat_p=0.0):
    labels = [c for c in range(classes) if c != blank]
    out = []
    for _ in range(length):
        if out and torch.rand(()) < repeat_p:
            out.append(out[-1])
        else:
            out.append(labels[int(torch.randint(len(labels), ()))])
    return out


def add_case(fx, name, T, C, targets, input_lengths, blank=0, reduction="mean", zero_infinity=False,
             concatenated=False):
    N = len(targets)
    logits = torch.randn(T, N, C, dtype=torch.float32) * 2.0
    log_probs32 = logits.log_softmax(2)  # float32, what is stored
    lp = log_probs32.to(torch.float64).requires_grad_(True)
    target_lengths = [len(t) for t in targets]
    if concatenated:
        flat = [v for t in targets for v in t]
        tg = torch.tensor(flat, dtype=torch.long)
    else:
        S = max(max(target_lengths), 1)
        tg = torch.zeros(N, S, dtype=torch.long)
        for i, t in enumerate(targets):
            tg[i, :len(t)] = torch.tensor(t, dtype=torch.long)
            # Padding holds arbitrary classes (not only blank), which must be ignored.
            tg[i, len(t):] = (blank + 1) % C
    loss = F.ctc_loss(lp, tg, torch.tensor(input_lengths), torch.tensor(target_lengths), blank=blank,
                      reduction=reduction, zero_infinity=zero_infinity)
    fx.case(name, blank=blank, reduction=reduction, zero_infinity=zero_infinity)
    if reduction == "none":
        gy = torch.randn(N, dtype=torch.float32).to(torch.float64)
        (loss * gy).sum().backward()
        fx.add(name, "gy", gy)
    else:
        loss.backward()
    fx.add(name, "log_probs", log_probs32)
    fx.add(name, "targets", tg.to(torch.float32))
    fx.add(name, "input_lengths", torch.tensor(input_lengths, dtype=torch.float32))
    fx.add(name, "target_lengths", torch.tensor(target_lengths, dtype=torch.float32))
    fx.add(name, "loss", loss.detach().reshape(-1) if reduction == "none" else loss.detach().reshape(1))
    fx.add(name, "grad", lp.grad)


def make_ctc():
    torch.manual_seed(SEED)
    fx = Fixture("ctc")
    C = 6

    # Plain random batches, each reduction, input lengths below T.
    for reduction in ("mean", "sum", "none"):
        targets = [random_target(L, C, 0) for L in (3, 5, 1, 4)]
        add_case(fx, f"basic_{reduction}", 14, C, targets, [14, 12, 9, 14], reduction=reduction)

    # Repeated labels (they need a blank between them), padded and concatenated.
    rep = [[1, 1, 2, 2, 2], [3, 3], [4, 1, 1, 4], [5, 5, 5, 5]]
    add_case(fx, "repeats_padded", 12, C, rep, [12, 11, 10, 12])
    add_case(fx, "repeats_concatenated", 12, C, rep, [12, 11, 10, 12], concatenated=True, reduction="none")

    # Targets as long as the input allows: exactly min_frames(target) frames (one alignment for a target
    # without repeats at T = L; with repeats every blank position is forced).
    tight = [[1, 2, 3, 4, 5, 1], [2, 2, 3, 3], [1, 1, 1], [4, 5, 4, 5, 4]]
    add_case(fx, "tight", 8, C, tight, [min_frames(t) for t in tight], reduction="sum")
    add_case(fx, "tight_plus_one", 8, C, tight, [min_frames(t) + 1 for t in tight], reduction="none")

    # An empty target (only blanks) next to others.
    add_case(fx, "empty_target", 7, C, [[], [2, 3], [], [1]], [7, 5, 3, 7], reduction="none")
    add_case(fx, "empty_target_mean", 7, C, [[], [2, 3], [], [1]], [7, 5, 3, 7])

    # Impossible alignments: sample 1 needs 6 frames but has 5; sample 3 has repeats that need 5 but has 4.
    imp = [[1, 2], [1, 2, 3, 4, 5, 1], [3], [2, 2, 2]]
    for reduction in ("mean", "sum", "none"):
        for zi in (False, True):
            add_case(fx, f"impossible_{reduction}_{'zi' if zi else 'nozi'}", 9, C, imp, [9, 5, 9, 4],
                     reduction=reduction, zero_infinity=zi)

    # Blank not 0: the last class, and one in the middle.
    for blank in (C - 1, 2):
        targets = [random_target(L, C, blank, repeat_p=0.3) for L in (4, 2, 6)]
        add_case(fx, f"blank{blank}", 13, C, targets, [13, 10, 13], blank=blank, reduction="none")
    add_case(fx, "blank5_zi", 6, C, [[1, 1, 1, 1], [2, 3]], [6, 6], blank=C - 1, zero_infinity=True)

    # A realistic-ish batch, large enough for Loom's parallel path (T·N·(2L+1) ≥ 20 000).
    Cb, T, N = 12, 60, 10
    targets = [random_target(int(torch.randint(8, 22, ())), Cb, 0, repeat_p=0.2) for _ in range(N)]
    lengths = [T - int(torch.randint(0, 10, ())) for _ in range(N)]
    add_case(fx, "batch_parallel", T, Cb, targets, lengths)
    add_case(fx, "batch_parallel_none", T, Cb, targets, lengths, reduction="none")
    return fx.write()


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    print(f"torch {torch.__version__}")
    size = make_ctc()
    if size > 500_000:
        sys.exit("ctc fixture exceeds 500 kB")
