"""Tag buttons: write the library's genres into the files (after a confirmation), and undo those writes."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QWidget


class TagControls(QWidget):
    """Write genre tags… / Overwrite existing / Undo tag writes…; the page plans, confirms and runs them.

    Signals:
        write_requested(bool): plan the tag writes (the bool: overwrite existing genre tags).
        undo_requested(): restore the genre tags as they were before GenreLab wrote them.
    """

    write_requested = Signal(bool)
    undo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Tags:"))
        self.write_button = QPushButton("Write genre tags…")
        self.write_button.setToolTip("Write each track's genre into its file (FLAC, Ogg, Opus: GENRE; MP3, WAV, "
                                     "AIFF: ID3 TCON; M4A: ©gen); you see every change first")
        self.overwrite = QCheckBox("overwrite existing")
        self.overwrite.setToolTip("Replace genre tags the files already have (off: those files are left alone)")
        self.undo_button = QPushButton("Undo tag writes…")
        self.undo_button.setToolTip("Put back the genre tags the files had before GenreLab wrote them")
        layout.addWidget(self.write_button)
        layout.addWidget(self.overwrite)
        layout.addWidget(self.undo_button)
        layout.addStretch(1)
        self.write_button.clicked.connect(lambda: self.write_requested.emit(self.overwrite.isChecked()))
        self.undo_button.clicked.connect(self.undo_requested.emit)

    def set_enabled(self, write: bool, undo: bool) -> None:
        self.write_button.setEnabled(write)
        self.overwrite.setEnabled(write)
        self.undo_button.setEnabled(undo)
