"""The Live page's scrolling views: waveform, STFT, Mel and the genre timeline of the last N seconds.

They are the Analyse page's views (imported, not copied), x-linked, with mouse panning off (the clock moves
them). :meth:`LiveViews.draw` only hands ready data to pyqtgraph; everything is computed off the GUI thread.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF
from PySide6.QtWidgets import QVBoxLayout, QWidget

from genrelab.gui.display_settings import DisplaySettings
from genrelab.gui.pages.live.images import LiveFrame
from genrelab.gui.track_tasks import SpectrogramImage
from genrelab.gui.views.spectrogram_view import SpectrogramView
from genrelab.gui.views.timeline_view import TimelineView
from genrelab.gui.views.waveform_view import WaveformView


class _PaintCounter(QObject):
    """Counts the paints of a widget that show a new frame (the benchmark's frames per second)."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.count = 0
        self.dirty = False  # set by each new frame; a paint that finds it set shows new data
        widget.installEventFilter(self)

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint and self.dirty:
            self.dirty = False
            self.count += 1
        return False


class LiveTimeline(TimelineView):
    """The genre timeline, updated in place while the labels and style stay (re-creating ten filled curves
    twice a second cost the GUI thread tens of milliseconds)."""

    def set_timeline(self, times: np.ndarray, probs: np.ndarray, labels: list[str], colours: dict[str, str],
                     style: str | None = None) -> None:
        if not self.curves or list(labels) != list(self.labels) or (style and style != self.style) or not len(times):
            super().set_timeline(times, probs, labels, colours, style)
            return
        self.times, self.probs = np.asarray(times), np.asarray(probs)
        x = self.times.astype(float)
        ys = self.probs.astype(float) if self.style == "lines" else np.cumsum(self.probs.astype(float), axis=1)
        for k, curve in enumerate(self.curves):
            curve.setData(x, ys[:, k])


class LiveViews(QWidget):
    """Waveform, STFT, Mel and timeline stacked, scrolling together."""

    def __init__(self, display: DisplaySettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.waveform = WaveformView()
        self.stft = SpectrogramView("stft")
        self.mel = SpectrogramView("mel")
        self.timeline = LiveTimeline()
        self.views = (self.waveform, self.stft, self.mel, self.timeline)
        for view, stretch in zip(self.views, (2, 4, 3, 2), strict=True):
            item = view.getPlotItem()
            item.setMouseEnabled(x=False, y=False)
            view.playhead.hide()
            if view is not self.waveform:
                view.setXLink(self.waveform)
            layout.addWidget(view, stretch)
        self.waveform.getPlotItem().setYRange(-1.0, 1.0, padding=0.02)
        for view in (self.stft, self.mel):  # the live scale is absolute: 0 dB is a full-scale sine
            view.colour_bar.getAxis("right").setLabel("dBFS")
            view.colour_bar.setToolTip("Colour scale: 0 dB is a full-scale sine (dBFS); the dB range control "
                                       "sets how far down the colours reach")
        self.paints = _PaintCounter(self.stft.viewport())
        self.timeline.getPlotItem().getAxis("bottom").enableAutoSIPrefix(False)
        self.waveform.getPlotItem().setXRange(0.0, 10.0, padding=0)
        self._rows: dict[str, int] = {}
        self.drawn_until = 0.0  # the newest time on screen (s)
        self.set_display(display)

    def set_display(self, display: DisplaySettings) -> None:
        """Colours and frequency labels now; new images come with the next frames."""
        self.db_range = display.db_range
        for view in (self.stft, self.mel):
            view.set_colormap(display.colormap)
            view.set_frequency_axis(display.frequency_axis, log=view is self.stft and display.stft_scale == "log")
        self._rows.clear()

    def clear(self) -> None:
        self.waveform.curve.setData([], [])
        for view in (self.stft, self.mel):
            view.set_image(None)
        self.timeline.set_timeline(np.zeros(0), np.zeros((0, 0)), [], {})
        self._rows.clear()
        self.drawn_until = 0.0
        self.waveform.getPlotItem().setXRange(0.0, 10.0, padding=0)

    def draw(self, now_s: float, history_s: float, waveform: tuple[np.ndarray, np.ndarray] | None,
             frames: dict[str, tuple[LiveFrame, np.ndarray, object] | None]) -> None:
        """One frame: the newest ``history_s`` seconds ending at ``now_s``."""
        if waveform is not None:
            self.waveform.curve.setData(*waveform)
        for name, view in (("stft", self.stft), ("mel", self.mel)):
            entry = frames.get(name)
            if entry is None:
                continue
            frame, row_hz, spec = entry
            rows = frame.pixels.shape[0]
            if self._rows.get(name) != rows:  # first frame of this display: axis, range, image item
                db = np.broadcast_to(np.float32(0), frame.pixels.shape)
                view.set_image(SpectrogramImage(name, db, frame.pixels, frame.x0, frame.dx, row_hz, 0.0,
                                                self.db_range, spec))
                view.getPlotItem().setLimits(xMin=None, xMax=None, minXRange=None, maxXRange=None)
                self._rows[name] = rows
            else:
                view.overview.setImage(frame.pixels, autoLevels=False, levels=(0, 255))
                view.overview.setRect(QRectF(frame.x0, 0.0, frame.dx * frame.pixels.shape[1], rows))
        start = max(0.0, now_s - history_s)
        self.waveform.getPlotItem().setXRange(start, max(start + history_s, now_s), padding=0)
        self.drawn_until = now_s
        self.paints.dirty = True

    def set_timeline(self, times: np.ndarray, probs: np.ndarray, labels: list[str], colours: dict[str, str]) -> None:
        self.timeline.set_timeline(times, probs, labels, colours)
