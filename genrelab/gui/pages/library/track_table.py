"""The library table with its filter box and genre choice: double-click opens a track, selection picks one."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from genrelab.gui.pages.library.track_model import (
    CONFIDENCE,
    DURATION,
    GENRE,
    PATH,
    TrackRows,
    TrackTableModel,
)

ALL_GENRES = "All genres"
FILTER_DELAY_MS = 150  # typing in the filter box re-filters once the user pauses


class TrackTable(QWidget):
    """A sortable, filterable view of the library's tracks.

    Signals:
        open_requested(Path): a track was double-clicked (or Enter pressed on it).
        selection_changed(list): track ids of the selected rows, in display order.
        filter_changed(): the filter text or genre changed.
    """

    open_requested = Signal(Path)
    selection_changed = Signal(list)
    filter_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = TrackTableModel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText("Filter by path or genre… (Ctrl+F)")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.setObjectName("library_filter")
        self.genre_box = QComboBox()
        self.genre_box.addItem(ALL_GENRES)
        self.genre_box.setToolTip("Show only the tracks whose top genre is this one")
        self.count_label = QLabel("")
        self.count_label.setStyleSheet("color: #a0a8b4;")
        bar.addWidget(self.filter_box, 1)
        bar.addWidget(self.genre_box)
        bar.addWidget(self.count_label)
        layout.addLayout(bar)

        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(22)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(PATH, QHeaderView.ResizeMode.Stretch)
        for column, width in ((GENRE, 110), (CONFIDENCE, 90), (DURATION, 80)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.view.setColumnWidth(column, width)
        header.setSortIndicator(PATH, Qt.SortOrder.AscendingOrder)
        self.view.setToolTip("Double-click a track to open it on the Analyse page")
        layout.addWidget(self.view, 1)
        self.empty_note = QLabel("No tracks yet: add a music folder on the left, then press Scan.")
        self.empty_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_note.setStyleSheet("color: #8a93a0; font-size: 14px;")
        self.empty_note.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        overlay = QVBoxLayout(self.view.viewport())
        overlay.addWidget(self.empty_note)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter_box.textChanged.connect(lambda _t: self._filter_timer.start())
        self.filter_box.returnPressed.connect(self.apply_filter)
        self.genre_box.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.view.doubleClicked.connect(self._on_double_click)
        self.view.installEventFilter(self)  # Enter opens the current track, as a double-click does
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._emit_selection())
        self.model.modelReset.connect(self._update_count)
        self.model.layoutChanged.connect(self._update_count)
        self._update_count()

    # ---- content -----------------------------------------------------------------------------------------
    def set_rows(self, rows: TrackRows) -> None:
        """Show ``rows``; the filter, sort order and (where the tracks remain) the selection stay."""
        selected = self.selected_ids()
        if rows.labels != self.model.labels:
            self.genre_box.blockSignals(True)
            current = self.genre_box.currentText()
            self.genre_box.clear()
            self.genre_box.addItems([ALL_GENRES, *rows.labels])
            self.genre_box.setCurrentText(current if current in rows.labels else ALL_GENRES)
            self.genre_box.blockSignals(False)
        self.model.set_rows(rows)
        self.select_ids(selected)

    def set_genre(self, genre: str) -> None:
        """Show only ``genre`` ("" for all genres)."""
        self.genre_box.setCurrentText(genre if genre in self.model.labels else ALL_GENRES)

    def genre(self) -> str:
        text = self.genre_box.currentText()
        return "" if text == ALL_GENRES else text

    def apply_filter(self) -> None:
        """Apply the filter box and genre choice now (typing applies them after a short pause)."""
        self._filter_timer.stop()
        self.model.set_filter(self.filter_box.text(), self.genre() or None)
        self.filter_changed.emit()
        self._emit_selection()

    # ---- selection ---------------------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        return [self.model.track_id(r) for r in rows]

    def select_ids(self, ids: list[int]) -> None:
        """Select the rows of ``ids`` that are shown (the first one becomes current and scrolled to)."""
        selection = self.view.selectionModel()
        selection.clearSelection()
        first = None
        for track_id in ids:
            row = self.model.row_of(track_id)
            if row < 0:
                continue
            index = self.model.index(row, 0)
            flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
            selection.select(index, flags)
            if first is None:
                first = index
        if first is not None:
            selection.setCurrentIndex(first, selection.SelectionFlag.NoUpdate)
            self.view.scrollTo(first)

    def _emit_selection(self) -> None:
        self.selection_changed.emit(self.selected_ids())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (watched is self.view and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            self._on_double_click(self.view.currentIndex())
            return True
        return super().eventFilter(watched, event)

    def _on_double_click(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_requested.emit(self.model.path(index.row()))

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total()
        self.empty_note.setVisible(total == 0)
        self.count_label.setText(f"{total:,} tracks" if shown == total else f"{shown:,} of {total:,} tracks")
