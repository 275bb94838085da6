"""Feature columns of a signal that arrives in pieces (live input), computed by the file path's own code.

:class:`StreamingColumns` keeps just enough of the signal to compute the next columns of a
:class:`~genrelab.dsp.spec.FeatureSpec` and hands them out as soon as every sample of their frame has arrived.
Each column is :func:`~genrelab.dsp.spectrum.power_frames` (+ the Mel filter bank) + ``power_to_db`` at the same
frame index :func:`~genrelab.dsp.spectrum.track_features` uses, so column ``j`` equals column ``j`` of the whole
signal's features (the start is zero-padded the same way; the end is not padded until :meth:`finish`).
:class:`WindowSchedule` numbers the model windows exactly as :func:`~genrelab.dsp.windows.window_starts` does.
"""

from __future__ import annotations

import math

import numpy as np

from genrelab.dsp.spec import FeatureSpec
from genrelab.dsp.spectrum import mel_filterbank, power_frames, power_to_db


def column_frame(spec: FeatureSpec, j: np.ndarray) -> np.ndarray:
    """STFT frame of feature columns ``j`` (int64): the formula of :meth:`FeatureSpec.column_frames`."""
    j = np.asarray(j, dtype=np.int64)
    if spec.frame_stride == 1.0:
        return j.copy()
    return np.floor((j + 0.5) * spec.frame_stride).astype(np.int64)


