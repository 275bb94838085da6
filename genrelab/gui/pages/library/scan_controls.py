"""Scan controls: Scan / Cancel / Resume, windows per track, and the scan's progress (tracks/s, ETA)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

DEFAULT_WINDOWS = 10


class ScanControls(QWidget):
    """Buttons and progress of one library scan; the page runs the scan and calls the ``set_*`` methods.

    States: "idle" (Scan), "running" (Cancel), "stopped" (a cancelled or failed scan: Resume continues it; the
    store keeps every track already analysed, so a resumed scan only does the rest).

    Signals:
        scan_requested(int): Scan or Resume pressed; the windows per track (0 = every window).
        cancel_requested(): Cancel pressed.
    """

    scan_requested = Signal(int)
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = "idle"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.scan_button = QPushButton("Scan")
        self.scan_button.setObjectName("library_scan")
        self.scan_button.setToolTip("Analyse new and changed files in the folders (tracks already done are kept)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the scan; what is analysed so far is kept, and Resume continues")
        self.windows = QSpinBox()
        self.windows.setRange(0, 100)
        self.windows.setValue(DEFAULT_WINDOWS)
        self.windows.setSpecialValueText("all")
        self.windows.setSuffix(" windows")
        self.windows.setToolTip("3-s windows analysed per track, spread over it (only their audio is decoded); "
                                "'all' analyses every window (slower)")
        row.addWidget(self.scan_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        row.addWidget(self.windows)
        layout.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        layout.addWidget(self.progress)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #a0a8b4;")
        layout.addWidget(self.message)
        self.scan_button.clicked.connect(lambda: self.scan_requested.emit(self.windows.value()))
        self.cancel_button.clicked.connect(self.cancel_requested.emit)
        self.set_idle("")

    def set_running(self, message: str = "Starting the scan…") -> None:
        self.state = "running"
        self.scan_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.windows.setEnabled(False)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.message.setText(message)

    def set_progress(self, fraction: float, message: str) -> None:
        if self.state != "running":
            return
        self.progress.setValue(int(round(max(0.0, min(1.0, fraction)) * 1000)))
        self.progress.setFormat(f"{fraction:.0%}")
        if message:
            self.message.setText(message)

    def set_idle(self, message: str) -> None:
        """The scan finished (or none ran): Scan analyses what is new or changed."""
        self.state = "idle"
        self.scan_button.setText("Scan")
        self.scan_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.windows.setEnabled(True)
        if message:
            self.progress.setValue(1000)
            self.progress.setFormat("done")
        else:
            self.progress.setValue(0)
            self.progress.setFormat("")
        self.message.setText(message)

    def set_stopped(self, message: str) -> None:
        """The scan was cancelled or failed part-way: Resume continues where it stopped."""
        self.state = "stopped"
        self.scan_button.setText("Resume scan")
        self.scan_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.windows.setEnabled(True)
        self.progress.setFormat(f"stopped at {self.progress.value() / 10:.0f}%")
        self.message.setText(message)

    def set_enabled(self, enabled: bool, reason: str = "") -> None:
        """Allow scanning or not (e.g. no folders, or no model); ``reason`` shows why not."""
        if self.state == "running":
            return
        self.scan_button.setEnabled(enabled)
        self.scan_button.setToolTip(reason or "Analyse new and changed files in the folders "
                                              "(tracks already done are kept)")
