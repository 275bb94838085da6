"""Analysis > Choose model: the shipped and the user's own models with their cards; the chosen one becomes the
app's model (the Analyse page re-analyses with it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from genrelab.gui.engine_state import EngineState
    from genrelab.gui.workers import JobRunner

COLUMNS = ("Model", "Source", "Classes", "Accuracy", "Data", "Split", "Date", "File")


class ModelPicker(QDialog):
    """Lists the models (read in a worker) and switches ``engine_state`` to the one chosen."""

    def __init__(self, runner: JobRunner, engine_state: EngineState, parent: QWidget | None = None,
                 on_use: Callable[[Path], None] | None = None) -> None:
        super().__init__(parent)
        self.on_use = on_use
        self.setWindowTitle("Genre models")
        self.resize(1100, 360)
        self.engine_state = engine_state
        self.entries: list[Any] = []
        self.status = QLabel("Reading the models' cards…", self)
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.cellDoubleClicked.connect(lambda _r, _c: self.use_selected())
        self.buttons = QDialogButtonBox(self)
        self.use_button = self.buttons.addButton("Use this model", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self.use_selected)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.loading = True

        def work(progress, cancel):  # noqa: ANN001, ANN202 - the runner's job signature
            from genrelab.model.catalogue import list_models

            return list_models()

        runner.submit("Listing models", work, group="model-picker", visible=False, on_done=self._listed,
                      on_failed=self._failed)

    def _listed(self, entries: list[Any]) -> None:
        self.loading = False
        self.entries = entries
        current = Path(self.engine_state.model).resolve() if self.engine_state.model else None
        engine = self.engine_state.engine
        self.table.setRowCount(len(entries))
        for r, entry in enumerate(entries):
            row = entry.summary_row()
            if entry.error:
                row[0], row[4] = entry.path.stem, f"cannot be used: {entry.error}"
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setToolTip(text if c != 0 else "\n".join(
                    f"{k}: {v}" for k, v in zip(COLUMNS, row, strict=True) if v))
                if entry.error:
                    item.setForeground(QBrush(QColor("#999999")))
                self.table.setItem(r, c, item)
            in_use = (current is not None and entry.path.resolve() == current) or (
                current is None and engine is not None and entry.source == "shipped" and r == 0)
            if in_use:
                self.table.item(r, 0).setText(f"● {row[0]}")
                self.table.selectRow(r)
        self.status.setText(f"{len(entries)} model(s). ● marks the one in use. Train your own on the Training "
                            "page; \"Use this model\" there adds it here." if entries else
                            "No models installed: train one on the Training page.")

    def _failed(self, message: str) -> None:
        self.loading = False
        self.status.setText(f"Cannot list the models: {message}")

    def _selected(self) -> None:
        entry = self.selected()
        self.use_button.setEnabled(entry is not None and not entry.error)

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows and rows[0].row() < len(self.entries) else None

    def use_selected(self) -> None:
        """Make the selected model the app's model and close."""
        entry = self.selected()
        if entry is None or entry.error:
            return
        if self.on_use is not None:
            self.on_use(entry.path)
        else:
            self.engine_state.load(model=entry.path)
        self.accept()

    def row_of(self, path: Path) -> int:
        """The table row of model file ``path`` (-1 if not listed)."""
        return next((r for r, e in enumerate(self.entries) if e.path.resolve() == Path(path).resolve()), -1)


def show_model_picker(parent: QWidget, runner: JobRunner, engine_state: EngineState,
                      on_use: Callable[[Path], None] | None = None) -> ModelPicker:
    """Open the picker (non-modal) and return it; ``on_use(path)`` switches the model (else engine_state.load)."""
    picker = ModelPicker(runner, engine_state, parent, on_use)
    picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    picker.show()
    return picker
