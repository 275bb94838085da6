"""The Analyse page's plots: waveform, STFT, Mel and genre timeline on one time axis, the hover readout above
them, the genre legend below, and the hint that stands in for them while no track is open."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from genrelab.gui.legend import GenreLegend
from genrelab.gui.notes import format_hz, format_time, nearest_note
from genrelab.gui.views.spectrogram_view import SpectrogramView
from genrelab.gui.views.time_plot import TimePlot
from genrelab.gui.views.timeline_view import TimelineView
from genrelab.gui.views.waveform_view import WaveformView

if TYPE_CHECKING:
    from genrelab.analysis import Analysis

EMPTY_HINT = ("Open a track: File ▸ Open (Ctrl+O), drop a file here, pass it on the command line, "
              "or try File ▸ Open demo track (Ctrl+D)")


class ViewsPanel(QWidget):
    """The four linked views and what is read from them; no jobs of its own.

    Signals:
        seek(float): a click on a view, at that time.
    """

    seek = Signal(float)

    def __init__(self, timeline_style: str = "stacked", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.waveform = WaveformView()
        self.stft = SpectrogramView("stft")
        self.mel = SpectrogramView("mel")
        self.timeline = TimelineView()
        self.timeline.style = timeline_style
        self.views: list[TimePlot] = [self.waveform, self.stft, self.mel, self.timeline]
        for view in self.views[1:]:
            view.setXLink(self.waveform)
        self.analysis: Analysis | None = None
        self.readout = QLabel(" ")
        self.readout.setObjectName("readout")
        self.readout.setStyleSheet("font-family: monospace; color: #d0d4da; padding: 0 6px;")
        splitter = QSplitter(Qt.Orientation.Vertical)
        for view, stretch in zip(self.views, (2, 3, 3, 3), strict=True):
            splitter.addWidget(view)
            splitter.setStretchFactor(splitter.count() - 1, stretch)
        splitter.setChildrenCollapsible(False)
        self.legend = GenreLegend()
        plots = QWidget()
        plots_layout = QVBoxLayout(plots)
        plots_layout.setContentsMargins(0, 0, 0, 0)
        plots_layout.setSpacing(2)
        plots_layout.addWidget(self.readout)
        plots_layout.addWidget(splitter, 1)
        plots_layout.addWidget(self.legend)
        self.empty_hint = QLabel(f"<p style='font-size:18px'>No track open</p><p>{EMPTY_HINT}</p>")
        self.empty_hint.setObjectName("empty_hint")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setStyleSheet("color: #a0a8b4;")
        self.stack = QStackedWidget()  # the hint until a track is open: no half-drawn axes
        self.stack.addWidget(self.empty_hint)
        self.stack.addWidget(plots)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        for view in self.views:
            view.clicked.connect(self.seek)
            view.left.connect(lambda: self.timeline.show_hover(None))
        for view in (self.stft, self.mel):
            view.hovered.connect(lambda t, y, v=view: self._show_readout(t, self.spectrogram_readout(v, t, y)))
        self.waveform.hovered.connect(lambda t, _y: self._show_readout(t, self.waveform_readout(t)))
        self.timeline.hovered.connect(lambda t, _y: self._show_readout(t, self.genre_readout(t)))
        self.set_empty(True)

    # ---- state --------------------------------------------------------------------------------------------
    def set_empty(self, empty: bool) -> None:
        """The empty page (only the hint) or the views."""
        self.stack.setCurrentIndex(0 if empty else 1)

    def clear(self) -> None:
        """Forget the track: no images, curves, outlines or readout."""
        self.analysis = None
        self.readout.setText(" ")
        self.waveform.set_pyramid(None)
        self.waveform.set_loop_visible(False)
        for view in (self.stft, self.mel):
            view.set_image(None)
            view.set_overlay(None)
        for view in self.views:
            view.show_window(None)
        self.timeline.set_timeline(np.zeros(0), np.zeros((0, 0)), [], {})
        self.timeline.show_hover(None)
        self.legend.setText("")

    def set_duration(self, seconds: float) -> None:
        for view in self.views:
            view.set_duration(seconds)
        self.waveform.setXRange(0.0, seconds, padding=0)

    def set_analysis(self, analysis: Analysis | None, colours: dict[str, str]) -> None:
        """Draw an analysis' timeline and legend (None clears them)."""
        self.analysis = analysis
        if analysis is None:
            self.timeline.set_timeline(np.zeros(0), np.zeros((0, 0)), [], {})
            self.legend.setText("")
            return
        labels = analysis.timeline.labels
        self.timeline.set_timeline(analysis.timeline.times, analysis.timeline.probs, labels, colours,
                                   window_s=analysis.timeline.window_s)
        self.legend.set_genres(labels, colours)

    def set_playhead(self, t: float) -> None:
        for view in self.views:
            view.set_playhead(t)

    def playhead_s(self) -> float:
        return self.views[0].playhead.value()

    def show_window(self, span: tuple[float, float] | None) -> None:
        """Outline the selected window on every view (None hides the outlines)."""
        for view in self.views:
            if span is None:
                view.show_window(None)
            else:
                view.show_window(*span)

    # ---- time axis ----------------------------------------------------------------------------------------
    def x_range(self) -> tuple[float, float]:
        t0, t1 = self.waveform.view_box.viewRange()[0]
        return float(t0), float(t1)

    def set_x_range(self, t0: float, t1: float) -> None:
        self.waveform.setXRange(t0, t1, padding=0)

    def zoom(self, factor: float, duration_s: float) -> None:
        """Scale the visible span by ``factor`` (< 1 zooms in) around the playhead when it is visible."""
        if duration_s <= 0:
            return
        t0, t1 = self.x_range()
        playhead = self.playhead_s()
        centre = playhead if t0 <= playhead <= t1 else (t0 + t1) / 2
        self.set_x_range(centre - (centre - t0) * factor, centre + (t1 - centre) * factor)

    def pan(self, fraction: float, duration_s: float) -> None:
        """Move the visible span by ``fraction`` of its width (negative: earlier), within the track."""
        if duration_s <= 0:
            return
        t0, t1 = self.x_range()
        shift = min(max(fraction * (t1 - t0), -t0), duration_s - t1)
        self.set_x_range(t0 + shift, t1 + shift)

    # ---- readouts -----------------------------------------------------------------------------------------
    def _show_readout(self, t: float, text: str) -> None:
        self.readout.setText(text)
        self.timeline.show_hover(t)

    @staticmethod
    def spectrogram_readout(view: SpectrogramView, t: float, y: float) -> str:
        """Time, frequency, nearest note and level in dB re the track's peak (the colour bar's reference)."""
        value = view.value_at(t, y)
        if value is None:
            return format_time(t, 2)
        hz, db = value
        return (f"{format_time(t, 2)}  {format_hz(hz):>9}  {nearest_note(hz):<8}  {db:6.1f} dB "
                f"{view.reference_text()}")

    def waveform_readout(self, t: float) -> str:
        """The signal at ``t`` (not the mouse height): one sample close in, else the pixel's min and max."""
        value = self.waveform.value_at(t)
        if value is None:
            return format_time(t, 2)
        lo, hi = value
        if lo == hi:
            return f"{format_time(t, 3)}  sample {lo:+.3f} (full scale ±1)"
        return f"{format_time(t, 2)}  signal min {lo:+.3f}  max {hi:+.3f} (full scale ±1)"

    def genre_readout(self, t: float) -> str:
        """Time and the top three genres of the window nearest ``t``."""
        analysis = self.analysis
        if analysis is None or len(analysis.timeline.times) == 0:
            return format_time(t, 2)
        probs = analysis.timeline.probs[int(np.argmin(np.abs(analysis.timeline.times - t)))]
        order = np.argsort(probs)[::-1][:3]
        top = "  ".join(f"{analysis.timeline.labels[i]} {probs[i]:.0%}" for i in order)
        return f"{format_time(t, 2)}  {top}"
