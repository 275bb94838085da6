"""The library's folders: those added on the page (kept in the settings) and those the library database knows
(a scan, or `genrelab tag FOLDER` on the same database), each listed once. A folder that has gone away is shown
as missing."""

from __future__ import annotations

import os
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


def _key(folder: str) -> str:
    """The folder with links resolved: two spellings of one folder are listed once."""
    return os.path.realpath(folder)


def _inside(folder: str, parent: str) -> bool:
    return folder == parent or Path(folder).is_relative_to(parent)


class FolderList(QWidget):
    """The folders a scan walks (recursively): the ones added here, persisted in ``settings.library_folders``,
    and the ones the library database records (:meth:`set_library_folders`), without duplicates (a folder inside
    a listed one is covered by it).

    Remove does not remove by itself: it asks the page (``remove_requested``), which asks the user what to do
    with the tracks analysed there, then calls :meth:`remove_folders`.

    Signals:
        folders_changed(list): the folders as strings, after an add or a remove.
        remove_requested(list): Remove was pressed for these folders (as listed).
    """

    folders_changed = Signal(list)
    remove_requested = Signal(list)

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
        self.remove_button.setToolTip("Stop scanning the selected folders (you are asked whether the tracks "
                                      "analysed in them stay in the library)")
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.choose_folder)
        self.remove_button.clicked.connect(self.remove_selected)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self._own: list[str] = list(settings.library_folders)  # added on this page (the settings)
        self._library: list[str] = []  # recorded in the library database
        self._folders: list[str] = []  # as listed: the two merged
        self._show()

    def folders(self) -> list[Path]:
        """The folders listed: those added here in the order added, then the library database's others."""
        return [Path(f) for f in self._folders]

    def library_folders(self) -> list[str]:
        """The folders the library database records (as it spells them)."""
        return list(self._library)

    def set_library_folders(self, folders: list[str]) -> None:
        """The folders the library database records (a new database: its folders replace the old one's)."""
        if list(folders) != self._library:
            self._library = list(folders)
            self._show()

    def existing_folders(self) -> list[Path]:
        return [p for p in self.folders() if p.is_dir()]

    def add_folder(self, folder: Path | str) -> bool:
        """Add ``folder`` (resolved); False if it is not a folder or is already listed (or inside one listed)."""
        path = Path(folder).expanduser()
        if not path.is_dir():
            return False
        resolved = str(path.resolve())
        for existing in self._folders:
            if _inside(resolved, _key(existing)):
                return False
        # a new parent folder replaces the listed folders inside it
        self._own = [f for f in self._own if not _inside(_key(f), resolved)] + [resolved]
        self._show()
        self._changed()
        return True

    def remove_folders(self, folders: list[str]) -> None:
        """Stop listing ``folders`` (as listed), and the library database's folders they cover. The page
        forgets them in the database too (:func:`~.library_access.remove_folders`)."""
        gone = {_key(f) for f in folders}
        self._own = [f for f in self._own if _key(f) not in gone]
        self._library = [f for f in self._library if not any(_inside(_key(f), g) for g in gone)]
        self._show()
        self._changed()

    def remove_selected(self) -> None:
        """Ask to remove the selected folders (``remove_requested``)."""
        selected = [item.data(Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()]
        if selected:
            self.remove_requested.emit(selected)

    def choose_folder(self) -> None:
        """Ask for a folder and add it."""
        start = self._folders[-1] if self._folders else self.settings.last_folder
        folder = QFileDialog.getExistingDirectory(self, "Add a music folder", start)
        if folder:
            self.add_folder(folder)

    def refresh(self) -> None:
        """Re-check which folders exist (shown as missing otherwise)."""
        self._show()

    def _merged(self) -> list[str]:
        """The page's folders, then the database's that are neither the same folder nor inside a listed one."""
        out: list[str] = []
        keys: list[str] = []
        for folder in [*self._own, *self._library]:
            key = _key(folder)
            if not any(_inside(key, k) for k in keys):
                out = [f for f, k in zip(out, keys, strict=True) if not _inside(k, key)] + [folder]
                keys = [_key(f) for f in out]
        return out

    def _show(self) -> None:
        self._folders = self._merged()
        own = {_key(f) for f in self._own}
        self.list.clear()
        for folder in self._folders:
            missing = not Path(folder).is_dir()
            item = QListWidgetItem(f"{folder}  (missing)" if missing else folder)
            item.setData(Qt.ItemDataRole.UserRole, folder)
            tip = folder if _key(folder) in own else f"{folder}\nIn the library database (a scan or `genrelab tag`)"
            item.setToolTip("This folder is not there now (an unplugged drive?): it is skipped" if missing else tip)
            if missing:
                item.setForeground(MISSING)
            self.list.addItem(item)
        self._update_buttons()

    def _changed(self) -> None:
        self.settings.library_folders = list(self._own)
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
