"""Music-like test signals (for benchmarks, tests and the synthetic training set); numpy only."""

from __future__ import annotations

import numpy as np


def music_like(
    seconds: float = 10.0,
    sr: int = 22050,
    seed: int = 0,
    channels: int = 1,
    *,
    tempo_bpm: float = 120.0,
    root_hz: float = 220.0,
    harmonics: int = 6,
    brightness: float = 0.7,
    drums: float = 0.3,
    noise: float = 0.01,
) -> np.ndarray:
    """A deterministic music-like signal: harmonic notes with decaying envelopes, a click/noise drum train.

    Returns float32 (n,) for ``channels == 1`` else (n, channels) with a slight per-channel variation.
    Peak about 0.8. ``brightness`` sets how slowly the harmonics fall off; ``drums`` the percussion level.
    """
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    out = np.zeros(n, np.float64)
    beat = 60.0 / tempo_bpm
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12])
    note_len = beat / 2
    for start in np.arange(0.0, seconds, note_len):
        i0, i1 = int(start * sr), min(n, int((start + note_len * 1.5) * sr))
        if i1 <= i0:
            continue
        f0 = root_hz * 2 ** (rng.choice(scale) / 12)
        tt = t[i0:i1] - start
        env = np.exp(-tt * 6.0) * (1 - np.exp(-tt * 200.0))
        note = sum(brightness ** (h - 1) * np.sin(2 * np.pi * f0 * h * tt + rng.uniform(0, 6.28))
                   for h in range(1, harmonics + 1))
        out[i0:i1] += 0.25 * env * note
    if drums > 0:
        for start in np.arange(0.0, seconds, beat):
            i0 = int(start * sr)
            i1 = min(n, i0 + int(0.12 * sr))
            tt = t[i0:i1] - start
            kick = np.sin(2 * np.pi * (60 + 80 * np.exp(-tt * 30)) * tt) * np.exp(-tt * 25)
            hat = rng.standard_normal(i1 - i0) * np.exp(-tt * 60) * 0.3
            out[i0:i1] += drums * (kick + hat)
    out += noise * rng.standard_normal(n)
    out *= 0.8 / max(1e-9, float(np.max(np.abs(out))))
    if channels == 1:
        return out.astype(np.float32)
    gains = np.linspace(1.0, 0.85, channels)
    return (out[:, None] * gains[None, :]).astype(np.float32)
