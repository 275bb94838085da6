"""A read-only table model over a list of string tuples (failures, planned tag changes)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView


class ListTableModel(QAbstractTableModel):
    """Rows of strings under ``headers``; ``colours`` optionally tints whole rows (row -> colour)."""

    def __init__(self, headers: Sequence[str], parent=None) -> None:  # noqa: ANN001 - any QObject
        super().__init__(parent)
        self.headers = tuple(headers)
        self.items: list[tuple[str, ...]] = []
        self.colours: dict[int, QColor] = {}

    def set_items(self, items: Sequence[Sequence[object]], colours: dict[int, QColor] | None = None) -> None:
        self.beginResetModel()
        self.items = [tuple(str(v) for v in row) for row in items]
        self.colours = dict(colours or {})
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt's name
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.items[index.row()][index.column()]
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.colours.get(index.row())
        return None


def row_table_view(model: QAbstractTableModel, stretch_column: int = 0) -> QTableView:
    """A read-only table of whole-row selection, one line a row, long paths elided in the middle."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    view.verticalHeader().hide()
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(22)
    view.horizontalHeader().setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)
    return view
