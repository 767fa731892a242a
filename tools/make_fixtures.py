#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures for Loom's parity tests (tests/Loom.Tests/Parity).

Run from anywhere with Debian's torch (python3-torch):

    /usr/bin/python3 tools/make_fixtures.py

Every file is safetensors, float32 only, one file per family of operations:

    tests/Loom.Tests/Fixtures/parity/<family>.safetensors

A tensor is named "<case>/<what>" (e.g. "s2_p1/x", "s2_p1/grad_w"). The string metadata holds
"cases" (the case names, comma separated, in order) and each case's hyper-parameters as
"<case>.<key>" (e.g. "s2_p1.stride" = "2,2"). Integer targets are stored as float32 holding whole
numbers, as Loom keeps them.

Inputs are drawn in float32 from a seeded generator (so the stored inputs are exactly what the
reference saw); the references themselves are computed in float64 from those inputs and rounded to
float32 once, so a parity error measures Loom's float32 arithmetic and nothing of PyTorch's.
Gradients are of (y * gy).sum() for a stored random upstream gradient gy, or of a scalar loss.
"""

import os
import sys

import torch
import torch.nn.functional as F

import safetensors_io  # tools/, beside this script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "Loom.Tests", "Fixtures", "parity")


class Fixture:
    """One safetensors file: ordered float32 tensors plus string metadata."""

    def __init__(self, family):
        self.family = family
        self.tensors = []  # (name, float32 contiguous tensor)
        self.metadata = {}
        self.cases = []

    def case(self, name, **params):
        if name in self.cases:
            raise ValueError(f"{self.family}: duplicate case {name}")
        self.cases.append(name)
        for key, value in params.items():
            self.metadata[f"{name}.{key}"] = fmt(value)

    def add(self, case, what, t):
        t = t.detach().to(torch.float32).contiguous().cpu()
        self.tensors.append((f"{case}/{what}", t))

    def write(self):
        self.metadata["cases"] = ",".join(self.cases)
        path = os.path.join(OUT_DIR, f"{self.family}.safetensors")
        write_safetensors(path, self.tensors, self.metadata)
        size = os.path.getsize(path)
        print(f"wrote {os.path.relpath(path, ROOT)}: {len(self.cases)} cases, "
              f"{len(self.tensors)} tensors, {size} bytes")
        for c in self.cases:
            print(f"    {c}")
        return size


def fmt(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ",".join(fmt(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_safetensors(path, tensors, metadata):
    """(name, float32 tensor) pairs, data and header in the order given."""
    assert all(t.dtype == torch.float32 for _, t in tensors)
    safetensors_io.write(path, tensors, metadata)


def randn(*shape, scale=1.0):
    """float32 normal values (what is stored), returned as float64 leaves (what the reference uses)."""
    return (torch.randn(*shape, dtype=torch.float32) * scale).to(torch.float64)


def leaf(t):
    return t.clone().requires_grad_(True)


def backward(loss, gy):
    """Backward of a scalar loss, or of (loss * gy).sum() for an unreduced one."""
    if gy is None:
        loss.backward()
    else:
        (loss * gy).sum().backward()


# ---------------------------------------------------------------- Linear

def make_linear():
    fx = Fixture("linear")
    cases = [
        ("2d_bias", (4, 6), 5, True),
        ("2d_nobias", (4, 6), 5, False),
        ("3d_bias", (2, 3, 6), 4, True),
        ("3d_nobias", (2, 3, 7), 3, False),
    ]
    for name, xshape, out_f, bias in cases:
        in_f = xshape[-1]
        fx.case(name, bias=bias)
        x = leaf(randn(*xshape))
        w = leaf(randn(out_f, in_f, scale=0.5))
        b = leaf(randn(out_f)) if bias else None
        y = F.linear(x, w, b)
        gy = randn(*y.shape)
        (y * gy).sum().backward()
        fx.add(name, "x", x)
        fx.add(name, "w", w)
        if bias:
            fx.add(name, "b", b)
        fx.add(name, "y", y)
        fx.add(name, "gy", gy)
        fx.add(name, "grad_x", x.grad)
        fx.add(name, "grad_w", w.grad)
        if bias:
            fx.add(name, "grad_b", b.grad)
    return fx.write()


# ---------------------------------------------------------------- Conv2d

def make_conv2d():
    fx = Fixture("conv2d")
    # name, (N, C, H, W), O, (kH, kW), stride, padding, dilation, groups, bias
    cases = [
        ("basic_3x3", (1, 1, 5, 5), 1, (3, 3), (1, 1), (0, 0), (1, 1), 1, True),
        ("batch3_s1_p1", (3, 2, 6, 6), 4, (3, 3), (1, 1), (1, 1), (1, 1), 1, True),
        ("s2_p1", (2, 3, 8, 7), 4, (3, 3), (2, 2), (1, 1), (1, 1), 1, True),
        ("p2_d2", (1, 2, 9, 8), 3, (3, 3), (1, 1), (2, 2), (2, 2), 1, True),
        ("odd_7x9_k3x2", (3, 2, 7, 9), 3, (3, 2), (1, 1), (0, 0), (1, 1), 1, True),
        ("odd_k3x2_s2x1_p1x0", (2, 3, 7, 9), 2, (3, 2), (2, 1), (1, 0), (1, 1), 1, True),
        ("k2x4_s1x2_p0x2_d2x1", (1, 2, 8, 10), 3, (2, 4), (1, 2), (0, 2), (2, 1), 1, False),
        ("groups2", (2, 4, 6, 5), 6, (3, 3), (1, 1), (1, 1), (1, 1), 2, True),
        ("depthwise", (1, 3, 5, 6), 3, (3, 3), (2, 1), (1, 1), (1, 1), 3, False),
        ("pointwise_1x1", (3, 3, 4, 5), 5, (1, 1), (1, 1), (0, 0), (1, 1), 1, True),
        ("pointwise_1x1_s2", (1, 4, 5, 5), 2, (1, 1), (2, 2), (0, 0), (1, 1), 1, True),
        ("nobias_s2_d2", (2, 2, 9, 9), 3, (3, 3), (2, 2), (1, 1), (2, 2), 1, False),
        ("lenet_conv2_like", (2, 4, 14, 14), 8, (3, 3), (1, 1), (1, 1), (1, 1), 1, True),
    ]
    for name, xs, o, k, s, p, d, g, bias in cases:
        fx.case(name, stride=s, padding=p, dilation=d, groups=g, bias=bias)
        x = leaf(randn(*xs))
        w = leaf(randn(o, xs[1] // g, *k, scale=0.5))
        b = leaf(randn(o)) if bias else None
        y = F.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=g)
        gy = randn(*y.shape)
        (y * gy).sum().backward()
        fx.add(name, "x", x)
        fx.add(name, "w", w)
        if bias:
            fx.add(name, "b", b)
        fx.add(name, "y", y)
        fx.add(name, "gy", gy)
        fx.add(name, "grad_x", x.grad)
        fx.add(name, "grad_w", w.grad)
        if bias:
            fx.add(name, "grad_b", b.grad)
    return fx.write()


# ---------------------------------------------------------------- pooling

def pool_case(fx, name, x, fn, **params):
    fx.case(name, **params)
    x = leaf(x)
    y = fn(x)
    gy = randn(*y.shape)
    (y * gy).sum().backward()
    fx.add(name, "x", x)
    fx.add(name, "y", y)
    fx.add(name, "gy", gy)
    fx.add(name, "grad_x", x.grad)


def make_pooling():
    fx = Fixture("pooling")
    # Max pooling: distinct random values, so the arg-max (and its gradient) is unambiguous.
    for name, xs, k, s, p, d in [
        ("max_k2_s2", (2, 3, 6, 6), (2, 2), (2, 2), (0, 0), (1, 1)),
        ("max_k2_s2_odd", (1, 2, 7, 5), (2, 2), (2, 2), (0, 0), (1, 1)),
        ("max_k3_s2_p1", (2, 2, 7, 7), (3, 3), (2, 2), (1, 1), (1, 1)),
        ("max_k3_s1_d2", (1, 2, 8, 9), (3, 3), (1, 1), (0, 0), (2, 2)),
        ("max_k3_s2_p1_d2", (1, 2, 9, 8), (3, 3), (2, 2), (1, 1), (2, 2)),
        ("max_k2x3_s1x2_p1x1", (1, 2, 6, 7), (2, 3), (1, 2), (1, 1), (1, 1)),
    ]:
        pool_case(fx, name, randn(*xs),
                  lambda x, k=k, s=s, p=p, d=d: F.max_pool2d(x, k, s, p, d),
                  kind="max", kernel=k, stride=s, padding=p, dilation=d)
    for name, xs, k, s, p, incl in [
        ("avg_k2_s2", (2, 3, 6, 6), (2, 2), (2, 2), (0, 0), True),
        ("avg_k3_s2_p1_incl", (2, 2, 7, 7), (3, 3), (2, 2), (1, 1), True),
        ("avg_k3_s2_p1_excl", (2, 2, 7, 7), (3, 3), (2, 2), (1, 1), False),
        ("avg_k3_s1_p1_excl", (1, 2, 5, 6), (3, 3), (1, 1), (1, 1), False),
        ("avg_k2x3_s1x2_p1x1_incl", (1, 2, 6, 7), (2, 3), (1, 2), (1, 1), True),
        ("avg_k2x3_s1x2_p1x1_excl", (1, 2, 6, 7), (2, 3), (1, 2), (1, 1), False),
    ]:
        pool_case(fx, name, randn(*xs),
                  lambda x, k=k, s=s, p=p, incl=incl: F.avg_pool2d(x, k, s, p, count_include_pad=incl),
                  kind="avg", kernel=k, stride=s, padding=p, count_include_pad=incl)
    for name, xs, out in [
        ("adaptive_7x7_to_3x3", (2, 2, 7, 7), (3, 3)),
        ("adaptive_5x5_to_1x1", (2, 3, 5, 5), (1, 1)),
        ("adaptive_6x4_to_4x3", (1, 2, 6, 4), (4, 3)),
        ("adaptive_5x7_to_3x4", (1, 2, 5, 7), (3, 4)),
        ("adaptive_4x4_to_4x4", (1, 1, 4, 4), (4, 4)),
    ]:
        pool_case(fx, name, randn(*xs),
                  lambda x, out=out: F.adaptive_avg_pool2d(x, out),
                  kind="adaptive_avg", output=out)
    return fx.write()


# ---------------------------------------------------------------- batch norm

def make_batchnorm():
    fx = Fixture("batchnorm")
    momentum, eps = 0.1, 1e-5
    for name, xs, training in [
        ("bn1d_train", (8, 5), True),
        ("bn1d_eval", (6, 5), False),
        ("bn1d_ncl_train", (4, 3, 6), True),
        ("bn2d_train", (3, 4, 5, 5), True),
        ("bn2d_eval", (2, 4, 5, 3), False),
    ]:
        c = xs[1]
        fx.case(name, training=training, momentum=momentum, eps=eps)
        # Shifted and scaled input so that the batch statistics are far from (0, 1).
        x = leaf(randn(*xs, scale=2.0) + 0.7)
        w = leaf(randn(c, scale=0.5) + 1.0)
        b = leaf(randn(c, scale=0.5))
        rm = randn(c, scale=0.3)
        rv = torch.rand(c, dtype=torch.float32).to(torch.float64) * 1.5 + 0.5
        fx.add(name, "x", x)
        fx.add(name, "w", w)
        fx.add(name, "b", b)
        fx.add(name, "running_mean", rm)
        fx.add(name, "running_var", rv)
        rm_out, rv_out = rm.clone(), rv.clone()
        y = F.batch_norm(x, rm_out, rv_out, w, b, training=training, momentum=momentum, eps=eps)
        gy = randn(*y.shape)
        (y * gy).sum().backward()
        fx.add(name, "y", y)
        fx.add(name, "gy", gy)
        fx.add(name, "grad_x", x.grad)
        fx.add(name, "grad_w", w.grad)
        fx.add(name, "grad_b", b.grad)
        fx.add(name, "running_mean_after", rm_out)
        fx.add(name, "running_var_after", rv_out)
    return fx.write()


# ---------------------------------------------------------------- activations

def make_activations():
    fx = Fixture("activations")
    shape = (3, 4, 5)
    cases = [
        ("relu", lambda x: F.relu(x), {}, 2.0),
        ("leaky_relu_0.1", lambda x: F.leaky_relu(x, 0.1), {"negative_slope": 0.1}, 2.0),
        ("tanh", torch.tanh, {}, 2.0),
        ("sigmoid", torch.sigmoid, {}, 3.0),
        ("gelu", lambda x: F.gelu(x), {"approximate": "none"}, 2.5),
        ("softmax_dim1", lambda x: F.softmax(x, 1), {"dim": 1}, 2.0),
        ("softmax_dim-1", lambda x: F.softmax(x, -1), {"dim": -1}, 2.0),
        ("log_softmax_dim1", lambda x: F.log_softmax(x, 1), {"dim": 1}, 2.0),
        ("log_softmax_dim-1", lambda x: F.log_softmax(x, -1), {"dim": -1}, 2.0),
        # Large logits: exp overflows float32 unless the maximum is subtracted first.
        ("softmax_large_dim-1", lambda x: F.softmax(x, -1), {"dim": -1}, 60.0),
        ("log_softmax_large_dim1", lambda x: F.log_softmax(x, 1), {"dim": 1}, 60.0),
    ]
    for name, fn, params, scale in cases:
        fx.case(name, **params)
        x = leaf(randn(*shape, scale=scale))
        y = fn(x)
        gy = randn(*y.shape)
        (y * gy).sum().backward()
        fx.add(name, "x", x)
        fx.add(name, "y", y)
        fx.add(name, "gy", gy)
        fx.add(name, "grad_x", x.grad)
    return fx.write()


# ---------------------------------------------------------------- losses

def make_losses():
    fx = Fixture("losses")
    n, c = 6, 5

    def logits_case(scale=2.0, large=False):
        x = randn(n, c, scale=scale)
        if large:
            # Rows dominated by ±30 and ±100 entries: naive exp/log would overflow or lose everything.
            x[0, 1] = 30.0
            x[1, 3] = -30.0
            x[2, :] = torch.tensor([100.0, -100.0, 30.0, -30.0, 0.0], dtype=torch.float64)
            x[3, 0] = -100.0
        return x

    def targets(ignore=None):
        t = torch.randint(0, c, (n,), dtype=torch.int64)
        t[0] = 1  # the large-logit rows get known classes
        t[2] = 1
        if ignore is not None:
            t[1] = ignore
            t[4] = ignore
        return t

    def class_weights():
        return torch.rand(c, dtype=torch.float32).to(torch.float64) * 1.5 + 0.25

    def store_classification(name, kind, x, t, w, loss, gy, **params):
        fx.case(name, kind=kind, **params)
        fx.add(name, "input", x)
        fx.add(name, "target", t.to(torch.float32))
        if w is not None:
            fx.add(name, "weight", w)
        fx.add(name, "loss", loss)
        if gy is not None:
            fx.add(name, "gy", gy)
        fx.add(name, "grad_input", x.grad)

    # Cross-entropy on logits.
    for name, use_w, smooth, ignore, reduction, large in [
        ("ce_plain", False, 0.0, None, "mean", False),
        ("ce_weight", True, 0.0, None, "mean", False),
        ("ce_smooth", False, 0.1, None, "mean", False),
        ("ce_weight_smooth", True, 0.1, None, "mean", False),
        ("ce_ignore", False, 0.0, 2, "mean", False),
        ("ce_ignore_default", False, 0.0, -100, "mean", False),
        ("ce_ignore_weight_smooth", True, 0.1, 3, "mean", False),
        ("ce_sum", False, 0.0, None, "sum", False),
        ("ce_weight_smooth_sum", True, 0.2, None, "sum", False),
        ("ce_none", True, 0.1, None, "none", False),
        ("ce_large", False, 0.0, None, "mean", True),
        ("ce_large_smooth", False, 0.1, None, "mean", True),
    ]:
        ii = -100 if ignore is None else ignore
        x = leaf(logits_case(large=large))
        t = targets(ignore)
        w = class_weights() if use_w else None
        loss = F.cross_entropy(x, t, weight=w, ignore_index=ii, reduction=reduction, label_smoothing=smooth)
        gy = randn(*loss.shape) if reduction == "none" else None
        backward(loss, gy)
        store_classification(name, "cross_entropy", x, t, w, loss, gy,
                             label_smoothing=smooth, ignore_index=ii, reduction=reduction)

    # NLL on log-probabilities.
    for name, use_w, ignore, reduction in [
        ("nll_plain", False, None, "mean"),
        ("nll_weight", True, None, "mean"),
        ("nll_ignore_weight", True, 0, "mean"),
        ("nll_sum", False, None, "sum"),
        ("nll_none", True, None, "none"),
    ]:
        ii = -100 if ignore is None else ignore
        x = leaf(F.log_softmax(logits_case(), 1).float().double())
        t = targets(ignore)
        w = class_weights() if use_w else None
        loss = F.nll_loss(x, t, weight=w, ignore_index=ii, reduction=reduction)
        gy = randn(*loss.shape) if reduction == "none" else None
        backward(loss, gy)
        store_classification(name, "nll", x, t, w, loss, gy, ignore_index=ii, reduction=reduction)

    # Mean squared error; both sides get gradients.
    for name, shape, reduction in [("mse_mean", (4, 3), "mean"), ("mse_sum", (2, 3, 4), "sum"), ("mse_none", (3, 4), "none")]:
        fx.case(name, kind="mse", reduction=reduction)
        x = leaf(randn(*shape))
        t = leaf(randn(*shape))
        loss = F.mse_loss(x, t, reduction=reduction)
        gy = randn(*loss.shape) if reduction == "none" else None
        backward(loss, gy)
        fx.add(name, "input", x)
        fx.add(name, "target", t)
        fx.add(name, "loss", loss)
        if gy is not None:
            fx.add(name, "gy", gy)
        fx.add(name, "grad_input", x.grad)
        fx.add(name, "grad_target", t.grad)

    # Binary cross-entropy on logits; targets hard (0/1) and soft.
    for name, shape, pos_weight, reduction, large in [
        ("bce_plain", (4, 3), None, "mean", False),
        ("bce_pos_weight", (4, 3), "vector", "mean", False),
        ("bce_pos_weight_scalar", (5,), "scalar", "mean", False),
        ("bce_sum", (2, 3, 2), None, "sum", False),
        ("bce_none", (3, 4), "vector", "none", False),
        ("bce_large", (4, 3), "vector", "mean", True),
    ]:
        fx.case(name, kind="bce_with_logits", reduction=reduction)
        x = randn(*shape, scale=2.0)
        if large:
            flat = x.view(-1)
            flat[:8] = torch.tensor([30.0, -30.0, 100.0, -100.0, 30.0, -30.0, 100.0, -100.0], dtype=torch.float64)
        x = leaf(x)
        t = (torch.rand(*shape, dtype=torch.float32) > 0.5).to(torch.float64)
        t.view(-1)[1::3] = torch.rand(t.view(-1)[1::3].shape, dtype=torch.float32).to(torch.float64)  # some soft targets
        if large:
            t.view(-1)[:8] = torch.tensor([0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0], dtype=torch.float64)
        pw = None
        if pos_weight == "vector":
            pw = torch.rand(shape[-1], dtype=torch.float32).to(torch.float64) * 3 + 0.5
        elif pos_weight == "scalar":
            pw = torch.tensor([2.5], dtype=torch.float64)
        loss = F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction=reduction)
        gy = randn(*loss.shape) if reduction == "none" else None
        backward(loss, gy)
        fx.add(name, "input", x)
        fx.add(name, "target", t)
        if pw is not None:
            fx.add(name, "pos_weight", pw)
        fx.add(name, "loss", loss)
        if gy is not None:
            fx.add(name, "gy", gy)
        fx.add(name, "grad_input", x.grad)
    return fx.write()


# ---------------------------------------------------------------- optimizers

def make_optim():
    fx = Fixture("optim")
    shapes = [(3, 4), (5,)]
    steps = 3
    cases = [
        ("sgd_m0.9", "sgd", dict(lr=0.1, momentum=0.9)),
        ("sgd_m0.9_dampening0.5", "sgd", dict(lr=0.1, momentum=0.9, dampening=0.5)),
        ("sgd_nesterov_wd", "sgd", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2)),
        ("sgd_plain_wd", "sgd", dict(lr=0.1, weight_decay=1e-2)),
        ("adam", "adam", dict(lr=1e-2)),
        ("adam_wd", "adam", dict(lr=1e-2, betas=(0.8, 0.99), weight_decay=0.1)),
        ("adamw", "adamw", dict(lr=1e-2, weight_decay=0.1)),
        ("rmsprop", "rmsprop", dict(lr=1e-2)),
        ("rmsprop_m0.9_centered", "rmsprop", dict(lr=1e-2, momentum=0.9, centered=True)),
        ("rmsprop_wd", "rmsprop", dict(lr=1e-2, alpha=0.9, weight_decay=0.1)),
    ]
    ctors = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "rmsprop": torch.optim.RMSprop}
    for name, kind, hp in cases:
        params = [randn(*s) for s in shapes]
        grads = [[randn(*s) for s in shapes] for _ in range(steps)]
        # Full hyper-parameter set, PyTorch defaults filled in, so the C# side reads every value.
        defaults = {
            "sgd": dict(lr=None, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False),
            "adam": dict(lr=None, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0),
            "adamw": dict(lr=None, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01),
            "rmsprop": dict(lr=None, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False),
        }[kind]
        full = {**defaults, **hp}
        fx.case(name, kind=kind, steps=steps, params=len(shapes), **full)
        leaves = [p.clone().requires_grad_(True) for p in params]
        opt = ctors[kind](leaves, **hp)
        for i, p in enumerate(params):
            fx.add(name, f"param{i}", p)
        for k in range(steps):
            for i, p in enumerate(leaves):
                p.grad = grads[k][i].clone()
                fx.add(name, f"grad{i}_step{k}", grads[k][i])
            opt.step()
            for i, p in enumerate(leaves):
                fx.add(name, f"param{i}_after{k}", p)
    return fx.write()


# ---------------------------------------------------------------- whole model

def make_lenet():
    # Same structure as Loom's built-in "lenet" (and its state-dict names), with 4 and 8 channels and
    # a 16-unit hidden layer instead of 32, 64 and 128 so that the file stays small.
    fx = Fixture("lenet")
    c1, c2, hidden = 4, 8, 16
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, c1, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(c1, c2, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(c2 * 7 * 7, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10),
    )
    # Round the initial weights to float32 first, so that the stored state dict is what the float64
    # reference actually used.
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float())
    model = model.double()
    name = "slim"
    fx.case(name, conv1_out=c1, conv2_out=c2, hidden=hidden)
    x = torch.rand(2, 1, 28, 28, dtype=torch.float32).to(torch.float64)
    t = torch.tensor([3, 7], dtype=torch.int64)
    logits = model(x)
    loss = F.cross_entropy(logits, t)
    loss.backward()
    fx.add(name, "x", x)
    fx.add(name, "target", t.to(torch.float32))
    for k, v in model.state_dict().items():
        fx.add(name, f"state.{k}", v)
    fx.add(name, "logits", logits)
    fx.add(name, "loss", loss)
    for k, p in model.named_parameters():
        fx.add(name, f"grad.{k}", p.grad)
    return fx.write()


# ---------------------------------------------------------------- learning-rate schedules

def warmup_cosine(opt, warmup_steps, total_steps, eta_min):
    L = torch.optim.lr_scheduler
    return L.SequentialLR(opt, [L.LinearLR(opt, start_factor=1.0 / warmup_steps, end_factor=1.0,
                                           total_iters=warmup_steps - 1),
                                L.CosineAnnealingLR(opt, T_max=total_steps - warmup_steps, eta_min=eta_min)],
                          milestones=[warmup_steps])


def make_schedules():
    # The learning rate an optimizer holds at construction (index 0) and after each scheduler.step()
    # (index k), i.e. the rate used by optimizer step k+1. The schedulers compute in Python floats;
    # the values are rounded to float32 once.
    fx = Fixture("schedules")
    L = torch.optim.lr_scheduler
    cases = [
        ("step_s3_g0.5", 12, 0.1, lambda opt: L.StepLR(opt, step_size=3, gamma=0.5),
         dict(kind="step", lr=0.1, step_size=3, gamma=0.5)),
        ("step_s1_g0.9", 6, 0.05, lambda opt: L.StepLR(opt, step_size=1, gamma=0.9),
         dict(kind="step", lr=0.05, step_size=1, gamma=0.9)),
        # 12 steps of a 10-step schedule: PyTorch's cosine goes on past T_max (back up towards the base rate).
        ("cosine_t10_min1e-4", 12, 0.1, lambda opt: L.CosineAnnealingLR(opt, T_max=10, eta_min=1e-4),
         dict(kind="cosine", lr=0.1, t_max=10, eta_min=1e-4)),
        ("cosine_t4_min0", 4, 0.02, lambda opt: L.CosineAnnealingLR(opt, T_max=4),
         dict(kind="cosine", lr=0.02, t_max=4, eta_min=0.0)),
        # total_steps optimizer steps use the rates at indices 0 .. total_steps-1.
        ("onecycle_20", 19, 0.01, lambda opt: L.OneCycleLR(opt, max_lr=0.1, total_steps=20, pct_start=0.3,
                                                           anneal_strategy="cos", div_factor=25.0,
                                                           final_div_factor=1e4, cycle_momentum=False),
         dict(kind="onecycle", lr=0.01, max_lr=0.1, total_steps=20, pct_start=0.3, div_factor=25.0,
              final_div_factor=1e4)),
        # A warm-up that ends between steps (0.25 * 7 - 1 = 0.75).
        ("onecycle_7_pct0.25", 6, 0.01, lambda opt: L.OneCycleLR(opt, max_lr=0.5, total_steps=7, pct_start=0.25,
                                                                 anneal_strategy="cos", div_factor=10.0,
                                                                 final_div_factor=100.0, cycle_momentum=False),
         dict(kind="onecycle", lr=0.01, max_lr=0.5, total_steps=7, pct_start=0.25, div_factor=10.0,
              final_div_factor=100.0)),
        # Linear warm-up then cosine: LinearLR rising from base/W to base over W - 1 steps, CosineAnnealingLR from
        # the milestone W on; 12 steps of a 10-step schedule (past the end the cosine rises again).
        ("warmupcosine_w3_t10", 12, 0.1, lambda opt: warmup_cosine(opt, 3, 10, 0.0),
         dict(kind="warmupcosine", lr=0.1, warmup_steps=3, total_steps=10, eta_min=0.0)),
        # A one-step warm-up (the first batch at the full rate) and a floor.
        ("warmupcosine_w1_t6_min1e-3", 5, 0.02, lambda opt: warmup_cosine(opt, 1, 6, 1e-3),
         dict(kind="warmupcosine", lr=0.02, warmup_steps=1, total_steps=6, eta_min=1e-3)),
    ]
    for name, steps, lr, make, params in cases:
        fx.case(name, steps=steps, **params)
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
        sched = make(opt)
        lrs = [opt.param_groups[0]["lr"]]
        for _ in range(steps):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        fx.add(name, "lr", torch.tensor(lrs, dtype=torch.float64))
    return fx.write()


# ---------------------------------------------------------------- gradient clipping

def make_clipping():
    # torch.nn.utils.clip_grad_norm_ (L2) over several parameters: the returned total norm and the
    # gradients after clipping. A parameter without a gradient is skipped (has_grad = false).
    fx = Fixture("clipping")
    shapes = [(3, 4), (5,), (2, 2, 2)]
    for name, scale, max_norm, has_grad in [
        ("clip_below", 1.0, 1.0, (True, True, True)),
        ("clip_above", 1.0, 100.0, (True, True, True)),
        ("clip_just_below", 1.0, None, (True, True, True)),
        ("clip_skips_missing_grad", 2.0, 0.5, (True, False, True)),
        # Gradients of norm ~5e-3: the 1e-6 PyTorch adds to the norm changes the scale by ~2e-4.
        ("clip_tiny", 1e-3, 1e-4, (True, True, True)),
    ]:
        grads = [randn(*s, scale=scale) for s in shapes]
        if max_norm is None:
            # Just under the norm: clipped by a factor close to 1.
            norm = torch.sqrt(sum((g * g).sum() for g in grads))
            max_norm = float(norm.float()) * 0.99
        fx.case(name, params=len(shapes), max_norm=max_norm, has_grad=has_grad)
        leaves = [torch.zeros(*s, requires_grad=True) for s in shapes]
        for i, (p, g) in enumerate(zip(leaves, grads)):
            if has_grad[i]:
                p.grad = g.clone()
                fx.add(name, f"grad{i}", g)
        total = torch.nn.utils.clip_grad_norm_(leaves, max_norm)
        fx.add(name, "total_norm", total.reshape(1))
        for i, p in enumerate(leaves):
            if has_grad[i]:
                fx.add(name, f"clipped{i}", p.grad)
    return fx.write()


def main():
    torch.manual_seed(20240611)
    torch.set_default_dtype(torch.float64)
    os.makedirs(OUT_DIR, exist_ok=True)
    print(f"torch {torch.__version__}")
    total = 0
    # Each family reseeds, so that editing one does not change the others.
    for seed, make in enumerate([make_linear, make_conv2d, make_pooling, make_batchnorm,
                                 make_activations, make_losses, make_optim, make_lenet,
                                 make_schedules, make_clipping]):
        torch.manual_seed(1000 + seed)
        total += make()
    print(f"total {total} bytes in {os.path.relpath(OUT_DIR, ROOT)}")
    if total > 2_000_000:
        sys.exit("fixtures exceed 2 MB")


# ================================================================ Conv1d and 1-D pooling
# conv1d.safetensors: F.conv1d and the 1-D pools (max, avg, adaptive avg, adaptive max), each case's
# "kind" in its metadata. A separate block with its own entry point and its own seed, so that the
# families above are untouched: running the script writes them (byte-identical) and then this one.
# To write only this family:
#     /usr/bin/python3 -c 'import sys; sys.path.insert(0, "tools"); import make_fixtures as m; m.make_conv1d()'

CONV1D_SEED = 2100


def make_conv1d():
    torch.manual_seed(CONV1D_SEED)
    fx = Fixture("conv1d")
    # name, (N, C, L), O, k, stride, padding, dilation, groups, bias
    for name, xs, o, k, s, p, d, g, bias in [
        ("conv_basic_k3", (1, 1, 7), 1, 3, 1, 0, 1, 1, True),
        ("conv_batch3_p1", (3, 2, 10), 4, 3, 1, 1, 1, 1, True),
        ("conv_s2_p1_odd", (2, 3, 11), 4, 3, 2, 1, 1, 1, True),
        ("conv_k5_s3_p2_nobias", (3, 2, 13), 3, 5, 3, 2, 1, 1, False),
        ("conv_d2_p2", (1, 2, 9), 3, 3, 1, 2, 2, 1, True),
        ("conv_k4_s2_p1_d3", (2, 3, 17), 2, 4, 2, 1, 3, 1, True),
        ("conv_groups2", (2, 4, 9), 6, 3, 1, 1, 1, 2, True),
        ("conv_depthwise_s2", (3, 3, 8), 3, 3, 2, 1, 1, 3, False),
        ("conv_depthwise_x2_k2", (1, 2, 7), 4, 2, 1, 0, 1, 2, True),
        ("conv_pointwise_k1", (3, 3, 6), 5, 1, 1, 0, 1, 1, True),
        ("conv_pointwise_k1_s2", (1, 4, 9), 2, 1, 2, 0, 1, 1, True),
        ("conv_kernel_covers_input", (2, 2, 5), 3, 5, 1, 0, 1, 1, True),
        ("conv_text_like_k5_p2", (3, 8, 20), 6, 5, 1, 2, 1, 1, True),
    ]:
        fx.case(name, kind="conv", stride=s, padding=p, dilation=d, groups=g, bias=bias)
        x = leaf(randn(*xs))
        w = leaf(randn(o, xs[1] // g, k, scale=0.5))
        b = leaf(randn(o)) if bias else None
        y = F.conv1d(x, w, b, stride=s, padding=p, dilation=d, groups=g)
        gy = randn(*y.shape)
        (y * gy).sum().backward()
        fx.add(name, "x", x)
        fx.add(name, "w", w)
        if bias:
            fx.add(name, "b", b)
        fx.add(name, "y", y)
        fx.add(name, "gy", gy)
        fx.add(name, "grad_x", x.grad)
        fx.add(name, "grad_w", w.grad)
        if bias:
            fx.add(name, "grad_b", b.grad)
    # Max pools: random normal values are distinct, so every arg-max (and its gradient) is unambiguous.
    for name, xs, k, s, p, d in [
        ("max_k2", (2, 3, 8), 2, 2, 0, 1),
        ("max_k2_odd", (1, 2, 9), 2, 2, 0, 1),
        ("max_k3_s2_p1", (3, 2, 10), 3, 2, 1, 1),
        ("max_k3_s1_d2", (1, 2, 11), 3, 1, 0, 2),
        ("max_k3_s2_p1_d2", (2, 2, 12), 3, 2, 1, 2),
        ("max_k4_s3_p2", (1, 3, 13), 4, 3, 2, 1),
    ]:
        pool_case(fx, name, randn(*xs),
                  lambda x, k=k, s=s, p=p, d=d: F.max_pool1d(x, k, s, p, d),
                  kind="max", kernel=k, stride=s, padding=p, dilation=d)
    for name, xs, k, s, p, incl in [
        ("avg_k2", (2, 3, 8), 2, 2, 0, True),
        ("avg_k3_s2_p1_incl", (3, 2, 10), 3, 2, 1, True),
        ("avg_k3_s2_p1_excl", (3, 2, 10), 3, 2, 1, False),
        ("avg_k3_s1_p1_excl", (1, 2, 7), 3, 1, 1, False),
        ("avg_k4_s3_p2_incl", (1, 3, 13), 4, 3, 2, True),
        ("avg_k4_s3_p2_excl", (1, 3, 13), 4, 3, 2, False),
    ]:
        pool_case(fx, name, randn(*xs),
                  lambda x, k=k, s=s, p=p, incl=incl: F.avg_pool1d(x, k, s, p, count_include_pad=incl),
                  kind="avg", kernel=k, stride=s, padding=p, count_include_pad=incl)
    # Adaptive pools: lengths not divisible by the output size give windows of unequal, overlapping size.
    for kind, fn in [("adaptive_avg", F.adaptive_avg_pool1d), ("adaptive_max", F.adaptive_max_pool1d)]:
        for suffix, xs, out in [
            ("10_to_3", (2, 2, 10), 3),
            ("7_to_3", (3, 2, 7), 3),
            ("13_to_5", (1, 3, 13), 5),
            ("9_to_1_global", (3, 2, 9), 1),
            ("4_to_6_upsample", (1, 2, 4), 6),
            ("5_to_5", (1, 2, 5), 5),
        ]:
            pool_case(fx, f"{kind}_{suffix}", randn(*xs),
                      lambda x, fn=fn, out=out: fn(x, out),
                      kind=kind, output=out)
    return fx.write()


# ================================================================ recurrent networks and embeddings
# recurrent.safetensors: nn.RNN (tanh, relu), nn.LSTM and nn.GRU over whole sequences (stacked,
# bidirectional, batch-first, with and without an initial state, variable lengths through
# pack_padded_sequence(enforce_sorted=False) / pad_packed_sequence(total_length=T)), the three cells,
# and F.embedding with and without padding_idx. Each case's "kind" is in its metadata; parameters are
# stored under their state-dict names ("<case>/state.weight_ih_l0") with their gradients
# ("<case>/grad.weight_ih_l0"). The gradients are of
#     L = sum(output * g_out) + sum(h_n * g_h) (+ sum(c_n * g_c))
# for stored random g_*. Own seed and entry point, as the conv1d block. To write only this family:
#     /usr/bin/python3 -c 'import sys; sys.path.insert(0, "tools"); import make_fixtures as m; m.make_recurrent()'

RECURRENT_SEED = 2200


def _recurrent_module(kind, input_size, hidden, **kw):
    if kind in ("rnn_tanh", "rnn_relu"):
        return torch.nn.RNN(input_size, hidden, nonlinearity=kind[4:], **kw)
    return {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](input_size, hidden, **kw)


def _recurrent_cell(kind, input_size, hidden, bias):
    if kind in ("rnn_tanh", "rnn_relu"):
        return torch.nn.RNNCell(input_size, hidden, bias=bias, nonlinearity=kind[4:])
    return {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[kind](input_size, hidden, bias=bias)


def _float32_params(module):
    # PyTorch's own initialisation, rounded to float32 so that the stored state dict is what the
    # float64 reference used.
    module = module.double()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.float())
    return module


def _recurrent_layer_case(fx, name, kind, T, N, I, H, layers, bidirectional, batch_first, bias, state, lengths):
    D = 2 if bidirectional else 1
    fx.case(name, kind=kind, steps=T, batch=N, input_size=I, hidden_size=H, num_layers=layers,
            bidirectional=bidirectional, batch_first=batch_first, bias=bias, initial_state=state,
            lengths=lengths if lengths else "none")
    model = _float32_params(_recurrent_module(kind, I, H, num_layers=layers, bias=bias,
                                              batch_first=batch_first, bidirectional=bidirectional))
    lstm = kind == "lstm"
    x = leaf(randn(*((N, T, I) if batch_first else (T, N, I))))
    h0 = leaf(randn(layers * D, N, H, scale=0.5)) if state else None
    c0 = leaf(randn(layers * D, N, H, scale=0.5)) if state and lstm else None
    hx = ((h0, c0) if lstm else h0) if state else None
    if lengths:
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first,
                                                         enforce_sorted=False)
        out_packed, final = model(packed, hx)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out_packed, batch_first=batch_first, total_length=T)
    else:
        out, final = model(x, hx)
    h_n, c_n = final if lstm else (final, None)
    g_out = randn(*out.shape)
    g_h = randn(*h_n.shape)
    loss = (out * g_out).sum() + (h_n * g_h).sum()
    if lstm:
        g_c = randn(*c_n.shape)
        loss = loss + (c_n * g_c).sum()
    loss.backward()
    fx.add(name, "x", x)
    if state:
        fx.add(name, "h0", h0)
        if lstm:
            fx.add(name, "c0", c0)
    for k, v in model.state_dict().items():
        fx.add(name, f"state.{k}", v)
    fx.add(name, "output", out)
    fx.add(name, "h_n", h_n)
    fx.add(name, "g_out", g_out)
    fx.add(name, "g_h", g_h)
    if lstm:
        fx.add(name, "c_n", c_n)
        fx.add(name, "g_c", g_c)
    fx.add(name, "grad_x", x.grad)
    if state:
        fx.add(name, "grad_h0", h0.grad)
        if lstm:
            fx.add(name, "grad_c0", c0.grad)
    for k, p in model.named_parameters():
        fx.add(name, f"grad.{k}", p.grad)


def _recurrent_cell_case(fx, name, kind, N, I, H, bias, state):
    fx.case(name, kind=kind + "_cell", batch=N, input_size=I, hidden_size=H, bias=bias, initial_state=state)
    cell = _float32_params(_recurrent_cell(kind, I, H, bias))
    lstm = kind == "lstm"
    x = leaf(randn(N, I))
    h0 = leaf(randn(N, H, scale=0.5)) if state else None
    c0 = leaf(randn(N, H, scale=0.5)) if state and lstm else None
    if lstm:
        h1, c1 = cell(x, (h0, c0) if state else None)
    else:
        h1, c1 = cell(x, h0), None
    g_h = randn(*h1.shape)
    loss = (h1 * g_h).sum()
    if lstm:
        g_c = randn(*c1.shape)
        loss = loss + (c1 * g_c).sum()
    loss.backward()
    fx.add(name, "x", x)
    if state:
        fx.add(name, "h0", h0)
        if lstm:
            fx.add(name, "c0", c0)
    for k, v in cell.state_dict().items():
        fx.add(name, f"state.{k}", v)
    fx.add(name, "h1", h1)
    fx.add(name, "g_h", g_h)
    if lstm:
        fx.add(name, "c1", c1)
        fx.add(name, "g_c", g_c)
    fx.add(name, "grad_x", x.grad)
    if state:
        fx.add(name, "grad_h0", h0.grad)
        if lstm:
            fx.add(name, "grad_c0", c0.grad)
    for k, p in cell.named_parameters():
        fx.add(name, f"grad.{k}", p.grad)


def _embedding_case(fx, name, V, dim, idx, padding_idx):
    fx.case(name, kind="embedding", num_embeddings=V, embedding_dim=dim,
            padding_idx="none" if padding_idx is None else padding_idx)
    # A random padding row too: F.embedding returns it as it is and only withholds its gradient.
    w = leaf(randn(V, dim))
    idx = torch.tensor(idx, dtype=torch.int64)
    y = F.embedding(idx, w, padding_idx=padding_idx)
    gy = randn(*y.shape)
    (y * gy).sum().backward()
    fx.add(name, "indices", idx.to(torch.float32))
    fx.add(name, "weight", w)
    fx.add(name, "y", y)
    fx.add(name, "gy", gy)
    fx.add(name, "grad_weight", w.grad)


def make_recurrent():
    torch.manual_seed(RECURRENT_SEED)
    saved_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        fx = Fixture("recurrent")
        for kind in ("rnn_tanh", "rnn_relu", "lstm", "gru"):
            # suffix, T, N, in, H, layers, bidirectional, batch_first, bias, initial state, lengths
            for suffix, T, N, I, H, L, bi, bf, bias, state, lengths in [
                ("l1", 5, 3, 4, 3, 1, False, False, True, False, None),
                ("l2_bi_state", 4, 2, 3, 4, 2, True, False, True, True, None),
                ("bf_state_len", 6, 3, 4, 3, 1, False, True, True, True, [6, 2, 4]),
                # The longest sequence is shorter than T: every step past 4 is padding for all.
                ("l2_len_maxlt_t", 5, 3, 2, 5, 2, False, False, True, False, [4, 2, 3]),
                ("l2_bi_bf_len_state_nobias", 5, 4, 3, 3, 2, True, True, False, True, [3, 5, 1, 4]),
            ]:
                _recurrent_layer_case(fx, f"{kind}_{suffix}", kind, T, N, I, H, L, bi, bf, bias, state, lengths)
        for kind in ("rnn_tanh", "rnn_relu", "lstm", "gru"):
            _recurrent_cell_case(fx, f"{kind}_cell_state", kind, 3, 4, 5, True, True)
            _recurrent_cell_case(fx, f"{kind}_cell_nostate_nobias", kind, 2, 3, 4, False, False)
        _embedding_case(fx, "embedding_plain", 7, 3, [[0, 3, 6, 3, 1], [2, 2, 5, 0, 3]], None)
        _embedding_case(fx, "embedding_padding", 6, 4, [[2, 1, 2, 5], [0, 2, 4, 1], [3, 3, 2, 0]], 2)
        _embedding_case(fx, "embedding_padding_negative", 5, 2, [4, 0, 4, 1, 3, 4], -1)
        return fx.write()
    finally:
        torch.set_default_dtype(saved_dtype)


SEQUENCE_SEED = 4321


def make_sequence():
    """Ops that sequence models add around the recurrent layers: narrow, pooling over valid steps,
    per-step cross-entropy that skips padding (ignore_index=-100), and a bidirectional LSTM's final state."""
    torch.manual_seed(SEQUENCE_SEED)
    saved_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        fx = Fixture("sequence")
        for name, shape, dim, start, length in [("narrow_mid", (3, 5, 4), 1, 1, 3), ("narrow_first", (4, 2, 3), 0, 0, 1), ("narrow_last", (2, 3, 6), -1, 4, 2)]:
            fx.case(name, kind="narrow", dim=dim, start=start, length=length)
            x = leaf(randn(*shape))
            y = torch.narrow(x, dim, start, length)
            gy = randn(*y.shape)
            backward(y, gy)
            for what, t in [("x", x), ("y", y), ("gy", gy), ("grad_x", x.grad)]:
                fx.add(name, what, t)
        for mode in ("max", "mean"):
            for suffix, (N, T, Fd), lengths in [("len", (3, 6, 4), [6, 2, 4]), ("full", (2, 5, 3), [5, 5])]:
                name = f"pool_{mode}_{suffix}"
                fx.case(name, kind="pool", mode=mode, lengths=lengths)
                x = leaf(randn(N, T, Fd))
                mask = (torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]).unsqueeze(-1)
                if mode == "max":
                    y = x.masked_fill(~mask, float("-inf")).max(dim=1).values
                else:
                    y = (x * mask).sum(dim=1) / torch.tensor(lengths, dtype=x.dtype)[:, None]
                gy = randn(*y.shape)
                backward(y, gy)
                for what, t in [("x", x), ("y", y), ("gy", gy), ("grad_x", x.grad)]:
                    fx.add(name, what, t)
        for name, (N, T, C), smoothing in [("step_ce", (3, 5, 7), 0.0), ("step_ce_smooth", (2, 4, 5), 0.1)]:
            fx.case(name, kind="step_ce", label_smoothing=smoothing)
            logits = leaf(randn(N, T, C))
            targets = torch.randint(0, C, (N, T))
            targets[0, -2:] = -100
            targets[-1, 1:] = -100
            loss = F.cross_entropy(logits.reshape(-1, C), targets.reshape(-1), ignore_index=-100, label_smoothing=smoothing)
            loss.backward()
            for what, t in [("logits", logits), ("targets", targets.to(torch.float64)), ("loss", loss.reshape(1)), ("grad_logits", logits.grad)]:
                fx.add(name, what, t)
        # A bidirectional two-layer LSTM's final state as a classifier reads it: h_n[-2:] → (N, 2H), forward first.
        name = "lstm_final_state_bi"
        N, T, I, H = 3, 5, 4, 3
        lengths = [5, 2, 4]
        fx.case(name, kind="final_state", hidden=H, lengths=lengths)
        lstm = torch.nn.LSTM(I, H, num_layers=2, bidirectional=True, batch_first=True)
        x = leaf(randn(N, T, I))
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        _, (h, _) = lstm(packed)
        y = torch.cat([h[-2], h[-1]], dim=1)
        gy = randn(*y.shape)
        backward(y, gy)
        for what, t in [("x", x), ("y", y), ("gy", gy), ("grad_x", x.grad)]:
            fx.add(name, what, t)
        for pname, p in lstm.named_parameters():
            fx.add(name, "state." + pname, p)
            fx.add(name, "grad." + pname, p.grad)
        return fx.write()
    finally:
        torch.set_default_dtype(saved_dtype)


