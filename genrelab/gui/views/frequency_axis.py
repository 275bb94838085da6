"""Left axis of a spectrogram: rows mapped to Hz, labelled in Hz, Mel or note names.

The view's y coordinate is the row position (row ``i`` spans ``i..i+1``); the rows' centre frequencies come
from the worker with the image, so the axis needs no DSP of its own.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from genrelab.gui.notes import NOTE_NAMES, note_hz

# Candidate tick sets, finest first; the axis shows the finest set whose ticks are all far enough apart.
HZ_SETS = (
    (20, 50, 100, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 4000, 5000, 7000, 10000, 15000, 20000),
    (20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000),
    (100, 1000, 10000),
    tuple(range(0, 24001, 1000)),
    tuple(range(0, 24001, 2000)),
    tuple(range(0, 24001, 5000)),
)
MEL_SETS = (tuple(range(0, 80, 5)), tuple(range(0, 80, 10)), tuple(range(0, 80, 20)))
NOTE_ORDER = ((0, 4), (0, 5), (0, 3), (0, 6), (0, 2), (0, 7), (0, 1), (0, 8), (0, 9), (9, 4))  # C4 first, A4 last
NOTE_FILL = (7, 4)  # then G and E of every octave, where they fit
MIN_TICK_PIXELS = 26
UNITS = {"hz": "Hz", "mel": "Mel", "note": "note"}  # the axis title's unit, after the tick labels


def slaney_mel(hz: float) -> float:
    """Slaney Mel number of ``hz`` (as librosa.hz_to_mel with htk=False): linear to 1 kHz, log above."""
    return hz / (200.0 / 3) if hz < 1000 else 15.0 + math.log(hz / 1000.0) / (math.log(6.4) / 27.0)


def slaney_hz(mel: float) -> float:
    """Inverse of :func:`slaney_mel`."""
    return mel * (200.0 / 3) if mel < 15.0 else 1000.0 * math.exp((mel - 15.0) * (math.log(6.4) / 27.0))


class FrequencyAxis(pg.AxisItem):
    """Axis ticks at round frequencies (``mode`` "hz"), round Mel numbers ("mel") or C notes ("note")."""

    def __init__(self, label: str) -> None:
        super().__init__("left")
        self.row_hz = np.array([0.0, 1.0])
        self.mode = "hz"
        self.title = label
        self.enableAutoSIPrefix(False)
        self._update_title()

    def set_title(self, title: str) -> None:
        """The axis title before its unit, e.g. "STFT" gives "STFT (Hz)" / "STFT (Mel)" / "STFT (note)"."""
        self.title = title
        self._update_title()

    def _update_title(self) -> None:
        self.setLabel(f"{self.title} ({UNITS.get(self.mode, self.mode)})")

    def set_rows(self, row_hz: np.ndarray) -> None:
        self.row_hz = np.asarray(row_hz, dtype=float)
        self.picture = None
        self.update()

    def set_mode(self, mode: str) -> None:
        """Tick labels in Hz ("hz"), Mel numbers ("mel") or note names ("note"); the title follows."""
        self.mode = mode
        self._update_title()
        self.picture = None
        self.update()

    def hz_at(self, y: float) -> float:
        """Frequency at view height ``y``."""
        rows = np.arange(len(self.row_hz))
        return float(np.interp(y - 0.5, rows, self.row_hz))

    def y_of(self, hz: float) -> float:
        """View height of ``hz`` (rows are increasing in frequency)."""
        rows = np.arange(len(self.row_hz))
        return float(np.interp(hz, self.row_hz, rows)) + 0.5

    def _tick_sets(self) -> list[list[tuple[float, str]]]:
        """Candidate (frequency, label) sets for the current mode."""
        if self.mode == "mel":
            return [[(slaney_hz(m), f"{m}") for m in mels] for mels in MEL_SETS]
        steps = np.diff(self.row_hz)
        linear = len(steps) > 0 and np.allclose(steps, steps[0], rtol=1e-3)
        sets = HZ_SETS if linear else HZ_SETS[:3]  # evenly spaced ticks only suit a linear axis
        return [[(float(hz), f"{hz / 1000:g}k" if hz >= 1000 else f"{hz}") for hz in values] for values in sets]

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, N803
        if maxVal <= minVal or size <= 0:
            return []
        pixels_per_unit = size / (maxVal - minVal)
        lo, hi = float(self.row_hz[0]), float(self.row_hz[-1])
        if self.mode == "note":
            self._labels = self._note_ticks(minVal, maxVal, pixels_per_unit)
            return [(1.0, sorted(self._labels))]
        complete: dict[float, str] = {}  # the fullest set that fits without dropping a tick
        thinned: dict[float, str] = {}  # the fullest set after dropping ticks too close (from the top down)
        for candidates in self._tick_sets():
            ticks = {self.y_of(hz): text for hz, text in candidates if lo <= hz <= hi}
            ys = sorted((y for y in ticks if minVal <= y <= maxVal), reverse=True)
            kept = []
            for y in ys:
                if not kept or (kept[-1] - y) * pixels_per_unit >= MIN_TICK_PIXELS:
                    kept.append(y)
            chosen = {y: ticks[y] for y in kept}
            if len(kept) == len(ys) and len(chosen) > len(complete):
                complete = chosen
            if len(chosen) > len(thinned):
                thinned = chosen
        best = complete if len(complete) >= 4 else thinned
        self._labels = best
        return [(1.0, sorted(best))]

    def _note_ticks(self, lo_y: float, hi_y: float, pixels_per_unit: float) -> dict[float, str]:
        """C of every octave (C4 first), A4, then G and E, each kept only if far enough from those kept."""
        order = [(i, octave) for i, octave in NOTE_ORDER]
        order += [(i, octave) for i in NOTE_FILL for octave in range(0, 10)]
        kept: dict[float, str] = {}
        for i, octave in order:
            hz = note_hz(i, octave)
            if not self.row_hz[0] <= hz <= self.row_hz[-1]:
                continue
            y = self.y_of(hz)
            if lo_y <= y <= hi_y and all(abs(y - k) * pixels_per_unit >= MIN_TICK_PIXELS for k in kept):
                kept[y] = f"{NOTE_NAMES[i]}{octave}"
        return kept

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        labels = getattr(self, "_labels", {})
        return [labels.get(v, "") for v in values]
