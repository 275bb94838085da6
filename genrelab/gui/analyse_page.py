"""The Analyse page: open a track, see it (waveform, STFT, Mel, genre timeline), hear it, ask "why this genre?".

The page is a controller: it hands every computation to workers (decode, display spectra, analysis,
occlusion, model inputs) and only draws what comes back. A new file cancels everything the old one started.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QWidget

from genrelab.gui.engine_state import EngineState
from genrelab.gui.notes import format_hz, format_time, nearest_note
from genrelab.gui.page_explain import ExplainMixin
from genrelab.gui.page_layout import PageLayout
from genrelab.gui.page_spectra import SpectraMixin
from genrelab.gui.page_transport import TransportMixin
from genrelab.gui.palette import genre_colours
from genrelab.gui.playback import Player
from genrelab.gui.settings import Settings
from genrelab.gui.summary_panel import FLAG_TEXT
from genrelab.gui.views.spectrogram_view import SpectrogramView
from genrelab.gui.workers import JobRunner
from genrelab.progress import ProgressFn

if TYPE_CHECKING:  # the core and the worker tasks are imported in the workers (the core loads slowly)
    from genrelab.analysis import Analysis
    from genrelab.gui.occlusion import OcclusionMap
    from genrelab.gui.track_tasks import LoadedTrack

TRACK_GROUPS = ("track", "spectra", "levels", "analysis", "detail", "occlusion", "input")
PLAYHEAD_INTERVAL_MS = 33
DETAIL_DELAY_MS = 180


class AnalysePage(PageLayout, SpectraMixin, ExplainMixin, TransportMixin, QWidget):
    """Everything about one open track.

    Signals:
        status(str): a short message for the status bar.
        error(str): a one-line problem (also shown in the page's banner).
        waveform_ready(): the waveform of a newly opened track is drawn.
        analysis_ready(object): the genre analysis of the current track (an `Analysis`).
        opened(object): a track (its `Path`) decoded and now shown; a failed or cancelled open never fires it.
        idle(): no job of the current track (or the engine) is running any more.
    """

    status = Signal(str)
    error = Signal(str)
    waveform_ready = Signal()
    analysis_ready = Signal(object)
    opened = Signal(object)
    idle = Signal()

    def __init__(self, runner: JobRunner, engine_state: EngineState, settings: Settings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.engine_state = engine_state
        self.settings = settings
        self.display = settings.display
        self.hop_s = settings.hop_s
        self.player = Player(self)
        self.path: Path | None = None
        self.track: LoadedTrack | None = None
        self.analysis: Analysis | None = None
        self.analysis_hop_s = self.hop_s
        self.analysis_error = ""
        self.colours: dict[str, str] = {}
        self.occlusion: OcclusionMap | None = None
        self.occlusion_index: int | None = None
        self.selected_window: int | None = None  # the one window "Model input" and "Why this genre?" explain
        self.pending_path: Path | None = None  # a file being decoded (the current track stays until it is ready)
        self._open_id = 0
        self._hover_t: float | None = None
        self._was_busy = False
        self._build()
        self._connect()
        self.engine_state.changed.connect(self._on_engine_changed)
        self.runner.changed.connect(self._on_jobs_changed)
        self._on_engine_changed()

    def _connect(self) -> None:
        self.play_button.clicked.connect(self.toggle_play)
        self.loop_button.toggled.connect(self.set_looping)
        self.fit_button.clicked.connect(self.fit)
        self.zoom_in_button.clicked.connect(lambda: self.zoom(1 / 1.5))
        self.zoom_out_button.clicked.connect(lambda: self.zoom(1.5))
        self.input_button.clicked.connect(self.show_model_input)
        self.why_button.clicked.connect(self.explain)
        self.clear_why_button.clicked.connect(self.clear_explanation)
        self.banner_close.clicked.connect(self.hide_banner)
        for view in self.views:
            view.clicked.connect(self.seek)
            view.left.connect(self._on_hover_left)
        for view in (self.stft, self.mel):
            view.hovered.connect(lambda t, y, v=view: self._on_spectrogram_hover(v, t, y))
        self.waveform.hovered.connect(lambda t, _y: self._on_time_hover(t, self._waveform_readout(t)))
        self.timeline.hovered.connect(lambda t, _y: self._on_time_hover(t, self._genre_readout(t)))
        self.waveform.loop_region.sigRegionChanged.connect(self._on_loop_region)
        self.waveform.view_box.sigXRangeChanged.connect(lambda *_: self._detail_timer.start())
        self.controls.changed.connect(self.set_display)
        self.controls.hop_changed.connect(self.set_hop)
        self.controls.style_changed.connect(self.set_timeline_style)
        self.player.state_changed.connect(self._on_play_state)
        self.player.error.connect(self.show_error)
        self._playhead_timer = QTimer(self, interval=PLAYHEAD_INTERVAL_MS)
        self._playhead_timer.timeout.connect(self._tick)
        self._detail_timer = QTimer(self, singleShot=True, interval=DETAIL_DELAY_MS)
        self._detail_timer.timeout.connect(self._request_details)
        self._input_timer = QTimer(self, singleShot=True, interval=60)
        self._input_timer.timeout.connect(self._request_model_input)
        if self.player.unavailable:
            self.play_button.setToolTip(f"Playback unavailable: {self.player.unavailable}")

    def _set_track_controls(self, enabled: bool) -> None:
        has_analysis = enabled and self.analysis is not None
        self.play_button.setEnabled(enabled and not self.player.unavailable)
        for widget in (self.loop_button, self.fit_button, self.zoom_in_button, self.zoom_out_button):
            widget.setEnabled(enabled)
        for widget in (self.input_button, self.why_button):
            widget.setEnabled(has_analysis and self.engine_state.engine is not None)
        self.clear_why_button.setVisible(self.occlusion is not None)

    # ================================================================================ opening a track
    def open_file(self, path: Path | str) -> None:
        """Decode ``path`` in a worker; the current track stays shown (and playing) until the new one is ready.

        A failed or cancelled open leaves the current track untouched and says why; a file being decoded is
        replaced by a newer request.
        """
        path = Path(path)
        self.runner.cancel_group("track")
        self._open_id += 1
        open_id = self._open_id
        self.pending_path = path
        self.file_label.setText(f"Opening {path.name}…")
        self.file_label.setToolTip(str(path))
        self.hide_banner()
        self.status.emit(f"Opening {path.name}…")
        model_sr = self.engine_state.engine.card.spec.sr if self.engine_state.engine else 22050

        def work(progress: ProgressFn, cancel: threading.Event) -> LoadedTrack:
            from genrelab.gui.track_tasks import load_track

            return load_track(path, model_sr, progress, cancel)

        def cancelled() -> None:
            if open_id == self._open_id:
                self._end_open()
                self.status.emit(f"Opening {path.name} cancelled — {self._current_name()} stays open")

        self.runner.submit(f"Decoding {path.name}", work, group="track", priority=2,
                           on_done=lambda track: self._on_loaded(track) if open_id == self._open_id else None,
                           on_failed=lambda message: self._on_open_failed(message) if open_id == self._open_id
                           else None, on_cancelled=cancelled)

    def _current_name(self) -> str:
        return self.path.name if self.path else "the page"

    def _end_open(self) -> None:
        """No file is being opened any more: the label names the current track again."""
        self.pending_path = None
        if self.path is None:  # the empty page shows the hint in its middle
            self.file_label.setText("")
            self.file_label.setToolTip("")
        else:
            self.file_label.setText(self.path.name)
            self.file_label.setToolTip(str(self.path))

    def _reset_views(self) -> None:
        self.track = None
        self.analysis = None
        self.analysis_error = ""
        self.occlusion = None
        self.occlusion_index = None
        self.selected_window = None
        self._hover_t = None
        self.readout.setText(" ")
        self.input_view.clear()
        self.waveform.set_pyramid(None)
        self.waveform.set_loop_visible(False)
        self.loop_button.setChecked(False)
        for view in (self.stft, self.mel):
            view.set_image(None)
            view.set_overlay(None)
        for view in self.views:
            view.show_window(None)
        self.timeline.set_timeline(np.zeros(0), np.zeros((0, 0)), [], {})
        self.timeline.show_hover(None)
        self.summary.clear()
        self.legend.setText("")
        self.set_notice("")
        self._update_playhead(0.0)
        self._set_track_controls(False)

    def _on_open_failed(self, message: str) -> None:
        self._end_open()
        if self.path is not None:
            message = f"{message} — {self.path.name} stays open"
        self.show_error(message)

    def _on_loaded(self, track: LoadedTrack) -> None:
        for group in TRACK_GROUPS:  # the previous track's work is of no use any more
            if group != "track":
                self.runner.cancel_group(group)
        self.player.set_track(None)
        self._reset_views()
        self.path = track.path
        self._end_open()
        self.track = track
        self.set_empty(False)
        self.waveform.set_pyramid(track.pyramid)
        for view in self.views:
            view.set_duration(track.duration_s)
        self.waveform.setXRange(0.0, track.duration_s, padding=0)
        self.player.set_track(track.audio.samples, track.audio.sr)
        self._set_track_controls(True)
        self._update_playhead(0.0)
        flags = f" [{', '.join(sorted(track.audio.flags))}]" if track.audio.flags else ""
        self.status.emit(f"{track.path.name}: {format_time(track.duration_s)} at {track.audio.sr} Hz{flags}")
        self.set_notice("  ".join(FLAG_TEXT[f] for f in sorted(track.audio.flags) if f in FLAG_TEXT))
        self.controls.set_nyquist(track.audio.sr / 2)
        self.opened.emit(track.path)
        self.waveform_ready.emit()
        self._start_spectra()
        self._start_analysis()

    def set_notice(self, text: str) -> None:
        """A warning about the open track (cut off, repaired); empty text hides it."""
        self.notice.setText(f"⚠  {text}" if text else "")
        self.notice.setVisible(bool(text))

    # ================================================================================ genre analysis
    def _on_engine_changed(self) -> None:
        state = self.engine_state
        self.summary.set_model_status(state.status, problem=state.problem)
        if state.engine is None and not state.loading:
            headline = state.status.split(" — ")[0]
            self.timeline.set_message(f"{headline} — the genre panel on the right says why and what to do"
                                      if state.problem else "")
        else:
            self.timeline.set_message("")
        if state.engine is not None:
            self.input_view.hide()
            self._start_analysis()
        self._set_track_controls(self.track is not None)

    def set_hop(self, hop_s: float) -> None:
        """Seconds between analysis windows (re-runs the analysis)."""
        self.hop_s = float(hop_s)
        self.settings.hop_s = self.hop_s
        self._start_analysis()

    def reanalyse(self) -> None:
        """Run the genre analysis of the current track again (after a cancel, or with another engine)."""
        self._start_analysis()

    def _start_analysis(self) -> None:
        engine = self.engine_state.engine
        if self.track is None or engine is None:
            return
        self.runner.cancel_group("analysis")
        self.runner.cancel_group("occlusion")
        audio, hop = self.track.audio, self.hop_s
        name = self.track.path.name

        def work(progress: ProgressFn, cancel: threading.Event) -> tuple[Analysis, float]:
            from genrelab.analysis import analyse

            return analyse(audio, engine, hop, progress=progress, cancel=cancel), hop

        self.timeline.set_message("")
        self.runner.submit(f"Genre analysis of {name}", work, group="analysis", priority=3,
                           on_done=self._on_analysis, on_failed=self._on_analysis_failed,
                           on_cancelled=lambda: self.timeline.set_message(
                               "Analysis cancelled — Analysis ▸ Re-analyse (Ctrl+R) runs it again"))

    def _on_analysis_failed(self, message: str) -> None:
        self.analysis_error = message
        self.timeline.set_message(message)
        self.show_error(message)

    def _on_analysis(self, result: tuple[Analysis, float]) -> None:
        analysis, hop = result
        self.analysis, self.analysis_hop_s = analysis, hop
        labels = analysis.timeline.labels
        self.colours = genre_colours(labels)
        self.timeline.set_timeline(analysis.timeline.times, analysis.timeline.probs, labels, self.colours)
        self.legend.set_genres(labels, self.colours)
        self.summary.set_analysis(analysis, self.colours)
        self.occlusion = None
        self.occlusion_index = None
        self.selected_window = None
        self.mel.set_overlay(None)
        self.stft.set_overlay(None)
        self._set_track_controls(True)
        self._update_playhead(self.player.position_s() if self.player.cursor else 0.0)
        s = analysis.summary
        self.status.emit(f"{self.path.name if self.path else ''}: {s.top_genre} "
                         f"({s.top3[0][1]:.0%}) — {len(analysis.timeline.times)} windows, {analysis.engine}")
        self.analysis_ready.emit(analysis)

    def window_index_at(self, t: float) -> int | None:
        """Index of the analysis window whose centre is nearest to ``t``."""
        if self.analysis is None or len(self.analysis.timeline.times) == 0:
            return None
        return int(np.argmin(np.abs(self.analysis.timeline.times - t)))

    def _window_span(self, index: int) -> tuple[float, float]:
        assert self.analysis is not None
        start = float(self.analysis.timeline.starts[index])
        return start, start + self.analysis.timeline.window_s

    def _genre_readout(self, t: float) -> str:
        index = self.window_index_at(t)
        if index is None or self.analysis is None:
            return format_time(t, 2)
        probs = self.analysis.timeline.probs[index]
        order = np.argsort(probs)[::-1][:3]
        top = "  ".join(f"{self.analysis.timeline.labels[i]} {probs[i]:.0%}" for i in order)
        return f"{format_time(t, 2)}  {top}"

    # ================================================================================ hover readout
    def _on_spectrogram_hover(self, view: SpectrogramView, t: float, y: float) -> None:
        value = view.value_at(t, y)
        if value is None:
            text = format_time(t, 2)
        else:
            hz, db = value
            text = (f"{format_time(t, 2)}  {format_hz(hz):>9}  {nearest_note(hz):<8}  {db:6.1f} dB "
                    f"{view.reference_text()}")
        self._on_time_hover(t, text)

    def _waveform_readout(self, t: float) -> str:
        """The signal at ``t`` (not the mouse height): one sample close in, else the pixel's min and max."""
        value = self.waveform.value_at(t)
        if value is None:
            return format_time(t, 2)
        lo, hi = value
        if lo == hi:
            return f"{format_time(t, 3)}  sample {lo:+.3f} (full scale ±1)"
        return f"{format_time(t, 2)}  signal min {lo:+.3f}  max {hi:+.3f} (full scale ±1)"

    def _on_time_hover(self, t: float, text: str) -> None:
        self.readout.setText(text)
        self._hover_t = t
        self.timeline.show_hover(t)

    def _on_hover_left(self) -> None:
        self._hover_t = None
        self.timeline.show_hover(None)

    # ================================================================================ the selected window
    def _select_window(self, t: float | None) -> None:
        """Select the analysis window nearest ``t`` (the playhead): outlined on every view, explained by
        "Model input" and "Why this genre?"."""
        index = self.window_index_at(t) if t is not None else None
        if index == self.selected_window:
            return
        self.selected_window = index
        if self.occlusion is not None and self.occlusion_index != index:  # it explained another window
            self.clear_explanation()
        if index is None:
            for view in self.views:
                view.show_window(None)
            return
        start, end = self._window_span(index)
        for view in self.views:
            view.show_window(start, end)
        if self.input_view.isVisible():
            self._input_timer.start()

    # ================================================================================ messages and jobs
    def show_error(self, message: str) -> None:
        """A one-line problem: banner on the page and the status bar; the page stays usable."""
        self.banner.setText(f"⚠  {message}")
        self.banner.show()
        self.banner_close.show()
        self.error.emit(message)
        self.status.emit(message)

    def hide_banner(self) -> None:
        self.banner.hide()
        self.banner_close.hide()

    def set_timeline_style(self, style: str) -> None:
        self.settings.timeline_style = style
        self.timeline.set_style(style)

    def busy(self) -> bool:
        """Whether the current track or the engine still has work running (detail images do not count)."""
        return any(job.group in ("track", "spectra", "analysis", "engine", "occlusion")
                   for job in self.runner.active())

    def _on_jobs_changed(self) -> None:
        busy = self.busy()
        if self._was_busy and not busy:
            self.idle.emit()
        self._was_busy = busy

    def cancel_jobs(self) -> None:
        """The Cancel button: stop every visible job (decode, spectra, analysis, occlusion)."""
        self.runner.cancel_visible()

    def shutdown(self) -> None:
        """Stop playback and every job (window closing)."""
        self.player.pause()
        self.runner.cancel_all()
