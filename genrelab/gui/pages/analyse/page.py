"""The Analyse page: open a track, see it (waveform, STFT, Mel, genre timeline), hear it, ask "why this genre?".

The page is composed of small widgets that own their state (toolbar, messages, views panel, genre panel, display
controls) and three helpers that run the work (``SpectraJobs``, ``ExplainTools``, ``Transport``); it wires them by
signals and keeps the track and its analysis. Every computation runs in a worker; a new file cancels what the old
one started, but only once it has opened: a failed or cancelled open leaves the current track as it was.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QSplitter, QVBoxLayout, QWidget

from genrelab.gui.display_settings import DisplaySettings
from genrelab.gui.engine_state import EngineState
from genrelab.gui.notes import format_time
from genrelab.gui.pages.analyse.explain import ExplainTools
from genrelab.gui.pages.analyse.messages import MessageArea
from genrelab.gui.pages.analyse.spectra import SpectraJobs
from genrelab.gui.pages.analyse.toolbar import PageToolbar
from genrelab.gui.pages.analyse.transport import Transport
from genrelab.gui.pages.analyse.views_panel import EMPTY_HINT, ViewsPanel
from genrelab.gui.palette import genre_colours
from genrelab.gui.settings import Settings
from genrelab.gui.spectrogram_controls import SpectrogramControls
from genrelab.gui.summary_panel import FLAG_TEXT, SummaryPanel
from genrelab.gui.workers import JobRunner
from genrelab.progress import ProgressFn

if TYPE_CHECKING:  # the core and the worker tasks are imported in the workers (the core loads slowly)
    from genrelab.analysis import Analysis
    from genrelab.gui.track_tasks import LoadedTrack

TRACK_GROUPS = ("track", "spectra", "levels", "analysis", "detail", "occlusion", "input")
BUSY_GROUPS = ("track", "spectra", "analysis", "engine", "occlusion")


class _Part:
    """An attribute of one of the page's parts, read through the page under the same name (read-only)."""

    def __init__(self, part: str) -> None:
        self.part = part
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, page: object, owner: type | None = None) -> Any:  # noqa: ANN401 - the part's own type
        if page is None:
            return self
        return getattr(getattr(page, self.part), self.name)


