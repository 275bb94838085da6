"""Scrolling spectrogram images for the Live page: colour indices of the newest display columns, in a ring.

Qt-free: :meth:`LiveImage.append` runs on the live analyser's thread as columns arrive (each column is coloured
once, with the Analyse page's :func:`~genrelab.gui.track_tasks.colour_indices`); the GUI timer only copies the
visible part out (:meth:`LiveImage.snapshot`) and hands it to an ImageItem.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from genrelab.dsp.spec import FeatureSpec
from genrelab.dsp.spectrum import band_frequencies
from genrelab.dsp.streaming import column_frame, full_scale_db
from genrelab.gui.display_settings import DisplaySettings
from genrelab.gui.track_tasks import colour_indices, stft_rows


@dataclass
class LiveFrame:
    """What one view draws: ``pixels`` (rows, columns) uint8, column 0's left edge at ``x0`` s, ``dx`` s apart."""

    pixels: np.ndarray
    x0: float
    dx: float


class LiveImage:
    """The last ``seconds`` of one display spec's columns as uint8 colour indices (0 dBFS at the top)."""

    def __init__(self, spec: FeatureSpec, seconds: float, display: DisplaySettings, origin_s: float = 0.0) -> None:
        self.spec = spec
        self.display = display
        self.origin_s = origin_s  # time of the display's sample 0 on the page's clock
        self.db_range = display.db_range
        self.top_db = full_scale_db(spec)
        self.bins_hz = band_frequencies(spec)
        self.row_hz = self._rows(np.zeros((spec.n_bins, 1), np.float32))[1]
        self.size = int(np.ceil(seconds / spec.column_seconds)) + 2
        self.ring = np.zeros((len(self.row_hz), self.size), np.uint8)
        self.columns = 0  # columns received
        self.peak_db = -np.inf  # loudest column value seen (for the readout)
        self._lock = threading.Lock()

    def append(self, origin_s: float, first: int, db: np.ndarray) -> None:
        """Colour and store new columns ``first..first + k`` (called on the analyser's thread)."""
        db = self._rows(db)[0]
        pixels = colour_indices(db, self.top_db, self.db_range)
        idx = np.arange(first, first + db.shape[1]) % self.size
        with self._lock:
            self.origin_s = origin_s
            self.ring[:, idx] = pixels
            self.columns = max(self.columns, first + db.shape[1])
            self.peak_db = max(self.peak_db, float(db.max()) - self.top_db)

    def _rows(self, db: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows the Analyse page would draw (STFT: Min/Max freq, or log-spaced with the log scale)."""
        if self.spec.kind == "stft":
            return stft_rows(db, self.bins_hz, self.display, self.spec.sr)
        return db, self.bins_hz

    def snapshot(self, seconds: float) -> LiveFrame | None:
        """The last ``seconds`` of columns, oldest first (None before the first column)."""
        with self._lock:
            n = min(self.columns, self.size, int(np.ceil(seconds / self.spec.column_seconds)) + 1)
            if n <= 0:
                return None
            first = self.columns - n
            pixels = self.ring[:, np.arange(first, self.columns) % self.size]
        dx = self.spec.column_seconds
        t0 = float(column_frame(self.spec, np.array([first]))[0]) * self.spec.hop_length / self.spec.sr
        return LiveFrame(pixels, self.origin_s + t0 - dx / 2, dx)
