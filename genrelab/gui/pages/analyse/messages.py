"""The Analyse page's messages: a one-line problem (red, dismissable) and a note about the open track (amber)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from genrelab.gui.pages.analyse.toolbar import tool_button


class MessageArea(QWidget):
    """The banner (``show_error``) and the track notice (``set_notice``); hidden while both are empty.

    Signals:
        dismissed(): the user closed the banner.
    """

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.banner = QLabel("")
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #5a1d1d; color: #ffd6d6; padding: 6px; border-radius: 3px;")
        self.banner_close = tool_button("Dismiss", "Hide this message")
        self.banner_close.clicked.connect(self.hide_error)
        self.banner_close.clicked.connect(self.dismissed)
        self.notice = QLabel("")
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("background: #4a3a12; color: #ffe2a8; padding: 4px; border-radius: 3px;")
        row = QHBoxLayout()
        row.addWidget(self.banner, 1)
        row.addWidget(self.banner_close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.notice)
        self.hide_error()
        self.set_notice("")

    def show_error(self, message: str) -> None:
        self.banner.setText(f"⚠  {message}")
        self.banner.show()
        self.banner_close.show()

    def hide_error(self) -> None:
        self.banner.hide()
        self.banner_close.hide()

    def set_notice(self, text: str) -> None:
        """A warning about the open track (cut off, repaired); empty text hides it."""
        self.notice.setText(f"⚠  {text}" if text else "")
        self.notice.setVisible(bool(text))
