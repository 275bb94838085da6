"""The current top genre in large type, in its palette colour, with its probability: readable across a room."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from genrelab.gui.palette import FOREGROUND, genre_colours


class GenreBanner(QWidget):
    """Shows ``genre`` and ``probability`` (or a short note when there is no estimate yet)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(0)
        self.genre = QLabel("—")
        self.genre.setObjectName("liveGenre")
        font = QFont()
        font.setPointSize(44)
        font.setBold(True)
        self.genre.setFont(font)
        self.genre.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = QLabel("")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        small = QFont()
        small.setPointSize(14)
        self.detail.setFont(small)
        layout.addWidget(self.genre)
        layout.addWidget(self.detail)
        self.colours: dict[str, str] = {}
        self.current = ""

    def set_labels(self, labels: list[str]) -> None:
        self.colours = genre_colours(labels)

    def show_genre(self, genre: str, probability: float, window_s: float = 3.0, second: str = "") -> None:
        if genre != self.current:  # a new style sheet re-polishes the label: only when the genre changes
            self.genre.setText(genre.upper())
            self.genre.setStyleSheet(f"color: {self.colours.get(genre, FOREGROUND)};")
        self.current = genre
        self.detail.setText(f"{probability:.0%} over the last {window_s:g} s" + (f"   ·   next: {second}" if second else ""))

    def show_note(self, text: str) -> None:
        self.current = ""
        self.genre.setText("—")
        self.genre.setStyleSheet(f"color: {FOREGROUND};")
        self.detail.setText(text)
