"""The run's log: every line the pipeline says, kept after a failure."""

from __future__ import annotations

from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

MAX_LINES = 5000


class LogPane(QPlainTextEdit):
    """A read-only log; lines are appended at the end and the view follows them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        self.setFont(font)
        self.setPlaceholderText("The run's log appears here.")

    def add_line(self, text: str) -> None:
        """Append one line (or several) and scroll to it."""
        self.appendPlainText(text.rstrip("\n"))
        self.moveCursor(QTextCursor.MoveOperation.End)

    def set_log(self, text: str) -> None:
        """Replace the log (a reopened run's log.txt)."""
        self.setPlainText(text.rstrip("\n"))
        self.moveCursor(QTextCursor.MoveOperation.End)

    def lines(self) -> list[str]:
        return self.toPlainText().splitlines()
