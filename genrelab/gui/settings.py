"""Settings that persist between runs (QSettings, organisation "GenreLab"): folders, recent files, engine,
analysis hop and the spectrogram display."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings

from genrelab.gui.display_settings import DisplaySettings

ORGANISATION = "GenreLab"
APPLICATION = "GenreLab"
MAX_RECENT = 10
BACKENDS = {"onnx": "ONNX Runtime", "torch": "torch"}
DEVICES = ("auto", "cpu", "cuda", "mps")


class Settings:
    """Typed access to the app's QSettings (pass a QSettings to use another store, e.g. in tests)."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store or QSettings(ORGANISATION, APPLICATION)

    def _get(self, key: str, default: str) -> str:
        value = self.store.value(key, default)
        return str(value) if value is not None else default

    # ---- files -------------------------------------------------------------------------------------------
    @property
    def last_folder(self) -> str:
        return self._get("files/last_folder", str(Path.home()))

    @last_folder.setter
    def last_folder(self, folder: str) -> None:
        self.store.setValue("files/last_folder", str(folder))

    @property
    def export_folder(self) -> str:
        """Where export dialogs start: the folder of the last export, else the user's Documents (or Music, or
        home) folder; never a folder that no longer exists."""
        stored = self._get("files/export_folder", "")
        if stored and Path(stored).is_dir():
            return stored
        from PySide6.QtCore import QStandardPaths

        for kind in (QStandardPaths.StandardLocation.DocumentsLocation,
                     QStandardPaths.StandardLocation.MusicLocation):
            folder = QStandardPaths.writableLocation(kind)
            if folder and Path(folder).is_dir():
                return folder
        return str(Path.home())

    @export_folder.setter
    def export_folder(self, folder: str) -> None:
        self.store.setValue("files/export_folder", str(folder))

    @property
    def recent_files(self) -> list[str]:
        try:
            items = json.loads(self._get("files/recent", "[]"))
        except ValueError:
            return []
        return [str(p) for p in items if isinstance(p, str)][:MAX_RECENT]

    def add_recent(self, path: Path | str) -> list[str]:
        """Put ``path`` first in the recent files (and its folder as the last folder); returns the new list."""
        path = str(Path(path).resolve())
        items = [path] + [p for p in self.recent_files if p != path]
        self.store.setValue("files/recent", json.dumps(items[:MAX_RECENT]))
        self.last_folder = str(Path(path).parent)
        return items[:MAX_RECENT]

    def clear_recent(self) -> None:
        self.store.setValue("files/recent", "[]")

    # ---- engine and analysis -----------------------------------------------------------------------------
    @property
    def backend(self) -> str:
        value = self._get("engine/backend", "onnx")
        return value if value in BACKENDS else "onnx"

    @backend.setter
    def backend(self, value: str) -> None:
        self.store.setValue("engine/backend", value)

    @property
    def device(self) -> str:
        value = self._get("engine/device", "auto")
        return value if value in DEVICES else "auto"

    @device.setter
    def device(self, value: str) -> None:
        self.store.setValue("engine/device", value)

    @property
    def model(self) -> str:
        """The model file last chosen in the app ("" = the default model); $GENRELAB_MODEL and --model win."""
        return self._get("engine/model", "")

    @model.setter
    def model(self, path: str) -> None:
        self.store.setValue("engine/model", str(path))

    @property
    def hop_s(self) -> float:
        try:
            value = float(self._get("analysis/hop_s", "0.5"))
        except ValueError:
            return 0.5
        return value if 0.05 <= value <= 30 else 0.5

    @hop_s.setter
    def hop_s(self, value: float) -> None:
        self.store.setValue("analysis/hop_s", f"{value:g}")

    @property
    def timeline_style(self) -> str:
        value = self._get("view/timeline_style", "stacked")
        return value if value in ("stacked", "lines") else "stacked"

    @timeline_style.setter
    def timeline_style(self, value: str) -> None:
        self.store.setValue("view/timeline_style", value)

    # ---- library page ------------------------------------------------------------------------------------
    @property
    def library_folders(self) -> list[str]:
        """Folders the Library page scans."""
        try:
            items = json.loads(self._get("library/folders", "[]"))
        except ValueError:
            return []
        return [str(p) for p in items if isinstance(p, str)] if isinstance(items, list) else []

    @library_folders.setter
    def library_folders(self, folders: list[str]) -> None:
        self.store.setValue("library/folders", json.dumps([str(f) for f in folders]))

    @property
    def library_database(self) -> str:
        """The Library page's database file ("" = the core's default in the user data dir)."""
        return self._get("library/database", "")

    @library_database.setter
    def library_database(self, path: str) -> None:
        self.store.setValue("library/database", str(path))

    # ---- spectrogram display -----------------------------------------------------------------------------
    @property
    def display(self) -> DisplaySettings:
        try:
            data = json.loads(self._get("view/display", "{}"))
        except ValueError:
            data = {}
        colormap = self._get("view/colormap", "")
        if colormap:
            data["colormap"] = colormap
        data.setdefault("hop_length", self._get("view/hop_length", "512"))
        return DisplaySettings.from_dict(data if isinstance(data, dict) else {})

    @display.setter
    def display(self, value: DisplaySettings) -> None:
        self.store.setValue("view/display", json.dumps(value.to_dict()))
        self.store.setValue("view/colormap", value.colormap)
        self.store.setValue("view/hop_length", str(value.hop_length))

    # ---- training page ---------------------------------------------------------------------------------
    @property
    def training_last_run(self) -> str:
        """The run folder the Training page showed last ("" for none); it reopens it."""
        return self._get("training/last_run", "")

    @training_last_run.setter
    def training_last_run(self, folder: str) -> None:
        self.store.setValue("training/last_run", str(folder))

    @property
    def training_last_data(self) -> str:
        """The dataset folder the Training page used last ("" for none)."""
        return self._get("training/last_data", "")

    @training_last_data.setter
    def training_last_data(self, folder: str) -> None:
        self.store.setValue("training/last_data", str(folder))

    def sync(self) -> None:
        self.store.sync()
