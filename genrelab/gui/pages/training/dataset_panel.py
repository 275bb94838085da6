"""The dataset: a folder picker, scanned in a worker as soon as it is chosen, and its summary."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from genrelab.gui.workers import JobRunner

GROUP = "training-scan"


class DatasetPanel(QGroupBox):
    """Owns the chosen folder and its summary; ``summary_changed`` fires with a DatasetSummary or None."""

    summary_changed = Signal(object)

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__("Dataset", parent)
        self.runner = runner
        self.folder_edit = QLineEdit(self)
        self.folder_edit.setPlaceholderText("a folder with one sub-folder per class (audio files, or Mel images)")
        self.folder_edit.editingFinished.connect(lambda: self.set_folder(self.folder_edit.text()))
        self.browse = QPushButton("Choose…", self)
        self.browse.clicked.connect(self.choose)
        self.images = QCheckBox("Mel-spectrogram images (GTZAN-style PNGs), not audio", self)
        self.images.toggled.connect(lambda _on: self.rescan())
        self.summary_text = QPlainTextEdit(self)
        self.summary_text.setReadOnly(True)
        self.summary_text.setPlaceholderText("Choose a dataset folder: it is scanned at once.")
        self.summary_text.setMaximumHeight(110)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(self.browse)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.images)
        layout.addWidget(self.summary_text)
        self.folder: Path | None = None
        self.summary = None
        self.error = ""
        self.scanning = False

    def choose(self) -> None:
        start = str(self.folder or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Dataset folder (one sub-folder per class)", start)
        if folder:
            self.set_folder(folder)

    def set_folder(self, folder: str | Path) -> None:
        """Use ``folder`` and scan it (in a worker)."""
        text = str(folder).strip()
        if not text:
            return
        path = Path(text).expanduser()
        if self.folder is not None and path == self.folder and (self.summary or self.scanning):
            return
        self.folder = path
        self.folder_edit.setText(str(path))
        self.rescan()

    def rescan(self) -> None:
        if self.folder is None:
            return
        self.runner.cancel_group(GROUP)
        self.summary, self.error, self.scanning = None, "", True
        self.summary_text.setPlainText(f"Scanning {self.folder}…")
        self.summary_changed.emit(None)
        folder, images = self.folder, self.images.isChecked()

        def work(progress, cancel):  # noqa: ANN001, ANN202 - the runner's job signature
            from genrelab.gui.pages.training.jobs import summarise_dataset

            return summarise_dataset(folder, images, progress, cancel)

        self.runner.submit(f"Scanning {folder.name}", work, group=GROUP, on_done=self._scanned,
                           on_failed=self._failed, on_progress=self._progress)

    def _progress(self, fraction: float, message: str) -> None:
        self.summary_text.setPlainText(f"Scanning {self.folder}… {fraction:.0%} {message}")

    def _scanned(self, summary) -> None:  # noqa: ANN001 - DatasetSummary
        self.summary, self.scanning = summary, False
        if summary.images != self.images.isChecked():  # recognised as images (or audio) by the scan
            self.images.blockSignals(True)
            self.images.setChecked(summary.images)
            self.images.blockSignals(False)
        self.summary_text.setPlainText("\n".join(summary.lines()))
        self.summary_changed.emit(summary)

    def _failed(self, message: str) -> None:
        self.summary, self.error, self.scanning = None, message, False
        self.summary_text.setPlainText(f"Cannot train on this folder: {message}")
        self.summary_changed.emit(None)
