"""Genre counts: one bar per genre in its colour, the number of tracks whose top genre it is. Click filters."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from genrelab.gui.palette import genre_colours

ROW_H = 22
LABEL_W = 78
COUNT_W = 86
HIGHLIGHT = QColor("#ffd166")


class GenreCounts(QWidget):
    """Bars of tracks per top genre; clicking a bar selects that genre (clicking it again clears it).

    Signals:
        genre_clicked(str): the genre now selected, or "" when the selection was cleared.
    """

    genre_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts: dict[str, int] = {}
        self.colours: dict[str, str] = {}
        self.selected = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Tracks per top genre: click a genre to show only its tracks, click again for all")

    def set_counts(self, counts: dict[str, int]) -> None:
        """Show ``counts`` (genre -> tracks), in the given order."""
        self.counts = dict(counts)
        self.colours = genre_colours(list(self.counts))
        if self.selected not in self.counts:
            self.selected = ""
        self.updateGeometry()
        self.update()

    def set_selected(self, genre: str) -> None:
        """Highlight ``genre`` ("" for none) without emitting."""
        self.selected = genre if genre in self.counts else ""
        self.update()

    def total(self) -> int:
        return sum(self.counts.values())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(260, max(1, len(self.counts)) * ROW_H + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(180, self.sizeHint().height())

    def genre_at(self, y: float) -> str:
        """The genre of the bar at height ``y`` ("" below the last)."""
        row = int((y - 2) // ROW_H)
        names = list(self.counts)
        return names[row] if 0 <= row < len(names) else ""

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        genre = self.genre_at(event.position().y())
        if not genre:
            return
        self.selected = "" if genre == self.selected else genre
        self.update()
        self.genre_clicked.emit(self.selected)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        muted = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
        track_colour = palette.color(QPalette.ColorRole.Base)
        if not self.counts:
            painter.setPen(muted)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No tracks yet")
            return
        top = max(self.counts.values()) or 1
        total = self.total() or 1
        bar_w = max(10, self.width() - LABEL_W - COUNT_W - 8)
        for row, (genre, count) in enumerate(self.counts.items()):
            y = 2 + row * ROW_H
            selected = genre == self.selected
            dimmed = bool(self.selected) and not selected
            painter.setPen(HIGHLIGHT if selected else (muted if dimmed else text))
            painter.drawText(QRectF(0, y, LABEL_W - 6, ROW_H), Qt.AlignmentFlag.AlignRight |
                             Qt.AlignmentFlag.AlignVCenter, genre)
            track = QRectF(LABEL_W, y + 4, bar_w, ROW_H - 8)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track_colour)
            painter.drawRoundedRect(track, 3, 3)
            colour = QColor(self.colours[genre])
            if dimmed:
                colour.setAlpha(90)
            painter.setBrush(colour)
            if count:
                painter.drawRoundedRect(QRectF(track.x(), track.y(), max(3.0, bar_w * count / top),
                                               track.height()), 3, 3)
            if selected:
                painter.setPen(HIGHLIGHT)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(track.adjusted(-1, -1, 1, 1), 3, 3)
            painter.setPen(muted if dimmed else text)
            painter.drawText(QRectF(LABEL_W + bar_w + 6, y, COUNT_W, ROW_H),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             f"{count}  {count / total:.0%}")
