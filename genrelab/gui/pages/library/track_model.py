"""The library table's model: tracks held as column arrays, sorted and filtered with numpy (fast at 100,000 rows).

`TrackRows` holds the columns; `TrackTableModel` shows them through ``_visible`` (the row numbers that pass the
filter, in sorted order). Sorting is one ``argsort`` of a column; filtering is one pass over the lower-cased
paths. Neither calls ``data()`` per comparison, which is what makes a QSortFilterProxyModel slow at this size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from genrelab.gui.notes import format_time
from genrelab.gui.pages.library.records import SILENCE, TrackRows
from genrelab.gui.palette import genre_colours

COLUMNS = ("Genre", "Confidence", "Duration", "Path")
GENRE, CONFIDENCE, DURATION, PATH = range(len(COLUMNS))
TRACK_ID_ROLE = Qt.ItemDataRole.UserRole + 1
PATH_ROLE = Qt.ItemDataRole.UserRole + 2
SILENCE_COLOUR = "#6b7280"  # grey: silence is no genre


class TrackTableModel(QAbstractTableModel):
    """Columns Genre, Confidence, Duration, Path over a `TrackRows`; sorting and filtering keep the selection."""

    def __init__(self, parent=None) -> None:  # noqa: ANN001 - any QObject
        super().__init__(parent)
        self.rows = TrackRows.empty()
        self._visible = np.zeros(0, dtype=np.int64)
        self._colours: list[QColor] = []
        self._silence = -1  # the label index of SILENCE (-1: no silent track)
        self._lower_paths: list[str] = []
        self._path_rank: np.ndarray | None = None
        self._sort: tuple[int, Qt.SortOrder] = (PATH, Qt.SortOrder.AscendingOrder)
        self._text = ""
        self._genre: int | None = None

    # ---- content -----------------------------------------------------------------------------------------
    def set_rows(self, rows: TrackRows) -> None:
        """Show ``rows`` (the current sort order and filter stay)."""
        self.beginResetModel()
        self.rows = rows
        colours = genre_colours(rows.labels)
        self._colours = [QColor(SILENCE_COLOUR if label == SILENCE else colours[label]) for label in rows.labels]
        self._silence = rows.labels.index(SILENCE) if SILENCE in rows.labels else -1
        self._lower_paths = [str(p).lower() for p in rows.paths]
        self._path_rank = None
        self._visible = self._order(self._matching())
        self.endResetModel()

    @property
    def labels(self) -> list[str]:
        return self.rows.labels

    def total(self) -> int:
        """Tracks in the library (shown or filtered out)."""
        return len(self.rows)

    def track_id(self, row: int) -> int:
        return int(self.rows.ids[self._visible[row]])

    def path(self, row: int) -> Path:
        return Path(self.rows.paths[self._visible[row]])

    def row_of(self, track_id: int) -> int:
        """The visible row of ``track_id``; -1 if it is filtered out or unknown."""
        hits = np.flatnonzero(self.rows.ids[self._visible] == track_id)
        return int(hits[0]) if len(hits) else -1

    def visible_ids(self) -> np.ndarray:
        """Track ids of the rows shown, in display order."""
        return self.rows.ids[self._visible]

    # ---- Qt model interface ------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt's name
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        i = int(self._visible[index.row()])
        column = index.column()
        rows = self.rows
        if role == Qt.ItemDataRole.DisplayRole:
            if column == GENRE:
                return rows.labels[rows.genres[i]]
            if column == CONFIDENCE:
                return "—" if rows.genres[i] == self._silence else f"{rows.confidence[i]:.0%}"
            if column == DURATION:
                return format_time(float(rows.duration[i]))
            return rows.paths[i]
        if role == Qt.ItemDataRole.DecorationRole and column == GENRE:
            return self._colours[rows.genres[i]]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (CONFIDENCE, DURATION):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == GENRE and rows.genres[i] == self._silence:
            return "Silent: nothing above -80 dBFS in the analysed windows, so no genre (and no genre tag)"
        if role == Qt.ItemDataRole.ToolTipRole and column == PATH:
            return rows.paths[i]
        if role == TRACK_ID_ROLE:
            return int(rows.ids[i])
        if role == PATH_ROLE:
            return rows.paths[i]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column`` (ties by path), keeping the selected rows selected."""
        self._sort = (column, order)
        self._relayout(self._order(self._visible))

    # ---- filtering ---------------------------------------------------------------------------------------
    def set_filter(self, text: str | None = None, genre: str | None | bool = False) -> None:
        """Show only tracks whose path or genre contains ``text`` (case-insensitive) and, if given, of ``genre``.

        ``text=None`` keeps the current text; ``genre=False`` keeps the current genre, ``None`` shows all genres.
        """
        if text is not None:
            self._text = text.strip().lower()
        if genre is not False:
            self._genre = self.labels.index(genre) if genre in self.labels else None
        self._relayout(self._order(self._matching()))

    @property
    def filter_text(self) -> str:
        return self._text

    @property
    def filter_genre(self) -> str | None:
        return None if self._genre is None else self.labels[self._genre]

    def _matching(self) -> np.ndarray:
        """Row numbers (unsorted) that pass the filter."""
        rows = self.rows
        keep = np.ones(len(rows), dtype=bool)
        if self._genre is not None:
            keep &= rows.genres == self._genre
        if self._text:
            text = self._text
            genre_hit = np.array([text in label.lower() for label in rows.labels] + [False], dtype=bool)
            codes = np.where(keep, rows.genres, len(rows.labels)).astype(np.int64)
            by_genre = genre_hit[codes]
            by_path = np.fromiter((text in p for p in self._lower_paths), dtype=bool, count=len(rows))
            keep &= by_genre | by_path
        return np.flatnonzero(keep)

    # ---- sorting -----------------------------------------------------------------------------------------
    def _ranks_by_path(self) -> np.ndarray:
        """Each row's position in path order (computed once per content: the one slow, string sort)."""
        if self._path_rank is None:
            order = np.argsort(np.asarray(self._lower_paths, dtype=object), kind="stable")
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            self._path_rank = rank
        return self._path_rank

    def _order(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` in the current sort order."""
        if len(rows) == 0:
            return rows.astype(np.int64)
        column, order = self._sort
        sign = -1 if order == Qt.SortOrder.DescendingOrder else 1
        path_rank = self._ranks_by_path()[rows]
        if column == PATH:
            return rows[np.argsort(sign * path_rank, kind="stable")]
        if column == GENRE:
            genre_rank = np.argsort(np.argsort(np.asarray(self.labels, dtype=object)))
            primary = genre_rank[self.rows.genres[rows]].astype(np.int64)
        elif column == CONFIDENCE:
            primary = self.rows.confidence[rows]
        else:
            primary = self.rows.duration[rows]
        return rows[np.lexsort([path_rank, sign * primary])]  # ties: by path, ascending

    def _relayout(self, visible: np.ndarray) -> None:
        """Switch to ``visible`` as a layout change, moving persistent indexes (the selection) with their rows."""
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        position = np.full(len(self.rows), -1, dtype=np.int64)
        position[visible] = np.arange(len(visible))
        moved = [int(position[self._visible[index.row()]]) if 0 <= index.row() < len(self._visible) else -1
                 for index in old]
        self._visible = visible
        new = [self.index(row, index.column()) if row >= 0 else QModelIndex() for row, index in zip(moved, old, strict=True)]
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()
