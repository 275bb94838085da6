"""The failures tab: files a scan could not analyse (corrupt, empty, unsupported, unreadable) and why."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHeaderView, QLabel, QVBoxLayout, QWidget

from genrelab.gui.pages.library.list_model import ListTableModel, row_table_view


class FailuresTab(QWidget):
    """The list of failed files with their one-line reasons.

    Signals:
        count_changed(int): the number of failed files changed (the page puts it in the tab title).
        open_requested(Path): a failed file was double-clicked (the Analyse page shows its error in full).
    """

    count_changed = Signal(int)
    open_requested = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ListTableModel(("File", "Reason"), self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.note = QLabel("Files that could not be analysed are listed here with the reason; "
                           "the next scan tries them again if they change.")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #a0a8b4;")
        layout.addWidget(self.note)
        self.view = row_table_view(self.model)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.view.doubleClicked.connect(
            lambda index: self.open_requested.emit(Path(self.model.items[index.row()][0])))
        layout.addWidget(self.view, 1)

    def set_failures(self, items: list[tuple[str, str]]) -> None:
        """Show ``items`` as (path, reason) pairs."""
        self.model.set_items(sorted(items))
        self.count_changed.emit(len(self.model.items))

    def count(self) -> int:
        return len(self.model.items)