# ================================================================ CNN vs RNN building blocks (issue 5)
# compare.safetensors: the ops the CNN variants of `loom compare` add, and three small models built as the
# model zoo builds its CNN variants, each case's "kind" in its metadata:
#   pad1d         F.pad(x, (left, right)) on the last dimension
#   causal_conv   F.conv1d(F.pad(x, (dilation * (k - 1), 0)), w, b, stride, dilation=dilation)
#   concat        torch.cat(xs, dim) of 2 or 3 inputs ("x0", "x1", …)
#   transpose     x.transpose(dim0, dim1);  permute_flatten: x.permute(dims).flatten(2, 3)
#   textcnn       Embedding(pad 0) → transpose(1, 2) → [Conv1d(w, padding w − 1) → ReLU → AdaptiveMaxPool1d(1) →
#                 Flatten] per width, concatenated → Linear (Kim's TextCNN without dropout)
#   hybrid        Conv2d → ReLU → MaxPool2d(2) → permute(0, 3, 1, 2) → flatten(2, 3) → LSTM, final state → Linear
#   dilated_lm    Embedding → transpose → causal Conv1d (dilation 1) → ReLU → residual [causal Conv1d (dilation 2) →
#                 ReLU] → transpose → Linear at every step
#   cnn_tagger    Embedding(pad 0) → transpose → Conv1d(padding 1) → ReLU → residual [Conv1d(dilation 2, padding 2) →
#                 ReLU] → transpose → Linear at every step
# Models store their state dict under Loom's (= this Sequential's) names ("<case>/state.2.0.0.weight") and the
# gradients of (y * gy).sum() under "<case>/grad.<name>". Own seed and entry point, as the conv1d block. To write
# only this family:
#     /usr/bin/python3 -c 'import sys; sys.path.insert(0, "tools"); import make_fixtures as m; m.make_compare()'

