"""The genre legend: one coloured chip per genre, in the palette's colours, wrapping to the width."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QLabel, QWidget


class GenreLegend(QLabel):
    """A single rich-text label listing genres with their colours."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setContentsMargins(6, 0, 6, 0)

    def set_genres(self, labels: list[str], colours: dict[str, str]) -> None:
        chips = [f"<span style='color:{colours[g]}; font-size:15px'>■</span>&nbsp;{escape(g)}" for g in labels]
        self.setText("&nbsp;&nbsp;&nbsp; ".join(chips))
