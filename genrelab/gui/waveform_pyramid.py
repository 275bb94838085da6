"""A min/max pyramid of a signal, so the waveform draws as an envelope at any zoom in constant time.

Level ``k`` holds the minimum and maximum of blocks of ``base * factor**k`` samples. Drawing picks the coarsest
level that still gives about one min/max pair per screen pixel and slices it: a one-hour file costs the same to
draw as a one-minute one. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genrelab.progress import CancelToken, check_cancel


@dataclass
class PyramidLevel:
    """Minimum and maximum of consecutive blocks of ``block`` samples."""

    block: int
    mins: np.ndarray
    maxs: np.ndarray


CHUNK = 1 << 18  # values per numpy call: short calls, so a worker never holds the GIL for long


def _block_extrema(lows: np.ndarray, highs: np.ndarray, block: int,
                   cancel: CancelToken | None) -> tuple[np.ndarray, np.ndarray]:
    """Minimum of ``lows`` and maximum of ``highs`` over consecutive blocks (the last one may be partial)."""
    n = len(lows)
    n_blocks = -(-n // block)
    mins = np.empty(n_blocks, lows.dtype)
    maxs = np.empty(n_blocks, highs.dtype)
    step = max(block, CHUNK // block * block)
    for a in range(0, n, step):
        check_cancel(cancel)
        b = min(n, a + step)
        full = (b - a) // block * block
        i = a // block
        if full:
            mins[i : i + full // block] = lows[a : a + full].reshape(-1, block).min(axis=1)
            maxs[i : i + full // block] = highs[a : a + full].reshape(-1, block).max(axis=1)
        if a + full < b:  # the partial last block
            mins[-1] = lows[a + full : b].min()
            maxs[-1] = highs[a + full : b].max()
    return mins, maxs


class WaveformPyramid:
    """Envelope levels of a mono signal at ``sr`` Hz (the signal itself is kept for close zooms)."""

    def __init__(self, samples: np.ndarray, sr: int, *, base: int = 16, factor: int = 4, coarsest: int = 256,
                 cancel: CancelToken | None = None) -> None:
        self.samples = samples
        self.sr = sr
        self.levels: list[PyramidLevel] = []
        mins, maxs = _block_extrema(samples, samples, base, cancel)
        self.levels.append(PyramidLevel(base, mins, maxs))
        while len(self.levels[-1].mins) > coarsest:
            prev = self.levels[-1]
            lo, hi = _block_extrema(prev.mins, prev.maxs, factor, cancel)
            self.levels.append(PyramidLevel(prev.block * factor, lo, hi))

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sr

    def envelope(self, t0: float, t1: float, max_pairs: int) -> tuple[np.ndarray, np.ndarray]:
        """Points (x seconds, y) to draw between ``t0`` and ``t1`` with at most about ``2 * max_pairs`` points.

        Close in, the samples themselves; further out, alternating (min, max) per block, which a connected line
        draws as a filled envelope.
        """
        n = len(self.samples)
        i0 = max(0, int(np.floor(t0 * self.sr)) - 1)
        i1 = min(n, int(np.ceil(t1 * self.sr)) + 2)
        if i1 <= i0:
            return np.zeros(0), np.zeros(0)
        span = i1 - i0
        if span <= 2 * max_pairs or not self.levels:
            x = np.arange(i0, i1) / self.sr
            return x, self.samples[i0:i1]
        level = self.levels[-1]
        for candidate in self.levels:
            if span / candidate.block <= max_pairs:
                level = candidate
                break
        b0, b1 = i0 // level.block, min(len(level.mins), i1 // level.block + 1)
        centres = (np.arange(b0, b1) + 0.5) * (level.block / self.sr)
        x = np.repeat(centres, 2)
        y = np.empty(2 * (b1 - b0), np.float32)
        y[0::2] = level.mins[b0:b1]
        y[1::2] = level.maxs[b0:b1]
        return x, y
