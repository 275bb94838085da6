"""The confirmation before genre tags are written: every file that will change, its old and new genre."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from genrelab.gui.pages.library.list_model import ListTableModel, row_table_view
from genrelab.gui.pages.library.records import TagChange

KEPT = QColor("#8a93a0")


class WriteTagsDialog(QDialog):
    """Lists the planned changes; Write (accept) or Cancel. Opened window-modal with ``open()``, not ``exec()``."""

    def __init__(self, changes: list[TagChange], overwrite: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.changes = changes
        self.setWindowTitle("Write genre tags?")
        self.resize(900, 520)
        writes = [c for c in changes if c.write]
        kept = len(changes) - len(writes)
        layout = QVBoxLayout(self)
        text = (f"<b>{len(writes):,} file{'s' if len(writes) != 1 else ''}</b> will get a genre tag "
                "(the audio is not touched; the old values are recorded, so <i>Undo tag writes</i> restores them).")
        if kept:
            text += (f"<br>{kept:,} file{'s' if kept != 1 else ''} will be left as "
                     f"{'they are' if kept != 1 else 'it is'} (shown in grey"
                     f"{'' if overwrite else '; existing genre tags are kept unless overwrite is on'}).")
        self.summary = QLabel(text)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.model = ListTableModel(("File", "Genre now", "Will be", "Action"), self)
        rows = [(c.path, c.old or "—", c.new if c.write else c.old or "—", "write" if c.write else c.note)
                for c in sorted(changes, key=lambda c: (not c.write, c.path))]
        self.model.set_items(rows, {i: KEPT for i, r in enumerate(rows) if r[3] != "write"})
        self.view = row_table_view(self.model)
        for column, width in ((1, 110), (2, 110), (3, 200)):
            self.view.setColumnWidth(column, width)
        layout.addWidget(self.view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.write_button = buttons.addButton(f"Write {len(writes):,} tag{'s' if len(writes) != 1 else ''}",
                                              QDialogButtonBox.ButtonRole.AcceptRole)
        self.write_button.setEnabled(bool(writes))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def listed_paths(self) -> list[str]:
        """Every file listed, in the dialog's order."""
        return [row[0] for row in self.model.items]
