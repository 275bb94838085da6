"""The run's live progress: a bar over the whole run, and epoch, batch, windows/s and ETA in one line."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget


def clock(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``."""
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class ProgressPanel(QWidget):
    """Owns the timing of the run it shows: epoch durations feed the ETA of the whole run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 1000)
        self.bar.setFormat("%p%")
        self.label = QLabel("No run yet", self)
        self.label.setMinimumWidth(420)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.label, 2)
        self.epochs = 1
        self.epoch_seconds: list[float] = []
        self.batch_size = 32
        self.stage = ""
        self.windows_per_s = 0.0
        self.eta_s: float | None = None
        self._last_batch = 0.0

    def start(self, epochs: int, batch_size: int) -> None:
        """A run (or a resumed one) begins."""
        self.epochs, self.batch_size = max(1, epochs), batch_size
        self.epoch_seconds = []
        self.eta_s = None
        self.windows_per_s = 0.0
        self.bar.setValue(0)
        self.label.setText("Starting…")

    def on_progress(self, fraction: float, message: str) -> None:
        """The pipeline's stage progress (data loading, then epochs)."""
        self.bar.setValue(int(1000 * fraction))
        if fraction < 0.1 and message:
            self.label.setText(f"Preparing the data: {message}")

    def on_batch(self, info: Any) -> None:
        """A batch finished: windows/s, and the ETA of this epoch and of the whole run."""
        now = time.monotonic()
        if now - self._last_batch < 0.2 and info.batch != info.n_batches:
            return
        self._last_batch = now
        self.windows_per_s = info.windows_per_s
        left = (info.n_batches - info.batch) * self.batch_size / max(info.windows_per_s, 1e-9)
        self.eta_s = left
        eta = f"ETA epoch {clock(left)}"
        if self.epoch_seconds:
            per = sum(self.epoch_seconds[-3:]) / len(self.epoch_seconds[-3:])
            self.eta_s = left + per * (self.epochs - info.epoch)
            eta += f", run ≤ {clock(self.eta_s)}"
        self.label.setText(f"Epoch {info.epoch}/{self.epochs} · batch {info.batch}/{info.n_batches} · "
                           f"loss {info.loss:.3f} · acc {info.acc:.3f} · {info.windows_per_s:.0f} windows/s · {eta}")

    def on_epoch(self, stats: Any) -> None:
        self.epoch_seconds.append(stats.seconds)

    def finish(self, text: str, fraction: float | None = None) -> None:
        """The run ended (done, cancelled or failed): ``text`` says how."""
        if fraction is not None:
            self.bar.setValue(int(1000 * fraction))
        self.label.setText(text)