class AnalysePage(QWidget):
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

    EMPTY_HINT = EMPTY_HINT

    def __init__(self, runner: JobRunner, engine_state: EngineState, settings: Settings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner, self.engine_state, self.settings = runner, engine_state, settings
        self.display = settings.display
        self.hop_s = settings.hop_s
        self.path: Path | None = None  # the open track's file
        self.pending_path: Path | None = None  # a file being decoded (the open track stays until it is ready)
        self.track: LoadedTrack | None = None
        self.analysis: Analysis | None = None
        self.analysis_hop_s = self.hop_s
        self.analysis_error = ""
        self.colours: dict[str, str] = {}
        self.selected_window: int | None = None  # the one window "Model input" and "Why this genre?" explain
        self._open_id = 0
        self._was_busy = False

        self.toolbar = PageToolbar()
        self.messages = MessageArea()
        self.panel = ViewsPanel(settings.timeline_style)
        self.summary = SummaryPanel()
        self.controls = SpectrogramControls(self.display, self.hop_s, self.panel.timeline.style)
        self.transport = Transport(self.panel.waveform, self)
        self.spectra = SpectraJobs(runner, self.panel, self.display, self)
        self.explainer = ExplainTools(runner, engine_state, self.panel, self, self.display.colormap)
        self._lay_out()
        self._wire()
        self._set_track_controls()
        self._on_engine_changed()

    # ================================================================================ layout and wiring
    def _lay_out(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(2)
        left_layout.addWidget(self.toolbar)
        left_layout.addWidget(self.messages)
        left_layout.addWidget(self.panel, 1)
        self.display_box = QGroupBox("Display")
        box_layout = QVBoxLayout(self.display_box)
        box_layout.setContentsMargins(0, 4, 0, 0)
        box_layout.addWidget(self.controls)
        side = QWidget()  # the genre panel takes what is left; the Display box below it never moves
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.summary, 1)
        side_layout.addWidget(self.display_box, 0)
        side.setMinimumWidth(300)
        side.setMaximumWidth(380)
        outer = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(left)
        outer.addWidget(side)
        outer.setStretchFactor(0, 1)
        outer.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(outer)

    def _wire(self) -> None:
        bar = self.toolbar
        bar.play.connect(self.toggle_play)
        bar.loop.connect(self.set_looping)
        bar.fit.connect(self.fit)
        bar.zoom.connect(self.zoom)
        bar.model_input.connect(self.show_model_input)
        bar.why.connect(self.explain)
        bar.clear_why.connect(self.clear_explanation)
        self.panel.seek.connect(self.seek)
        self.controls.changed.connect(self.set_display)
        self.controls.hop_changed.connect(self.set_hop)
        self.controls.style_changed.connect(self.set_timeline_style)
        self.transport.position.connect(self._update_playhead)
        self.transport.playing.connect(bar.set_playing)
        self.transport.status.connect(self.status)
        self.transport.error.connect(self.show_error)
        self.spectra.image_shown.connect(lambda _view: self.explainer.draw())  # the map follows new rows
        self.spectra.error.connect(self.show_error)
        self.explainer.status.connect(self.status)
        self.explainer.error.connect(self.show_error)
        self.explainer.changed.connect(self._set_track_controls)
        self.engine_state.changed.connect(self._on_engine_changed)
        self.runner.changed.connect(self._on_jobs_changed)
        if self.transport.unavailable:
            bar.play_button.setToolTip(f"Playback unavailable: {self.transport.unavailable}")

    def _set_track_controls(self) -> None:
        self.toolbar.set_enabled(track=self.track is not None,
                                 explain=self.analysis is not None and self.engine_state.engine is not None,
                                 explanation=self.explainer.occlusion is not None,
                                 can_play=not self.transport.unavailable)

    # ================================================================================ the parts, by name
    # (what the window's menus and shortcuts, other pages and the tests reach)
    play_button = _Part("toolbar")
    loop_button = _Part("toolbar")
    time_label = _Part("toolbar")
    fit_button = _Part("toolbar")
    zoom_in_button = _Part("toolbar")
    zoom_out_button = _Part("toolbar")
    input_button = _Part("toolbar")
    why_button = _Part("toolbar")
    clear_why_button = _Part("toolbar")
    file_label = _Part("toolbar")
    banner = _Part("messages")
    banner_close = _Part("messages")
    notice = _Part("messages")
    readout = _Part("panel")
    legend = _Part("panel")
    stack = _Part("panel")
    empty_hint = _Part("panel")
    waveform = _Part("panel")
    stft = _Part("panel")
    mel = _Part("panel")
    timeline = _Part("panel")
    views = _Part("panel")
    player = _Part("transport")
    input_view = _Part("explainer")
    occlusion = _Part("explainer")
    occlusion_index = _Part("explainer")

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
        self.toolbar.set_file(f"Opening {path.name}…", str(path))
        self.messages.hide_error()
        self.status.emit(f"Opening {path.name}…")
        model_sr = self.engine_state.engine.card.spec.sr if self.engine_state.engine else 22050

        def work(progress: ProgressFn, cancel: threading.Event) -> LoadedTrack:
            from genrelab.gui.track_tasks import load_track

            return load_track(path, model_sr, progress, cancel)

        def cancelled() -> None:
            if open_id == self._open_id:
                self._end_open()
                self.status.emit(f"Opening {path.name} cancelled — "
                                 f"{self.path.name if self.path else 'the page'} stays open")

        self.runner.submit(f"Decoding {path.name}", work, group="track", priority=2,
                           on_done=lambda track: self._on_loaded(track) if open_id == self._open_id else None,
                           on_failed=lambda message: self._on_open_failed(message) if open_id == self._open_id
                           else None, on_cancelled=cancelled)

    def _end_open(self) -> None:
        """No file is being opened any more: the toolbar names the open track again."""
        self.pending_path = None
        if self.path is None:  # the empty page shows the hint in its middle
            self.toolbar.set_file("")
        else:
            self.toolbar.set_file(self.path.name, str(self.path))

    def _on_open_failed(self, message: str) -> None:
        self._end_open()
        if self.path is not None:
            message = f"{message} — {self.path.name} stays open"
        self.show_error(message)

    def _on_loaded(self, track: LoadedTrack) -> None:
        for group in TRACK_GROUPS:  # the previous track's work is of no use any more
            if group != "track":
                self.runner.cancel_group(group)
        self.transport.set_track(None)
        self.toolbar.loop_button.setChecked(False)
        self.analysis, self.analysis_error, self.selected_window = None, "", None
        self.explainer.set_analysis(None, self.hop_s)
        self.panel.clear()
        self.summary.clear()
        self.messages.set_notice("  ".join(FLAG_TEXT[f] for f in sorted(track.audio.flags) if f in FLAG_TEXT))
        self.path, self.track = track.path, track
        self._end_open()
        self.panel.set_empty(False)
        self.panel.waveform.set_pyramid(track.pyramid)
        self.panel.set_duration(track.duration_s)
        self.transport.set_track(track.audio.samples, track.audio.sr)
        self._set_track_controls()
        self._update_playhead(0.0)
        flags = f" [{', '.join(sorted(track.audio.flags))}]" if track.audio.flags else ""
        self.status.emit(f"{track.path.name}: {format_time(track.duration_s)} at {track.audio.sr} Hz{flags}")
        self.controls.set_nyquist(track.audio.sr / 2)
        self.opened.emit(track.path)
        self.waveform_ready.emit()
        self.spectra.set_audio(track.audio)
        self._start_analysis()

    def set_notice(self, text: str) -> None:
        """A warning about the open track (cut off, repaired); empty text hides it."""
        self.messages.set_notice(text)

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
        self._set_track_controls()

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
        self.colours = genre_colours(analysis.timeline.labels)
        self.panel.set_analysis(analysis, self.colours)
        self.summary.set_analysis(analysis, self.colours)
        self.explainer.set_analysis(analysis, hop)
        self.selected_window = None
        self._set_track_controls()
        self._update_playhead(self.transport.position_s())
        s = analysis.summary
        self.status.emit(f"{self.path.name if self.path else ''}: {s.top_genre} "
                         f"({s.top3[0][1]:.0%}) — {len(analysis.timeline.times)} windows, {analysis.engine}")
        self.analysis_ready.emit(analysis)

    def window_index_at(self, t: float) -> int | None:
        """Index of the analysis window whose centre is nearest to ``t``."""
        if self.analysis is None or len(self.analysis.timeline.times) == 0:
            return None
        return int(np.argmin(np.abs(self.analysis.timeline.times - t)))

    # ================================================================================ playhead and selection
    def _update_playhead(self, t: float) -> None:
        self.panel.set_playhead(t)
        self.toolbar.set_time(t, self.track.duration_s if self.track else 0.0)
        self._select_window(t if self.analysis is not None else None)
        index = self.selected_window
        if self.analysis is not None and index is not None:
            start, end = self.explainer.window_span(index)
            self.summary.set_now(t, self.analysis.timeline.labels, self.analysis.timeline.probs[index], start, end)

    def _select_window(self, t: float | None) -> None:
        """Select the analysis window nearest ``t`` (the playhead): outlined on every view, explained by
        "Model input" and "Why this genre?"."""
        index = self.window_index_at(t) if t is not None else None
        if index == self.selected_window:
            return
        self.selected_window = index
        self.panel.show_window(None if index is None else self.explainer.window_span(index))
        self.explainer.select(index)

    # ================================================================================ actions
    def toggle_play(self) -> None:
        self.transport.toggle()

    def _on_play_state(self, playing: bool) -> None:
        """What the page shows when playback starts or stops (the transport's ``playing`` signal)."""
        self.toolbar.set_playing(playing)

    def seek(self, t: float) -> None:
        """Move the playhead (and playback) to ``t`` seconds."""
        self.transport.seek(t)

    def playhead_s(self) -> float:
        return self.panel.playhead_s()

    def set_looping(self, on: bool) -> None:
        """Loop the region on the waveform (placed over the middle of the view when switched on)."""
        self.transport.set_looping(on and self.track is not None)

    def fit(self) -> None:
        if self.track is not None:
            self.panel.set_x_range(0.0, self.track.duration_s)

    def zoom(self, factor: float) -> None:
        """Scale the visible time span by ``factor`` (< 1 zooms in) around the playhead when visible."""
        self.panel.zoom(factor, self.track.duration_s if self.track else 0.0)

    def pan(self, fraction: float) -> None:
        """Move the visible span by ``fraction`` of its width (negative: earlier)."""
        self.panel.pan(fraction, self.track.duration_s if self.track else 0.0)

    def x_range(self) -> tuple[float, float]:
        return self.panel.x_range()

    def explain(self) -> None:
        """Why this genre? for the selected window."""
        self.explainer.explain()

    def clear_explanation(self) -> None:
        self.explainer.clear()

    def show_model_input(self) -> None:
        """Open the model-input window (it follows the selected window)."""
        self.explainer.show_model_input()

    def set_display(self, display: DisplaySettings) -> None:
        """Apply new display settings (kept in the settings): at once where only colours or labels change."""
        old, self.display = self.display, display
        self.settings.display = display
        self.spectra.set_display(display)
        if display.colormap != old.colormap:
            self.explainer.set_colormap(display.colormap)

    def set_timeline_style(self, style: str) -> None:
        self.settings.timeline_style = style
        self.timeline.set_style(style)

    # ================================================================================ messages and jobs
    def show_error(self, message: str) -> None:
        """A one-line problem: banner on the page and the status bar; the page stays usable."""
        self.messages.show_error(message)
        self.error.emit(message)
        self.status.emit(message)

    def hide_banner(self) -> None:
        self.messages.hide_error()

    def busy(self) -> bool:
        """Whether the current track or the engine still has work running (detail images do not count)."""
        return any(job.group in BUSY_GROUPS for job in self.runner.active())

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
        self.transport.pause()
        self.runner.cancel_all()
