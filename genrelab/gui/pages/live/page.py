"""The Live page: record or monitor an input with scrolling waveform / STFT / Mel views and a rolling genre.

Composed of small widgets that own their state (:class:`InputPanel`, :class:`GenreBanner`, :class:`LiveViews`,
the Analyse page's :class:`SpectrogramControls`), wired by signals; the core work runs in
:class:`~genrelab.gui.pages.live.session.LiveSession`'s threads. A 40-Hz timer only hands ready data to the views.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QSplitter, QVBoxLayout, QWidget

from genrelab.analysis import SILENCE_RMS  # already loaded with the live analyser: no start-up cost
from genrelab.gui.display_settings import DisplaySettings
from genrelab.gui.pages.live.genre_banner import GenreBanner
from genrelab.gui.pages.live.input_panel import InputPanel, clock
from genrelab.gui.pages.live.session import LiveSession
from genrelab.gui.pages.live.views import LiveViews
from genrelab.gui.palette import genre_colours
from genrelab.gui.spectrogram_controls import SpectrogramControls
from genrelab.progress import ProgressFn

if TYPE_CHECKING:
    from genrelab.gui.main_window import MainWindow

FRAME_MS = 25  # 40 frames a second asked; the views must reach 30


class LiveSettings:
    """The Live page's keys in the app's settings store: input, recordings folder, format, seconds shown."""

    def __init__(self, store: Any) -> None:  # QSettings
        self.store = store

    def get(self, key: str, default: str) -> str:
        value = self.store.value(f"live/{key}", default)
        return str(value) if value is not None else default

    def set(self, key: str, value: object) -> None:
        self.store.setValue(f"live/{key}", str(value))

    @property
    def folder(self) -> str:
        from genrelab.audio.record_take import default_recordings_folder

        return self.get("folder", "") or str(default_recordings_folder())

    @property
    def history_s(self) -> float:
        try:
            return min(60.0, max(2.0, float(self.get("history_s", "10"))))
        except ValueError:
            return 10.0


class LivePage(QWidget):
    """See the module docstring. ``window`` routes "open this take on the Analyse page"."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.settings = window.settings
        self.live = LiveSettings(window.settings.store)
        self.display = window.settings.display
        self.session = LiveSession(window.runner, self)
        self.devices: list = []
        self.last_take: Path | None = None
        self.record_after_open = False
        self.frames_drawn = 0
        self.latencies: list[float] = []
        self._shown_estimates = 0
        self._last_sound_s = float("-inf")  # analyser time of the last level above silence

        self.panel = InputPanel(self.live.folder, self.live.get("format", "flac"), self.live.history_s)
        self.banner = GenreBanner()
        self.views = LiveViews(self.display)
        self.controls = SpectrogramControls(self.display, self.settings.hop_s, "stacked")
        self.controls.analysis_hop.setToolTip("Seconds between two genre estimates (applies at the next start)")
        side = QScrollArea()
        side.setWidget(self.controls)
        side.setWidgetResizable(True)
        side.setMinimumWidth(220)
        top = QHBoxLayout()
        top.addWidget(self.panel, 3)
        top.addWidget(self.banner, 2)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.views)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self.panel.monitor_toggled.connect(self._on_monitor)
        self.panel.record_toggled.connect(self._on_record)
        self.panel.refresh.connect(self.refresh_devices)
        self.panel.folder_changed.connect(lambda f: self.live.set("folder", f))
        self.panel.history_changed.connect(self._on_history)
        self.panel.format.currentIndexChanged.connect(lambda _i: self.live.set("format", self.panel.format.currentData()))
        self.controls.changed.connect(self._on_display)
        self.controls.hop_changed.connect(self._on_hop)
        self.session.opened.connect(self._on_opened)
        self.session.failed.connect(self._on_failed)
        self.session.estimate.connect(self._on_estimate)
        self.session.take_done.connect(self._on_take_done)
        window.engine_state.changed.connect(self._on_engine)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self._tick)
        self._on_engine()
        self.refresh_devices(recover=True)

    # ---- devices and start-up ----------------------------------------------------------------------------
    def refresh_devices(self, recover: bool = False) -> None:
        """List the inputs in a worker (and, at start-up, repair takes a crash left unfinished)."""
        def work(_progress: ProgressFn, _cancel: threading.Event) -> tuple[list, str, list]:
            from genrelab.audio.record import ENV_NO_AUDIO, RecordError, list_inputs
            from genrelab.audio.record_take import recover_unfinished

            recovered = recover_unfinished() if recover and not os.environ.get(ENV_NO_AUDIO) else []
            try:
                return list_inputs(), "", recovered
            except RecordError as exc:
                return [], str(exc), recovered

        self.window_.runner.submit("Listing audio inputs", work, group="live-devices", visible=False,
                                   on_done=self._on_devices, on_failed=lambda m: self.panel.show_note(m, True))

    def _on_devices(self, result: tuple[list, str, list]) -> None:
        devices, problem, recovered = result
        self.devices = devices
        self.panel.set_devices(devices, self.live.get("device", ""))
        notes = [r.message for r in recovered]
        if problem:
            notes.append(f"Recording is not available: {problem}. The other pages work as usual.")
        elif not devices:
            notes.append("No audio input found: plug in a microphone or interface and press ↻.")
        self.panel.show_note("\n".join(notes), error=bool(problem) or not devices)
        for r in recovered:
            self.window_.statusBar().showMessage(r.message, 20000)

    # ---- monitor / record --------------------------------------------------------------------------------
    def _display_specs(self, rate: int) -> dict:
        return {kind: self.display.feature_spec(kind, rate, 1) for kind in ("stft", "mel")}

    def _open(self) -> bool:
        device = self.panel.current_device()
        if device is None:
            self.panel.show_note("No input to record from.", True)
            self.panel.set_state(False, False)
            return False
        self.live.set("device", device.pulse_source or device.name)
        self.views.clear()
        self.banner.show_note("listening…")
        self._shown_estimates = 0
        self._last_sound_s = float("-inf")
        rate = device.default_rate or 48000
        self.session.open(device, self.window_.engine_state.engine, self.settings.hop_s, self.panel.history.value(),
                          self._display_specs(rate), self.display)
        self.panel.show_note(f"Opening {device.label}…")
        self.panel.set_state(True, self.record_after_open)
        return True

    def _on_monitor(self, on: bool) -> None:
        if on:
            self.record_after_open = False
            self._open()
        else:
            self.stop()

    def _on_record(self, on: bool) -> None:
        if not on:
            self.stop_take()
            return
        if self.session.running:
            self._start_take()
        else:
            self.record_after_open = True
            self._open()

    def _on_opened(self) -> None:
        self.panel.show_note("")
        self.timer.start()
        if self.record_after_open:
            self.record_after_open = False
            self._start_take()
        self.panel.set_state(True, self.session.take is not None)

    def _start_take(self) -> None:
        from genrelab.audio.record import RecordError

        try:
            take = self.session.start_take(Path(self.panel.folder.text()), self.panel.format.currentData())
        except RecordError as exc:
            self.panel.show_note(f"Cannot record: {exc}", True)
            self.panel.set_state(True, False)
            return
        self.views.clear()
        self._shown_estimates = 0
        self._last_sound_s = float("-inf")  # the analyser's clock restarts with the take
        self.panel.show_note(f"Recording to {take.path}")
        self.panel.set_state(True, True)

    def stop_take(self) -> None:
        """Stop: finish the file (in a worker), then open it on the Analyse page."""
        self.session.finish_take()
        self.stop()

    def stop(self) -> None:
        """Stop monitoring (a take still open is finished first)."""
        if self.session.take is not None:
            self.session.finish_take()
        self.timer.stop()
        self.session.close()
        self.panel.set_state(False, False)

    def _on_take_done(self, result: Any) -> None:  # TakeResult
        self.last_take = result.path
        lost = f", {result.lost_frames / result.rate:.1f} s lost" if result.lost_frames else ""
        summary = f"{result.path.name}: {clock(result.seconds)}, {result.dropouts} dropouts{lost}"
        if result.error:
            self.panel.show_note(f"The take stopped: {result.error}. Saved {summary}.", True)
            self.window_.statusBar().showMessage(f"Take stopped early: {result.error}", 20000)
            return
        self.window_.statusBar().showMessage(f"Saved {result.path} ({summary})", 15000)
        if result.frames > 0:
            self.window_.open_file(result.path)

    def _on_failed(self, message: str) -> None:
        self.record_after_open = False
        self.timer.stop()
        take = self.session.take
        if take is not None:  # the device is gone: the writer has written what came; close the file
            self.session.finish_take()
        self.session.close()
        self.panel.set_state(False, False)
        self.panel.show_note(f"{message}", True)
        self.banner.show_note("stopped")

    # ---- settings ----------------------------------------------------------------------------------------
    def _on_display(self, display: DisplaySettings) -> None:
        self.display = display
        self.settings.display = display
        self.views.set_display(display)
        recorder = self.session.recorder
        if recorder is not None:
            self.session.set_display(self._display_specs(recorder.rate), display)

    def _on_hop(self, hop: float) -> None:
        self.settings.hop_s = hop

    def _on_history(self, seconds: float) -> None:
        self.live.set("history_s", f"{seconds:g}")
        self.session.set_history(seconds)

    def _on_engine(self) -> None:
        engine = self.window_.engine_state.engine
        if engine is not None:
            self.banner.set_labels(list(engine.card.labels))
        if not self.session.running:
            self.banner.show_note("press Record or Monitor" if engine is not None
                                  else self.window_.engine_state.status)

    # ---- drawing -----------------------------------------------------------------------------------------
    def _on_estimate(self, estimate: Any) -> None:  # GenreEstimate
        analyser = self.session.analyser
        if analyser is None or not any(e is estimate for e in analyser.estimates[-8:]):
            return  # from an analyser that has been replaced
        probs = estimate.probs
        order = np.argsort(probs)[::-1]
        second = f"{estimate.labels[order[1]]} {probs[order[1]]:.0%}" if len(order) > 1 else ""
        window_s = analyser.engine.card.spec.window_s if analyser.engine else 3.0
        if analyser.seconds - self._last_sound_s > window_s:  # nothing above silence in the window it judged
            self.banner.show_note(f"silence: no sound in the last {window_s:g} s, so no genre")
        else:
            self.banner.show_genre(estimate.labels[order[0]], float(probs[order[0]]), window_s, second)
        keep = [e for e in analyser.estimates if e.time >= analyser.seconds - self.panel.history.value() - window_s]
        if keep:
            self.views.set_timeline(np.array([e.time for e in keep]), np.stack([e.probs for e in keep]),
                                    estimate.labels, genre_colours(estimate.labels))

    def _tick(self) -> None:
        analyser, recorder = self.session.analyser, self.session.recorder
        if analyser is None or recorder is None:
            return
        take = self.session.take
        if take is not None and take.done.is_set():  # ended by itself: device lost or disk full
            self.session.finish_take()
            self.stop()
            return
        history = self.panel.history.value()
        now = analyser.seconds  # since the take's first frame while recording (the analyser restarts with it)
        peaks, clipped = analyser.take_levels()
        if len(peaks) and float(np.max(peaks)) >= SILENCE_RMS:  # a peak: silent by analyse's measure too
            self._last_sound_s = now
        self.panel.meter.set_levels(peaks, clipped)
        self.panel.set_counters(now, recorder.dropouts, analyser.skipped)
        if not self.isVisible():  # another page is shown: keep recording, skip the drawing
            return
        frames = {}
        for name, image in self.session.images.items():
            frame = image.snapshot(history)
            frames[name] = None if frame is None else (frame, image.row_hz, image.spec)
        self.views.draw(now, history, analyser.waveform(history), frames)
        self.frames_drawn += 1
        captured = recorder.capture_time(analyser.start_frame + analyser.frames - 1)
        if captured is not None:  # from the block's arrival in the audio callback to this frame
            self.latencies.append(time.monotonic() - captured)
            del self.latencies[:-400]

    # ---- the window's questions --------------------------------------------------------------------------
    def busy_reason(self) -> str:
        take = self.session.take
        return f"A take is being recorded ({clock(take.seconds)}) into {take.path}" if take is not None else ""

    def shutdown(self) -> None:
        self.timer.stop()
        self.session.close()

    def screenshot_ready(self) -> bool:
        return not self.session.opening
