"""The genre model the app uses: opened in a worker, with a one-line status for the genre panel.

No model installed is a normal state: ``engine`` is None and ``status`` says why and how to get one.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from genrelab.gui.workers import JobRunner
from genrelab.progress import ProgressFn

if TYPE_CHECKING:
    from genrelab.model.engine import Engine

_ENGINE_LOCK = threading.Lock()
NO_MODEL = "No genre model installed"
BAD_MODEL = "Genre model could not be loaded"


class NoModel(str):
    """The worker's answer when no model file is installed or named: the ModelError's message."""


def _open(model: Path | None, backend: str, device: str, threads: int | None) -> Engine | NoModel:
    """Open the engine (in a worker: importing the model code takes seconds)."""
    from genrelab.errors import ModelError
    from genrelab.model.engine import open_engine

    if model is None:
        from genrelab.model.registry import default_model_path

        try:
            model = default_model_path()
        except ModelError as exc:
            return NoModel(str(exc))
    with _ENGINE_LOCK:  # one engine (and one first import of onnxruntime / torch) at a time
        return open_engine(model, backend, device, threads)


class EngineState(QObject):
    """Holds the current engine (or None) and reloads it when the model, backend or device change."""

    changed = Signal()

    def __init__(self, runner: JobRunner, model: Path | None = None, backend: str = "onnx", device: str = "auto",
                 threads: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.model, self.backend, self.device, self.threads = model, backend, device, threads
        self.engine: Engine | None = None
        self.status = "Loading the genre model…"
        self.problem = False
        self.loading = False

    def load(self, model: Path | None = None, backend: str | None = None, device: str | None = None) -> None:
        """(Re)open the engine in a worker; ``changed`` fires when it is ready or has failed."""
        if model is not None:
            self.model = model
        self.backend = backend or self.backend
        self.device = device or self.device
        self.runner.cancel_group("engine")
        self.loading = True
        self.engine = None
        self.status = "Loading the genre model…"
        self.changed.emit()
        model_, backend_, device_, threads_ = self.model, self.backend, self.device, self.threads

        def work(progress: ProgressFn, cancel: threading.Event) -> Engine | NoModel:
            progress(0.1, "loading the genre model")
            return _open(model_, backend_, device_, threads_)

        self.runner.submit("Loading the genre model", work, group="engine", on_done=self._loaded,
                           on_failed=self._failed, on_cancelled=lambda: None)

    def _loaded(self, engine: Engine | NoModel) -> None:
        if isinstance(engine, NoModel):
            self.engine, self.loading, self.problem = None, False, True
            self.status = f"{NO_MODEL} — {engine}"
            self.changed.emit()
            return
        self.engine, self.loading, self.problem = engine, False, False
        self.status = f"Model: {engine.card.name} — {engine.description}"
        self.changed.emit()

    def _failed(self, message: str) -> None:
        self.engine, self.loading, self.problem = None, False, True
        self.status = f"{BAD_MODEL} — {message}"
        self.changed.emit()