def full_scale_db(spec: FeatureSpec, hz: float = 1000.0) -> float:
    """Level (dB, as the features compute it) of a full-scale sine at ``hz``: the top of a dBFS display scale."""
    n = spec.n_fft * 4
    t = np.arange(n) / spec.sr
    y = np.sin(2 * np.pi * min(hz, spec.sr * 0.45) * t).astype(np.float32)
    power = power_frames(y, np.array([n // (2 * spec.hop_length)]), spec)
    if spec.kind == "mel":
        power = mel_filterbank(spec.sr, spec.n_fft, spec.n_mels, spec.fmin, spec.fmax) @ power
    return float(power_to_db(power).max())


class StreamingColumns:
    """Columns of ``spec`` for a mono signal at ``spec.sr`` pushed in blocks of any size.

    The last ``history_columns`` columns stay available through :meth:`columns` (absolute column indices).
    Not thread-safe: one thread pushes and reads.
    """

    def __init__(self, spec: FeatureSpec, history_columns: int) -> None:
        self.spec = spec
        self.history = max(int(history_columns), spec.window_columns + 1)
        self._offset = spec.n_fft // 2 if spec.center else 0
        self._fb = (mel_filterbank(spec.sr, spec.n_fft, spec.n_mels, spec.fmin, spec.fmax)
                    if spec.kind == "mel" else None)
        self._buf = np.zeros(max(4 * spec.n_fft, spec.sr), np.float32)
        self._buf_start = 0  # absolute index of _buf[0] (a multiple of hop_length)
        self._buf_len = 0
        self.samples = 0  # samples pushed so far
        self.n_columns = 0  # columns computed so far
        self._ring = np.zeros((spec.n_bins, self.history), np.float32)

    # ---- input ----------------------------------------------------------------------------------------
    def push(self, samples: np.ndarray) -> tuple[int, np.ndarray]:
        """Add mono samples; returns (index of the first new column, new columns (n_bins, k) dB)."""
        samples = np.asarray(samples, dtype=np.float32).ravel()
        self._append(samples)
        return self._compute(final=False)

    def finish(self) -> tuple[int, np.ndarray]:
        """The signal has ended: the last columns, their frames zero-padded past the end (as the file path does)."""
        return self._compute(final=True)

    # ---- output ---------------------------------------------------------------------------------------
    @property
    def first_kept(self) -> int:
        """Oldest column still held."""
        return max(0, self.n_columns - self.history)

    def columns(self, start: int, stop: int) -> np.ndarray:
        """dB columns ``start..stop`` (absolute indices, all still held) as (n_bins, stop - start)."""
        if start < self.first_kept or stop > self.n_columns or stop < start:
            raise IndexError(f"columns {start}..{stop} not held (have {self.first_kept}..{self.n_columns})")
        idx = np.arange(start, stop) % self.history
        return self._ring[:, idx]

    def column_time(self, j: int | np.ndarray) -> np.ndarray | float:
        """Centre time (s) of column(s) ``j``."""
        return column_frame(self.spec, j) * (self.spec.hop_length / self.spec.sr)

    # ---- internals ------------------------------------------------------------------------------------
    def _append(self, samples: np.ndarray) -> None:
        need = self._buf_len + len(samples)
        if need > len(self._buf):
            self._buf = np.concatenate([self._buf[: self._buf_len], np.zeros(need, np.float32)])
        self._buf[self._buf_len : need] = samples
        self._buf_len = need
        self.samples += len(samples)

    def _compute(self, final: bool) -> tuple[int, np.ndarray]:
        spec, hop = self.spec, self.spec.hop_length
        first = self.n_columns
        if final:
            last_frame = (1 + self.samples // hop if spec.center else 1 + (self.samples - spec.n_fft) // hop) - 1
        else:  # a frame is complete when its last sample has arrived
            last_frame = (self.samples + self._offset - spec.n_fft) // hop
        if last_frame < 0:
            return first, np.zeros((spec.n_bins, 0), np.float32)
        # columns whose frame <= last_frame: j <= (last_frame + 1) / stride - 0.5
        stop = last_frame + 1 if spec.frame_stride == 1.0 else int(math.floor((last_frame + 1) / spec.frame_stride
                                                                                   - 0.5 + 1e-9)) + 1
        while stop > first and column_frame(spec, np.array([stop - 1]))[0] > last_frame:
            stop -= 1
        while column_frame(spec, np.array([stop]))[0] <= last_frame:
            stop += 1
        if stop <= first:
            return first, np.zeros((spec.n_bins, 0), np.float32)
        frames = column_frame(spec, np.arange(first, stop))
        local = frames - self._buf_start // hop
        y = self._buf[: self._buf_len]
        if self._buf_start > 0:  # keep power_frames' zero padding for the true start only
            assert int(local[0]) * hop - self._offset >= 0
        power = power_frames(y, local, spec)
        if self._fb is not None:
            power = self._fb @ power
        db = power_to_db(power)
        idx = np.arange(first, stop) % self.history
        self._ring[:, idx] = db
        self.n_columns = stop
        self._trim()
        return first, db

    def _trim(self) -> None:
        """Drop samples no future frame needs (keeping the buffer start on a hop boundary)."""
        hop = self.spec.hop_length
        next_frame = int(column_frame(self.spec, np.array([self.n_columns]))[0])
        keep_from = max(0, next_frame * hop - self._offset)
        keep_from = (keep_from // hop) * hop
        drop = keep_from - self._buf_start
        if drop <= 0 or drop < len(self._buf) // 4:
            return
        remaining = self._buf_len - drop
        self._buf[:remaining] = self._buf[drop : self._buf_len]
        self._buf_start += drop
        self._buf_len = remaining


class WindowSchedule:
    """Model windows every ``hop_s`` seconds, numbered and placed as :func:`genrelab.dsp.windows.window_starts`
    places them (the file path's last window, flush with the end, has no live counterpart)."""

    def __init__(self, spec: FeatureSpec, hop_s: float) -> None:
        if hop_s <= 0:
            raise ValueError("hop_s must be positive")
        self.spec = spec
        self.hop_s = hop_s
        self.step = hop_s / spec.column_seconds
        self.width = spec.window_columns

    def start(self, k: int) -> int:
        """First column of window ``k``."""
        return int(np.round(np.arange(k, k + 1) * self.step)[0])

    def ready(self, k: int, n_columns: int) -> bool:
        """Whether window ``k``'s last column has been computed."""
        return self.start(k) + self.width <= n_columns

    def centre(self, k: int) -> float:
        """Centre time (s) of window ``k`` (as :func:`genrelab.dsp.windows.window_centres`)."""
        s = self.start(k)
        frames = column_frame(self.spec, np.array([s, s + self.width - 1]))
        return float((frames[0] + frames[1]) * (0.5 * self.spec.hop_length / self.spec.sr))

    def first_time(self, k: int) -> float:
        """Time (s) of window ``k``'s first column (as the file path's ``Timeline.starts``)."""
        return float(column_frame(self.spec, np.array([self.start(k)]))[0] * (self.spec.hop_length / self.spec.sr))
