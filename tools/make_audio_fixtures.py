#!/usr/bin/env python3
"""Writes the reference fixtures for Loom's audio features (tests/Loom.Tests/Audio, tests/Loom.Tests/Kernels/FftTests).

Run with Debian's torch and numpy (python3-torch, python3-numpy); torchaudio and librosa are not needed:

    /usr/bin/python3 tools/make_audio_fixtures.py

One safetensors file, float32 tensors, in the layout of tools/make_fixtures.py:

    tests/Loom.Tests/Fixtures/audio/features.safetensors

Tensors are named "<case>/<what>", the metadata holds "cases" and each case's parameters as "<case>.<key>".
Inputs are float32 (what is stored is exactly what the reference saw); every reference is computed in float64
from those inputs and rounded to float32 once, so a test's error is Loom's float32 arithmetic alone.

The spectrogram is torch.stft's (reflect padding, torch.hann_window/hamming_window, onesided). The mel filterbank
is written out below from its published definitions (torchaudio.functional.melscale_fbanks, librosa.filters.mel,
Slaney's Auditory Toolbox, HTK) because neither library is installed here; the DCT is torchaudio's create_dct with
norm="ortho"; the dB conversion is torchaudio's amplitude_to_DB for power (amin 1e-10, reference 1, top_db).
"""

import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import fmt, write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "Loom.Tests", "Fixtures", "audio", "features.safetensors")

tensors, metadata, cases = [], {}, []


def case(name, **params):
    assert name not in cases, name
    cases.append(name)
    for k, v in params.items():
        metadata[f"{name}.{k}"] = fmt(v)


def add(name, what, t):
    t = torch.as_tensor(t).detach().to(torch.float32).contiguous()
    tensors.append((f"{name}/{what}", t))


def f32(shape, gen, scale=1.0):
    """Uniform float32 in [-scale, scale), returned as float64 holding exactly those values."""
    return ((torch.rand(*shape, generator=gen, dtype=torch.float32) * 2 - 1) * scale).to(torch.float64)


# --- mel scale and filterbank, from the definitions ------------------------------------------------------------

def hz_to_mel(f, scale):
    f = np.asarray(f, dtype=np.float64)
    if scale == "htk":
        return 2595.0 * np.log10(1.0 + f / 700.0)
    # Slaney: 3 mels per 200 Hz up to 1 kHz (15 mels there), then 27 mels per factor 6.4 of frequency.
    lin = f / (200.0 / 3.0)
    log = 15.0 + np.log(np.maximum(f, 1e-300) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(f < 1000.0, lin, log)


def mel_to_hz(m, scale):
    m = np.asarray(m, dtype=np.float64)
    if scale == "htk":
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    lin = m * (200.0 / 3.0)
    log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0))
    return np.where(m < 15.0, lin, log)


def mel_filters(n_freqs, n_mels, sample_rate, f_min, f_max, scale, norm):
    """(n_mels, n_freqs): triangles between n_mels + 2 points equally spaced in mels, over bins 0 .. sr//2 Hz."""
    bins_hz = np.linspace(0.0, sample_rate // 2, n_freqs)
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min, scale), hz_to_mel(f_max, scale), n_mels + 2), scale)
    fb = np.zeros((n_mels, n_freqs))
    for m in range(n_mels):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        rising = (bins_hz - lo) / (mid - lo)
        falling = (hi - bins_hz) / (hi - mid)
        fb[m] = np.maximum(0.0, np.minimum(rising, falling))
        if norm == "slaney":
            fb[m] *= 2.0 / (hi - lo)  # equal area: divide by half the triangle's width in Hz
    assert (fb.max(axis=1) > 0).all(), "an empty filter"
    return fb


def dct_ortho(n_mfcc, n_mels):
    """(n_mfcc, n_mels) orthonormal DCT-II rows."""
    k = np.arange(n_mfcc)[:, None]
    m = np.arange(n_mels)[None, :]
    d = np.cos(np.pi / n_mels * (m + 0.5) * k)
    d[0] *= 1.0 / math.sqrt(2.0)
    return d * math.sqrt(2.0 / n_mels)


def to_db(power, top_db):
    db = 10.0 * torch.log10(torch.clamp(power, min=1e-10))
    if top_db is not None:
        db = torch.maximum(db, db.max() - top_db)
    return db


def window(kind, length):
    if kind == "hann":
        return torch.hann_window(length, periodic=True, dtype=torch.float64)
    if kind == "hamming":
        return torch.hamming_window(length, periodic=True, dtype=torch.float64)
    return torch.ones(length, dtype=torch.float64)


def power_spectrogram(x, n_fft, win, hop, kind, center, power):
    z = torch.stft(x, n_fft, hop_length=hop, win_length=win, window=window(kind, win), center=center,
                   pad_mode="reflect", normalized=False, onesided=True, return_complex=True)
    return z.abs() ** power  # (n_fft/2 + 1, frames)


