"""The library's folders: add, remove, kept in the settings. A folder that has gone away is shown as missing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from genrelab.gui.settings import Settings

MISSING = QColor("#ff8c69")


class FolderList(QWidget):
    """The folders a scan walks (recursively), persisted in ``settings.library_folders``.

    Signals:
        folders_changed(list): the folders as strings, after an add or a remove.
    """

    folders_changed = Signal(list)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setAcceptDrops(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setTextElideMode(Qt.TextElideMode.ElideLeft)
        self.list.setToolTip("Folders scanned for audio files (with their sub-folders); drop folders here")
        layout.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add folder…")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Stop scanning the selected folders (tracks already analysed stay)")
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.choose_folder)
        self.remove_button.clicked.connect(self.remove_selected)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self._folders: list[str] = []
        self._show([f for f in settings.library_folders])

    def folders(self) -> list[Path]:
        """The folders, in the order added."""
        return [Path(f) for f in self._folders]

    def existing_folders(self) -> list[Path]:
        return [p for p in self.folders() if p.is_dir()]

    def add_folder(self, folder: Path | str) -> bool:
        """Add ``folder`` (resolved); False if it is not a folder or is already listed (or inside one listed)."""
        path = Path(folder).expanduser()
        if not path.is_dir():
            return False
        resolved = str(path.resolve())
        for existing in self._folders:
            if resolved == existing or Path(resolved).is_relative_to(existing):
                return False
        # a new parent folder replaces the listed folders inside it
        self._show([f for f in self._folders if not Path(f).is_relative_to(resolved)] + [resolved])
        self._changed()
        return True

    def remove_folders(self, folders: list[str]) -> None:
        self._show([f for f in self._folders if f not in set(folders)])
        self._changed()

    def remove_selected(self) -> None:
        self.remove_folders([item.data(Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()])

    def choose_folder(self) -> None:
        """Ask for a folder and add it."""
        start = self._folders[-1] if self._folders else self.settings.last_folder
        folder = QFileDialog.getExistingDirectory(self, "Add a music folder", start)
        if folder:
            self.add_folder(folder)

    def refresh(self) -> None:
        """Re-check which folders exist (shown as missing otherwise)."""
        self._show(list(self._folders))

    def _show(self, folders: list[str]) -> None:
        self._folders = folders
        self.list.clear()
        for folder in folders:
            missing = not Path(folder).is_dir()
            item = QListWidgetItem(f"{folder}  (missing)" if missing else folder)
            item.setData(Qt.ItemDataRole.UserRole, folder)
            item.setToolTip("This folder is not there now (an unplugged drive?): it is skipped" if missing else folder)
            if missing:
                item.setForeground(MISSING)
            self.list.addItem(item)
        self._update_buttons()

    def _changed(self) -> None:
        self.settings.library_folders = list(self._folders)
        self.folders_changed.emit(list(self._folders))

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(bool(self.list.selectedItems()))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.isLocalFile() and Path(u.toLocalFile()).is_dir() for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        added = [self.add_folder(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if any(added):
            event.acceptProposedAction()
