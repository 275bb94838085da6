"""The input level: one bar per channel in dBFS with a peak-hold tick, and a clip light that stays lit."""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

FLOOR_DB = -60.0
HOLD_S = 1.5  # the peak tick stays this long
CLIP_HOLD_S = 3.0  # the clip light stays lit this long (or until clicked)
FALL_DB_PER_S = 30.0  # how fast a bar falls


def to_db(peak: float) -> float:
    """dBFS of a peak sample value, floored at FLOOR_DB."""
    return max(FLOOR_DB, 20.0 * math.log10(peak)) if peak > 0 else FLOOR_DB


class LevelMeter(QWidget):
    """Feed it with :meth:`set_levels` (peak per channel since the last call, clipped or not)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.levels = np.full(2, FLOOR_DB)
        self.holds = np.full(2, FLOOR_DB)
        self.hold_at = np.zeros(2)
        self.clip_at = -1e9
        self._last = time.monotonic()
        self.setMinimumSize(QSize(160, 34))
        self.setToolTip("Input level (dBFS); the light turns red when the input clips (click to reset)")

    @property
    def clipping(self) -> bool:
        return time.monotonic() - self.clip_at < CLIP_HOLD_S

    def set_levels(self, peaks: np.ndarray, clipped: bool) -> None:
        now = time.monotonic()
        dt, self._last = now - self._last, now
        db = np.array([to_db(float(p)) for p in peaks]) if len(peaks) else np.full(1, FLOOR_DB)
        if len(db) != len(self.levels):
            self.levels = np.full(len(db), FLOOR_DB)
            self.holds, self.hold_at = np.full(len(db), FLOOR_DB), np.zeros(len(db))
        self.levels = np.maximum(db, self.levels - FALL_DB_PER_S * dt)
        renew = (db >= self.holds) | (now - self.hold_at > HOLD_S)
        self.holds[renew], self.hold_at[renew] = db[renew], now
        if clipped:
            self.clip_at = now
        self.update()

    def reset(self) -> None:
        self.levels[:] = FLOOR_DB
        self.holds[:] = FLOOR_DB
        self.clip_at = -1e9
        self.update()

    def mousePressEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt's name
        self.clip_at = -1e9
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802, ANN001 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        light = min(h - 4, 22)
        bar_w = w - light - 12
        n = len(self.levels)
        gap = 3
        bar_h = max(3, (h - 4 - gap * (n - 1)) / n)
        for i, (level, hold) in enumerate(zip(self.levels, self.holds, strict=True)):
            y = 2 + i * (bar_h + gap)
            p.fillRect(QRectF(0, y, bar_w, bar_h), QColor("#2a2e35"))
            frac = (level - FLOOR_DB) / -FLOOR_DB
            colour = "#e63946" if level > -1 else "#f4a261" if level > -12 else "#52b788"
            p.fillRect(QRectF(0, y, bar_w * frac, bar_h), QColor(colour))
            x = bar_w * (hold - FLOOR_DB) / -FLOOR_DB
            p.fillRect(QRectF(max(0, x - 2), y, 2, bar_h), QColor("#f1faee"))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#ff1f1f" if self.clipping else "#3a1d1d"))
        p.drawEllipse(QRectF(w - light - 4, (h - light) / 2, light, light))
        p.end()