COMPARE_SEED = 2500


class _Transpose(torch.nn.Module):
    def __init__(self, dim0, dim1):
        super().__init__()
        self.dims = (dim0, dim1)

    def forward(self, x):
        return x.transpose(*self.dims)


class _PermuteFlatten(torch.nn.Module):
    """(N, C, H, W) → (N, W, C·H): Loom's Permute(0, 3, 1, 2) and Flatten(2, 3) in one parameterless module."""

    def forward(self, x):
        return x.permute(0, 3, 1, 2).flatten(2, 3)


class _Concat(torch.nn.ModuleList):
    """Branches as a ModuleList, so that their parameters are named "<i>.<j>.weight" as in Loom's Concat."""

    def __init__(self, dim, branches):
        super().__init__(branches)
        self.dim = dim

    def forward(self, x):
        return torch.cat([b(x) for b in self], self.dim)


class _CausalConv1d(torch.nn.Conv1d):
    def forward(self, x):
        left = self.dilation[0] * (self.kernel_size[0] - 1)
        return F.conv1d(F.pad(x, (left, 0)), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class _Residual(torch.nn.Sequential):
    """x + layers(x), its layers named "<i>.weight" as in Loom's Residual."""

    def forward(self, x):
        return x + super().forward(x)


class _FinalState(torch.nn.LSTM):
    """An LSTM (batch first) that returns the last layer's final hidden state, as Loom's return_sequences=false."""

    def forward(self, x):
        _, (h, _) = super().forward(x)
        return h[-1]


def _compare_model_case(fx, name, kind, model, x, **params):
    fx.case(name, kind=kind, **params)
    model = _float32_params(model)
    y = model(x)
    gy = randn(*y.shape)
    (y * gy).sum().backward()
    fx.add(name, "x", x)
    for k, v in model.state_dict().items():
        fx.add(name, f"state.{k}", v)
    fx.add(name, "y", y)
    fx.add(name, "gy", gy)
    if x.requires_grad:
        fx.add(name, "grad_x", x.grad)
    for k, p in model.named_parameters():
        fx.add(name, f"grad.{k}", p.grad)


def make_compare():
    torch.manual_seed(COMPARE_SEED)
    saved_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        fx = Fixture("compare")
        for name, shape, left, right in [("pad_left", (2, 3, 5), 2, 0), ("pad_both", (3, 4), 1, 3), ("pad_3d_right", (1, 2, 4), 0, 2)]:
            fx.case(name, kind="pad1d", left=left, right=right)
            x = leaf(randn(*shape))
            y = F.pad(x, (left, right))
            gy = randn(*y.shape)
            backward(y, gy)
            for what, t in [("x", x), ("y", y), ("gy", gy), ("grad_x", x.grad)]:
                fx.add(name, what, t)
        # name, (N, C, L), O, k, stride, dilation, bias
        for name, xs, o, k, s, d, bias in [
            ("causal_k3_d1", (2, 3, 7), 4, 3, 1, 1, True),
            ("causal_k3_d2", (2, 3, 9), 4, 3, 1, 2, True),
            ("causal_k2_d4_nobias", (1, 2, 10), 3, 2, 1, 4, False),
            ("causal_k3_s2_d1", (2, 2, 9), 2, 3, 2, 1, True),
            ("causal_span_longer_than_input", (1, 2, 3), 2, 3, 1, 2, True),
        ]:
            fx.case(name, kind="causal_conv", stride=s, dilation=d, bias=bias)
            x = leaf(randn(*xs))
            w = leaf(randn(o, xs[1], k, scale=0.5))
            b = leaf(randn(o)) if bias else None
            y = F.conv1d(F.pad(x, (d * (k - 1), 0)), w, b, stride=s, dilation=d)
            gy = randn(*y.shape)
            backward(y, gy)
            fx.add(name, "x", x)
            fx.add(name, "w", w)
            if bias:
                fx.add(name, "b", b)
            for what, t in [("y", y), ("gy", gy), ("grad_x", x.grad), ("grad_w", w.grad)]:
                fx.add(name, what, t)
            if bias:
                fx.add(name, "grad_b", b.grad)
        for name, shapes, dim in [
            ("concat_features", [(2, 3), (2, 5), (2, 1)], 1),
            ("concat_channels", [(2, 2, 3), (2, 4, 3)], 1),
            ("concat_last", [(2, 3, 2), (2, 3, 4), (2, 3, 1)], -1),
            ("concat_batch", [(1, 3), (2, 3)], 0),
        ]:
            fx.case(name, kind="concat", dim=dim, inputs=len(shapes))
            xs = [leaf(randn(*sh)) for sh in shapes]
            y = torch.cat(xs, dim)
            gy = randn(*y.shape)
            backward(y, gy)
            for i, x in enumerate(xs):
                fx.add(name, f"x{i}", x)
            fx.add(name, "y", y)
            fx.add(name, "gy", gy)
            for i, x in enumerate(xs):
                fx.add(name, f"grad_x{i}", x.grad)
        fx.case("transpose_ntE", kind="transpose", dim0=1, dim1=2)
        x = leaf(randn(2, 5, 3))
        y = x.transpose(1, 2)
        gy = randn(*y.shape)
        backward(y, gy)
        for what, t in [("x", x), ("y", y), ("gy", gy), ("grad_x", x.grad)]:
            fx.add("transpose_ntE", what, t)
        fx.case("permute_columns", kind="permute_flatten", dims=(0, 3, 1, 2))
        x = leaf(randn(2, 3, 4, 5))
        y = x.permute(0, 3, 1, 2).flatten(2, 3)
        gy = randn(*y.shape)
        backward(y, gy)
        for what, t in [("x", x), ("y", y), ("gy", gy), ("grad_x", x.grad)]:
            fx.add("permute_columns", what, t)

        # Whole small models. Token ids as float64 whole numbers are converted inside the embedding wrapper.
        V, E = 11, 6
        textcnn = torch.nn.Sequential(
            _TokenEmbedding(V, E, padding_idx=0),
            _Transpose(1, 2),
            _Concat(1, [torch.nn.Sequential(torch.nn.Conv1d(E, 4, w, padding=w - 1), torch.nn.ReLU(),
                                            torch.nn.AdaptiveMaxPool1d(1), torch.nn.Flatten()) for w in (2, 3)]),
            torch.nn.Linear(8, 3))
        tokens = torch.tensor([[3, 5, 1, 7, 2, 9, 4], [6, 2, 10, 8, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0]], dtype=torch.float64)
        _compare_model_case(fx, "textcnn_small", "textcnn", textcnn, tokens, vocab=V, embedding=E, widths=(2, 3), maps=4, classes=3)

        hybrid = torch.nn.Sequential(
            torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            _PermuteFlatten(), torch.nn.Identity(),  # Loom's layers 3 and 4: Permute(0, 3, 1, 2), Flatten(2, 3)
            _FinalState(12, 5, batch_first=True), torch.nn.Linear(5, 4))
        _compare_model_case(fx, "hybrid_small", "hybrid", hybrid, leaf(randn(2, 1, 8, 8)), channels=3, hidden=5, classes=4)

        V = 9
        lm = torch.nn.Sequential(
            _TokenEmbedding(V, 4),
            _Transpose(1, 2),
            _CausalConv1d(4, 5, 3, dilation=1), torch.nn.ReLU(),
            _Residual(_CausalConv1d(5, 5, 3, dilation=2), torch.nn.ReLU()),
            _Transpose(1, 2),
            torch.nn.Linear(5, V))
        tokens = torch.tensor([[1, 4, 2, 8, 3, 3, 7, 0, 5, 6], [2, 2, 6, 1, 0, 4, 8, 5, 7, 3]], dtype=torch.float64)
        _compare_model_case(fx, "dilated_lm_small", "dilated_lm", lm, tokens, vocab=V, embedding=4, width=5)

        # The tagger: same-padded dilated convolutions, the second in a residual block, a Linear at every step.
        V = 12
        tagger = torch.nn.Sequential(
            _TokenEmbedding(V, 5, padding_idx=0),
            _Transpose(1, 2),
            torch.nn.Conv1d(5, 6, 3, padding=1), torch.nn.ReLU(),
            _Residual(torch.nn.Conv1d(6, 6, 3, padding=2, dilation=2), torch.nn.ReLU()),
            _Transpose(1, 2),
            torch.nn.Linear(6, 4))
        tokens = torch.tensor([[3, 5, 11, 7, 2, 9], [6, 2, 10, 0, 0, 0]], dtype=torch.float64)
        _compare_model_case(fx, "cnn_tagger_small", "cnn_tagger", tagger, tokens, vocab=V, embedding=5, width=6, tags=4)
        return fx.write()
    finally:
        torch.set_default_dtype(saved_dtype)


class _TokenEmbedding(torch.nn.Embedding):
    """nn.Embedding fed token ids stored as whole floats, as Loom keeps them."""

    def forward(self, x):
        return super().forward(x.long())


if __name__ == "__main__":
    # The conv1d, recurrent and sequence families seed themselves, so running them after main() changes nothing in its files.
    main()
    make_conv1d()
    make_recurrent()
    make_sequence()
    make_compare()