def main():
    gen = torch.Generator().manual_seed(15)

    # FFT: real inputs of the sizes the kernel must handle, and complex ones through every path (radix 2/3/4, the
    # generic small-prime butterfly, Bluestein for 17, 1009 and 2·1009).
    for n in [1, 2, 3, 5, 7, 64, 100, 400, 512, 1000]:
        name = f"rfft_{n}"
        x = f32((n,), gen)
        z = torch.fft.rfft(x)
        case(name, n=n)
        add(name, "x", x)
        add(name, "re", z.real)
        add(name, "im", z.imag)
    for n in [6, 17, 97, 210, 243, 1009, 2018]:
        name = f"fft_{n}"
        re, im = f32((n,), gen), f32((n,), gen)
        z = torch.fft.fft(torch.complex(re, im))
        case(name, n=n)
        add(name, "re", re)
        add(name, "im", im)
        add(name, "out_re", z.real)
        add(name, "out_im", z.imag)

    # A speech-like test clip: 0.4 s + 37 samples at 16 kHz (odd length), a chirp 150 → 3000 Hz with two harmonics
    # under a slow envelope, and white noise 40 dB down so that no bin is empty.
    sr, n = 16000, 6437
    t = torch.arange(n, dtype=torch.float64) / sr
    phase = 2 * math.pi * (150 * t + 0.5 * (3000 - 150) / (n / sr) * t * t)
    envelope = 0.5 + 0.4 * torch.sin(2 * math.pi * 3 * t)
    clip = envelope * (0.5 * torch.sin(phase) + 0.2 * torch.sin(2 * phase) + 0.1 * torch.sin(3 * phase))
    clip = clip + 0.005 * torch.randn(n, generator=gen, dtype=torch.float64)
    clip = clip.to(torch.float32).to(torch.float64)
    case("clip", sample_rate=sr, samples=n)
    add("clip", "x", clip)

    stft_cases = {
        "stft_default": dict(n_fft=400, win_length=400, hop_length=160, window="hann", center=True, power=2),
        "stft_512_hamming": dict(n_fft=512, win_length=400, hop_length=160, window="hamming", center=True, power=2),
        "stft_nocenter_magnitude": dict(n_fft=400, win_length=320, hop_length=100, window="hann", center=False, power=1),
        "stft_odd_nfft": dict(n_fft=401, win_length=401, hop_length=123, window="rectangular", center=True, power=2),
    }
    for name, p in stft_cases.items():
        spec = power_spectrogram(clip, p["n_fft"], p["win_length"], p["hop_length"], p["window"], p["center"], p["power"])
        case(name, **p)
        add(name, "spec", spec)

    fb_cases = {
        "fb_htk_80": dict(n_freqs=201, n_mels=80, sample_rate=16000, f_min=0.0, f_max=8000.0, scale="htk", norm="none"),
        "fb_slaney_slaney_40": dict(n_freqs=201, n_mels=40, sample_rate=16000, f_min=0.0, f_max=8000.0, scale="slaney", norm="slaney"),
        "fb_htk_slaney_64": dict(n_freqs=257, n_mels=64, sample_rate=16000, f_min=20.0, f_max=7600.0, scale="htk", norm="slaney"),
        "fb_slaney_22050": dict(n_freqs=257, n_mels=64, sample_rate=22050, f_min=0.0, f_max=11025.0, scale="slaney", norm="none"),
    }
    for name, p in fb_cases.items():
        fb = mel_filters(p["n_freqs"], p["n_mels"], p["sample_rate"], p["f_min"], p["f_max"], p["scale"], p["norm"])
        case(name, **p)
        add(name, "fb", torch.from_numpy(fb))

    # Log-mel and MFCC of the clip, with the speech defaults (16 kHz, 400/400/160 Hann, centred).
    spec = power_spectrogram(clip, 400, 400, 160, "hann", True, 2)
    feat_cases = {
        "logmel_natural_80": dict(n_mels=80, scale="htk", norm="none", log="natural", eps=1e-6),
        "logmel_db_slaney_40": dict(n_mels=40, scale="slaney", norm="slaney", log="db", top_db=80.0),
        "logmel_db_40_top30": dict(n_mels=40, scale="htk", norm="none", log="db", top_db=30.0),
    }
    for name, p in feat_cases.items():
        fb = torch.from_numpy(mel_filters(201, p["n_mels"], sr, 0.0, 8000.0, p["scale"], p["norm"]))
        mel = fb @ spec
        out = torch.log(mel + p["eps"]) if p["log"] == "natural" else to_db(mel, p["top_db"])
        case(name, **p)
        add(name, "features", out)

    fb40 = torch.from_numpy(mel_filters(201, 40, sr, 0.0, 8000.0, "htk", "none"))
    for name, n_mfcc, log in [("mfcc_13_db", 13, "db"), ("mfcc_40_natural", 40, "natural")]:
        mel = fb40 @ spec
        logmel = to_db(mel, 80.0) if log == "db" else torch.log(mel + 1e-6)
        mfcc = torch.from_numpy(dct_ortho(n_mfcc, 40)) @ logmel
        case(name, n_mfcc=n_mfcc, n_mels=40, log=log)
        add(name, "mfcc", mfcc)

    # Per-utterance normalisation of the natural log-mel, over frames: layer_norm along the last axis.
    fb80 = torch.from_numpy(mel_filters(201, 80, sr, 0.0, 8000.0, "htk", "none"))
    logmel = torch.log(fb80 @ spec + 1e-6).to(torch.float32).to(torch.float64)
    case("cmvn", eps=1e-5)
    add("cmvn", "x", logmel)
    add("cmvn", "y", F.layer_norm(logmel, (logmel.shape[1],), eps=1e-5))

    metadata["cases"] = ",".join(cases)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    write_safetensors(OUT, tensors, metadata)
    print(f"wrote {os.path.relpath(OUT, ROOT)}: {len(cases)} cases, {len(tensors)} tensors, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
