"""Similar tracks for the selected track: the closest by genre distribution (Jensen-Shannon) or by sound."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from genrelab.gui.pages.library.records import SimilarTrack
from genrelab.gui.palette import genre_colours
from genrelab.library.similar_default import BY_CHOICES, DEFAULT_BY  # plain Python: no start-up cost

BY_AUTO, BY_GENRE, BY_SOUND = BY_CHOICES
TEXT = {BY_AUTO: "auto", BY_GENRE: "by genre", BY_SOUND: "by sound"}


class SimilarPanel(QWidget):
    """The K nearest library tracks to the selected one, "auto" (the CLI's default: by sound when the library has
    embeddings, else by genre), "by genre" or "by sound".

    Signals:
        query_changed(): the ranking (genre / sound) or K changed: the page asks again for the current track.
        open_requested(Path): a similar track was double-clicked.
    """

    query_changed = Signal()
    open_requested = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.track_id: int | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.title = QLabel("Select a track to see similar ones")
        self.title.setStyleSheet("color: #a0a8b4;")
        self.title.setWordWrap(True)
        self.by = QComboBox()
        for by in BY_CHOICES:
            self.by.addItem(TEXT[by], by)
        self.by.setToolTip("by genre: closest genre distributions (Jensen-Shannon distance);\n"
                           "by sound: closest model embeddings (tracks that sound alike, within a genre too);\n"
                           "auto (as `genrelab similar`): by sound when the library has embeddings, else by genre")
        self.by.setCurrentIndex(self.by.findData(DEFAULT_BY))
        self.chosen = False  # the user picked a ranking: a library read no longer resets it to the default
        self.k = QSpinBox()
        self.k.setRange(1, 100)
        self.k.setValue(10)
        self.k.setPrefix("top ")
        row.addWidget(self.title, 1)
        row.addWidget(self.by)
        row.addWidget(self.k)
        layout.addLayout(row)
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["#", "Track", "Genre", "Distance"])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setToolTip("Double-click a track to open it on the Analyse page")
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.list, 1)
        self.by.currentIndexChanged.connect(lambda _i: self.query_changed.emit())
        self.by.activated.connect(lambda _i: setattr(self, "chosen", True))
        self.k.valueChanged.connect(lambda _v: self.query_changed.emit())
        self.list.itemDoubleClicked.connect(lambda item, _c: self.open_requested.emit(
            Path(item.data(1, Qt.ItemDataRole.UserRole))))
        self.set_choices(False, DEFAULT_BY, BY_GENRE)

    def ranking(self) -> str:
        """"auto", "genre" or "sound" (the core resolves "auto" for the library at hand)."""
        return str(self.by.currentData())

    def set_choices(self, sound_available: bool, default: str, auto_means: str) -> None:
        """The library's options: "by sound" only when it stores embeddings (a model with an embedding output);
        ``default`` (the core's ``DEFAULT_BY``) is selected unless the user picked another; the auto item says
        what it means here (``auto_means``: "genre" or "sound")."""
        item = self.by.model().item(self.by.findData(BY_SOUND))
        item.setEnabled(sound_available)
        item.setToolTip("" if sound_available else "This library has no sound embeddings: its model has no "
                                                   "embedding output (re-export it, and rescan)")
        self.by.setItemText(self.by.findData(BY_AUTO), f"auto: {TEXT[auto_means]}")
        if not self.chosen or (not sound_available and self.ranking() == BY_SOUND):
            self.by.setCurrentIndex(self.by.findData(default))

    def set_query(self, track_id: int | None, name: str = "") -> None:
        """The track the list is about (None: nothing selected); the answer follows with :meth:`set_results`."""
        self.track_id = track_id
        self.list.clear()
        self.title.setText(f"Like <b>{name}</b>…" if track_id is not None else "Select a track to see similar ones")

    def set_results(self, tracks: list[SimilarTrack]) -> None:
        self.list.clear()
        colours = genre_colours(sorted({t.genre for t in tracks}))
        for rank, track in enumerate(tracks, start=1):
            item = QTreeWidgetItem([str(rank), Path(track.path).name, track.genre, f"{track.distance:.3f}"])
            item.setData(1, Qt.ItemDataRole.UserRole, track.path)
            item.setToolTip(1, track.path)
            item.setData(2, Qt.ItemDataRole.DecorationRole, QColor(colours[track.genre]))
            item.setTextAlignment(3, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.list.addTopLevelItem(item)
        if not tracks and self.track_id is not None:
            self.list.addTopLevelItem(QTreeWidgetItem(["", "no other tracks in the library", "", ""]))

    def set_error(self, message: str) -> None:
        self.list.clear()
        self.list.addTopLevelItem(QTreeWidgetItem(["", message, "", ""]))

    def results(self) -> list[tuple[str, float]]:
        """(path, distance) of the listed tracks, in rank order."""
        out = []
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            path = item.data(1, Qt.ItemDataRole.UserRole)
            if path:
                out.append((str(path), float(item.text(3))))
        return out
