"""One live session: the recorder, the live analyser, the take being written, and their images, for the page.

A QObject that starts and stops the core objects (opening the device in a worker) and turns their thread
callbacks into queued signals. It computes nothing itself.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from genrelab.gui.pages.live.images import LiveImage
from genrelab.progress import ProgressFn

if TYPE_CHECKING:
    from genrelab.audio.record import InputDevice, Recorder
    from genrelab.audio.record_live import LiveAnalyser
    from genrelab.audio.record_take import Take
    from genrelab.dsp.spec import FeatureSpec
    from genrelab.gui.workers import JobRunner
    from genrelab.model.engine import Engine


class LiveSession(QObject):
    """Signals (all on the GUI thread): ``opened()``, ``failed(message)`` (could not open, or the device was
    lost), ``estimate(GenreEstimate)``, ``take_done(TakeResult)``."""

    opened = Signal()
    failed = Signal(str)
    estimate = Signal(object)
    take_done = Signal(object)
    _device_lost = Signal(str)

    def __init__(self, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.recorder: Recorder | None = None
        self.analyser: LiveAnalyser | None = None
        self.take: Take | None = None
        self.images: dict[str, LiveImage] = {}
        self.opening = False
        self.engine: Engine | None = None
        self.hop_s = 0.5
        self.history_s = 10.0
        self.display: dict[str, FeatureSpec] = {}
        self.display_settings: Any = None  # DisplaySettings
        self._generation = 0
        self._device_lost.connect(self.failed.emit)

    @property
    def running(self) -> bool:
        return self.recorder is not None

    # ---- opening and closing ---------------------------------------------------------------------------
    def open(self, device: InputDevice, engine: Engine | None, hop_s: float, history_s: float,
             display: dict[str, FeatureSpec], settings: Any) -> None:
        """Open ``device`` in a worker; ``opened`` or ``failed`` follows."""
        self.close()
        self.engine, self.hop_s, self.history_s, self.display = engine, hop_s, history_s, display
        self.display_settings = settings
        self.opening = True
        self._generation += 1
        generation = self._generation

        def work(_progress: ProgressFn, _cancel: threading.Event) -> Recorder:
            from genrelab.audio.record import Recorder, RecordError

            recorder = Recorder(device)
            recorder.start()
            if not recorder.wait_for_audio():
                message = recorder.error or f"no audio arrives from {device.label} (is it connected?)"
                recorder.stop()
                raise RecordError(message)
            return recorder

        self.runner.submit("Opening the input", work, group="live-open", visible=False,
                           on_done=lambda rec: self._opened(rec, generation),
                           on_failed=lambda msg: self._open_failed(msg, generation))

    def _opened(self, recorder: Recorder, generation: int) -> None:
        if generation != self._generation:  # closed (or reopened) meanwhile
            recorder.stop()
            return
        self.opening = False
        self.recorder = recorder
        recorder.on_failure(self._device_lost.emit)  # from the recorder's supervisor thread: queued
        self._start_analyser(recorder.frames)
        self.opened.emit()

    def _open_failed(self, message: str, generation: int) -> None:
        if generation == self._generation:
            self.opening = False
            self.failed.emit(message)

    def close(self) -> None:
        """Stop the analyser and the stream (a take in progress is finished first, synchronously)."""
        self._generation += 1
        self.opening = False
        if self.take is not None:
            self.take.stop()
            self.take = None
        if self.analyser is not None:
            self.analyser.stop(drain=False)
            self.analyser = None
        if self.recorder is not None:
            self.recorder.stop()
            self.recorder = None

    # ---- analysis --------------------------------------------------------------------------------------
    def _start_analyser(self, start_frame: int) -> None:
        from genrelab.audio.record_live import LiveAnalyser

        if self.analyser is not None:
            self.analyser.stop(drain=False)
        assert self.recorder is not None
        self.images = {name: LiveImage(spec, self.history_s, self.display_settings) for name, spec in self.display.items()}
        self.analyser = LiveAnalyser(self.recorder, start_frame=start_frame, engine=self.engine, hop_s=self.hop_s,
                                     history_s=max(self.history_s, 60.0), display=self.display,
                                     on_columns=self._on_columns, on_estimate=self.estimate.emit).start()

    def _on_columns(self, name: str, spec: FeatureSpec, origin_s: float, first: int, db: Any) -> None:
        image = self.images.get(name)  # on the analyser's thread
        if image is not None and image.spec == spec:
            image.append(origin_s, first, db)

    def set_display(self, display: dict[str, FeatureSpec], settings: Any) -> None:
        """New display specs or settings (DisplaySettings): fresh images from now on."""
        self.display, self.display_settings = display, settings
        if self.analyser is not None:
            self.images = {name: LiveImage(spec, self.history_s, settings) for name, spec in display.items()}
            self.analyser.set_display(display)

    def set_history(self, seconds: float) -> None:
        self.history_s = seconds
        self.set_display(self.display, self.display_settings)

    # ---- takes -----------------------------------------------------------------------------------------
    def start_take(self, folder: Path, fmt: str) -> Take:
        """Start writing a take (RecordError if the file cannot be made); the clock restarts at its first frame."""
        assert self.recorder is not None
        self.take = self.recorder.start_take(folder, fmt)
        self._start_analyser(self.take.start_frame)
        return self.take

    def finish_take(self) -> None:
        """Close the take in a worker; ``take_done`` follows."""
        take, self.take = self.take, None
        if take is None:
            return

        def work(_progress: ProgressFn, _cancel: threading.Event) -> Any:
            return take.stop()

        self.runner.submit("Finishing the take", work, group="live-take", visible=False,
                           on_done=self.take_done.emit, on_failed=self.failed.emit)
