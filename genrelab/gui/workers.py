"""Workers: run core calls on a thread pool and hand their progress and results back on the GUI thread.

A job is a plain function ``fn(progress, cancel) -> result`` (the core's own callback convention). The runner
turns its callbacks into queued signals, so every ``on_*`` callback runs on the GUI thread. Jobs belong to a
group; cancelling a group sets the jobs' events (the core raises `Cancelled` at its next check) and no
``on_done`` of theirs is called afterwards, even if the result was already on its way.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

from genrelab.errors import Cancelled, GenreLabError
from genrelab.gui.core_imports import import_core
from genrelab.progress import ProgressFn

log = logging.getLogger(__name__)
JobFn = Callable[[ProgressFn, threading.Event], Any]
PROGRESS_INTERVAL_S = 0.04  # at most 25 progress signals a second per job


@dataclass
class Job:
    """One submitted job and what to call when it ends (on the GUI thread)."""

    id: int
    name: str
    group: str
    visible: bool
    cancel: threading.Event = field(default_factory=threading.Event)
    fraction: float = 0.0
    message: str = ""
    on_done: Callable[[Any], None] | None = None
    on_failed: Callable[[str], None] | None = None
    on_progress: Callable[[float, str], None] | None = None
    on_cancelled: Callable[[], None] | None = None
    started_at: float = field(default_factory=time.perf_counter)


class _JobSignals(QObject):
    progress = Signal(int, float, str)
    done = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)


class _Runnable(QRunnable):
    def __init__(self, job: Job, fn: JobFn, signals: _JobSignals) -> None:
        super().__init__()
        self.job, self.fn, self.signals = job, fn, signals
        self._last = 0.0

    def _progress(self, fraction: float, message: str) -> None:
        now = time.perf_counter()
        if now - self._last >= PROGRESS_INTERVAL_S or fraction >= 1.0:
            self._last = now
            self.signals.progress.emit(self.job.id, float(fraction), str(message))

    def run(self) -> None:
        job = self.job
        try:
            import_core()
            result = self.fn(self._progress, job.cancel)
        except Cancelled:
            self.signals.cancelled.emit(job.id)
        except GenreLabError as exc:
            self.signals.failed.emit(job.id, str(exc))
        except MemoryError:
            self.signals.failed.emit(job.id, f"{job.name}: not enough memory")
        except Exception as exc:  # noqa: BLE001 - a bug: one line for the user, the traceback for the log
            log.exception("job %r failed", job.name)
            self.signals.failed.emit(job.id, f"{job.name} failed: {type(exc).__name__}: {exc}".splitlines()[0])
        else:
            if job.cancel.is_set():
                self.signals.cancelled.emit(job.id)
            else:
                self.signals.done.emit(job.id, result)


class JobRunner(QObject):
    """Runs jobs on its own thread pool; signals ``changed`` whenever the set of jobs or their progress changes."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None, max_threads: int | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads or max(2, QThread.idealThreadCount() - 1))
        self._jobs: dict[int, Job] = {}
        self._runnables: dict[int, _Runnable] = {}
        self._ids = itertools.count(1)
        self._signals = _JobSignals(self)
        self._signals.progress.connect(self._on_progress)
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)
        self._signals.cancelled.connect(self._on_cancelled)

    # ---- submitting and cancelling ---------------------------------------------------------------------
    def submit(self, name: str, fn: JobFn, *, group: str = "default", visible: bool = True, priority: int = 0,
               on_done: Callable[[Any], None] | None = None, on_failed: Callable[[str], None] | None = None,
               on_progress: Callable[[float, str], None] | None = None,
               on_cancelled: Callable[[], None] | None = None) -> Job:
        """Start ``fn(progress, cancel)`` on the pool. ``visible`` jobs show in the progress bar."""
        job = Job(next(self._ids), name, group, visible, on_done=on_done, on_failed=on_failed,
                  on_progress=on_progress, on_cancelled=on_cancelled)
        runnable = _Runnable(job, fn, self._signals)
        runnable.setAutoDelete(False)
        self._jobs[job.id] = job
        self._runnables[job.id] = runnable
        self.pool.start(runnable, priority)
        self.changed.emit()
        return job

    def cancel_group(self, group: str) -> None:
        """Cancel every job of ``group`` (their results, if any still arrive, are dropped)."""
        for job in self._jobs.values():
            if job.group == group:
                job.cancel.set()

    def cancel_visible(self) -> None:
        """Cancel every job shown in the progress bar (the Cancel button)."""
        for job in self._jobs.values():
            if job.visible:
                job.cancel.set()

    def cancel_all(self) -> None:
        for job in self._jobs.values():
            job.cancel.set()

    def active(self, group: str | None = None, visible_only: bool = False) -> list[Job]:
        """Jobs not finished yet (optionally of one group / only visible ones), oldest first."""
        return [j for j in self._jobs.values()
                if (group is None or j.group == group) and (j.visible or not visible_only)]

    def wait(self, msecs: int = 5000) -> bool:
        """Block until the pool is idle (for shutdown and tests)."""
        return self.pool.waitForDone(msecs)

    # ---- results, on the GUI thread ----------------------------------------------------------------------
    def _finish(self, job_id: int) -> Job | None:
        job = self._jobs.pop(job_id, None)
        self._runnables.pop(job_id, None)
        return job

    @Slot(int, float, str)
    def _on_progress(self, job_id: int, fraction: float, message: str) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.cancel.is_set():
            return
        job.fraction, job.message = fraction, message
        if job.on_progress:
            job.on_progress(fraction, message)
        self.changed.emit()

    @Slot(int, object)
    def _on_done(self, job_id: int, result: Any) -> None:
        self._settle(job_id, "on_done", result)

    @Slot(int, str)
    def _on_failed(self, job_id: int, message: str) -> None:
        self._settle(job_id, "on_failed", message)

    def _settle(self, job_id: int, handler: str, value: Any) -> None:
        """A job ended: its ``on_cancelled`` if it was cancelled meanwhile, else ``handler(value)``."""
        job = self._finish(job_id)
        if job is None:
            return
        if job.cancel.is_set():
            self._call(job.on_cancelled)
        elif getattr(job, handler):
            getattr(job, handler)(value)
        self.changed.emit()

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        job = self._finish(job_id)
        if job is not None:
            self._call(job.on_cancelled)
            self.changed.emit()

    @staticmethod
    def _call(callback: Callable[[], None] | None) -> None:
        if callback is not None:
            callback()
