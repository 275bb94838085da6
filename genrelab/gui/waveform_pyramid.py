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
        """Points (x seconds, y) to draw between ``t0`` and ``t1``.

        Close in (fewer than two samples per column), the samples themselves. Further out, exactly ``max_pairs``
        equal columns (one per screen pixel), each drawn as its (min, max) pair at the column's centre: a
        connected line through them fills the envelope with no gaps, hatching or aliasing, whatever the zoom.
        Each pair bounds every sample of its column (it is read from the finest pyramid level that keeps the
        work to a few blocks per column, widened by the block a column boundary cuts).
        """
        n = len(self.samples)
        a, b = max(0.0, t0 * self.sr), min(float(n), t1 * self.sr)
        if not self.is_envelope(t0, t1, max_pairs):
            i0, i1 = max(0, int(np.floor(a)) - 1), min(n, int(np.ceil(b)) + 2)
            return np.arange(i0, i1) / self.sr, self.samples[i0:i1]
        edges = np.linspace(a, b, max_pairs + 1)
        lows, highs = self._column_extrema(edges)
        centres = (edges[:-1] + edges[1:]) / (2 * self.sr)
        x = np.repeat(centres, 2)
        y = np.empty(2 * max_pairs, np.float32)
        y[0::2] = lows
        y[1::2] = highs
        return x, y

    def is_envelope(self, t0: float, t1: float, max_pairs: int) -> bool:
        """Whether :meth:`envelope` draws min/max pairs (True) or the samples themselves for this range."""
        span = min(float(len(self.samples)), t1 * self.sr) - max(0.0, t0 * self.sr)
        return max_pairs > 0 and span > 2 * max_pairs

    def extrema(self, t0: float, t1: float) -> tuple[float, float]:
        """(minimum, maximum) of the samples between ``t0`` and ``t1`` (the nearest sample when that is empty)."""
        n = len(self.samples)
        a = min(max(0, int(np.floor(t0 * self.sr))), n - 1)
        b = min(n, max(a + 1, int(np.ceil(t1 * self.sr))))
        lows, highs = self._column_extrema(np.array([a, b], float))
        return float(lows[0]), float(highs[0])

    def _column_extrema(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Min and max of the samples in each column ``edges[k]..edges[k+1]`` (sample positions, increasing)."""
        width = (edges[-1] - edges[0]) / max(len(edges) - 1, 1)
        block, lows_src, highs_src = 1, self.samples, self.samples
        for level in self.levels:  # the coarsest level whose blocks still fit in a column
            if level.block <= width:
                block, lows_src, highs_src = level.block, level.mins, level.maxs
        m = len(lows_src)
        first = np.clip(np.floor(edges[:-1] / block).astype(np.int64), 0, m - 1)
        last = np.clip(np.ceil(edges[1:] / block).astype(np.int64), first + 1, m)  # exclusive, >= first + 1
        lo0, hi1 = int(first[0]), int(last[-1])
        lows = np.minimum.reduceat(lows_src[lo0:hi1], first - lo0)
        highs = np.maximum.reduceat(highs_src[lo0:hi1], first - lo0)
        # reduceat stops each column at the next one's first block; add the block that column's end cuts
        tail = np.minimum(last - 1, m - 1)
        return np.minimum(lows, lows_src[tail]), np.maximum(highs, highs_src[tail])
