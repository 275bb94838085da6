"""Export buttons: the library as CSV or JSON, and one M3U playlist per genre."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

KINDS = {"csv": "CSV", "json": "JSON", "m3u": "M3U per genre"}


class ExportBar(QWidget):
    """Three buttons; each asks where to save and emits ``export_requested(kind, path)``.

    ``kind`` is "csv" or "json" (``path`` a file) or "m3u" (``path`` a folder for one playlist per genre).
    """

    export_requested = Signal(str, Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = str(Path.home())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Export:"))
        self.buttons: dict[str, QPushButton] = {}
        tips = {"csv": "The library as a CSV table (one row per track, every genre's probability)",
                "json": "The library as JSON (one object per track)",
                "m3u": "One M3U playlist per genre, in a folder you choose"}
        for kind, text in KINDS.items():
            button = QPushButton(text + "…")
            button.setToolTip(tips[kind])
            button.clicked.connect(lambda _c=False, k=kind: self.ask(k))
            layout.addWidget(button)
            self.buttons[kind] = button
        layout.addStretch(1)

    def set_enabled(self, enabled: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(enabled)

    def ask(self, kind: str) -> None:
        """Ask where to export ``kind`` and emit the request (nothing if the dialog is cancelled)."""
        if kind == "m3u":
            path = QFileDialog.getExistingDirectory(self, "Folder for the genre playlists", self.folder)
        else:
            path, _ = QFileDialog.getSaveFileName(self, f"Export the library as {kind.upper()}",
                                                  str(Path(self.folder) / f"library.{kind}"),
                                                  f"{kind.upper()} files (*.{kind})")
        if path:
            self.folder = str(Path(path) if kind == "m3u" else Path(path).parent)
            self.export_requested.emit(kind, Path(path))
