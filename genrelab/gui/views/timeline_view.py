"""The genre timeline: each genre's probability per window, as stacked areas or as lines, in palette colours."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from genrelab.gui.palette import FOREGROUND, rgba
from genrelab.gui.views.time_plot import TimePlot

STYLES = {"stacked": "Stacked areas", "lines": "Lines"}


class TimelineView(TimePlot):
    """Probabilities (n_windows, n_genres) at window centre times; shows the time axis for the whole stack."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("timeline", parent, show_time=True)
        item = self.getPlotItem()
        item.setYRange(0.0, 1.0, padding=0.02)
        item.setLimits(yMin=-0.02, yMax=1.02)
        item.getAxis("left").setLabel("Genre P")
        item.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        self.style = "stacked"
        self.times = np.zeros(0)
        self.probs = np.zeros((0, 0), np.float32)
        self.labels: list[str] = []
        self.colours: dict[str, str] = {}
        self.curves: list[pg.PlotDataItem] = []
        self._legend: pg.LegendItem | None = None
        self.hover_line = pg.InfiniteLine(0.0, angle=90, movable=False, pen=pg.mkPen(FOREGROUND, width=1,
                                                                                     style=pg.QtCore.Qt.DashLine))
        self.hover_line.hide()
        item.addItem(self.hover_line, ignoreBounds=True)
        self.window_region = self.add_window_region()
        self.message = pg.TextItem("", color=FOREGROUND, anchor=(0, 0))
        item.addItem(self.message, ignoreBounds=True)
        self.left.connect(self.hover_line.hide)
        self.view_box.sigXRangeChanged.connect(self._place_message)

    def set_message(self, text: str) -> None:
        """A note drawn in the empty plot (e.g. no model); empty text removes it."""
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self._place_message()

    def _place_message(self, *_args: object) -> None:
        self.message.setPos(self.view_box.viewRange()[0][0], 0.98)

    def set_timeline(self, times: np.ndarray, probs: np.ndarray, labels: list[str], colours: dict[str, str],
                     style: str | None = None, *, window_s: float = 3.0) -> None:
        """Draw a timeline (empty arrays clear the plot). A single window (a track under 3.5 s) is drawn flat
        over its ``window_s`` span: a one-point curve would draw nothing."""
        self.times, self.probs, self.labels, self.colours = np.asarray(times), np.asarray(probs), labels, colours
        if len(self.times) == 1 and self.probs.ndim == 2:
            self.times = self.times[0] + np.array([-window_s / 2, window_s / 2])
            self.probs = np.repeat(self.probs, 2, axis=0)
        if style is not None:
            self.style = style
        self._redraw()

    def set_style(self, style: str) -> None:
        self.style = style
        self._redraw()

    def _redraw(self) -> None:
        item = self.getPlotItem()
        for old in self.curves:
            item.removeItem(old)
        self.curves = []
        if self.probs.size == 0:
            return
        x = self.times.astype(float)
        if self.style == "lines":
            for k, label in enumerate(self.labels):
                curve = pg.PlotDataItem(x, self.probs[:, k].astype(float), name=label,
                                        pen=pg.mkPen(self.colours[label], width=2))
                item.addItem(curve)
                self.curves.append(curve)
            return
        # Stacked areas, painter's way: genre k's curve is the cumulative sum up to k, filled down to 0; drawn
        # from the top genre down, each fill covers the ones below it (one path per genre, no path algebra).
        tops = np.cumsum(self.probs.astype(float), axis=1)
        for k, label in enumerate(self.labels):
            colour = self.colours[label]
            curve = pg.PlotDataItem(x, tops[:, k], name=label, pen=pg.mkPen(rgba(colour), width=1),
                                    fillLevel=0.0, fillBrush=pg.mkBrush(*rgba(colour, 215)))
            curve.setZValue(-k)
            item.addItem(curve)
            self.curves.append(curve)

    def export_mode(self, on: bool) -> None:
        """For an image of the timeline alone: the time axis and a legend of the genres' colours."""
        super().export_mode(on)
        item = self.getPlotItem()
        if on and self.curves and self._legend is None:
            self._legend = pg.LegendItem(offset=(-4, 4), colCount=min(5, len(self.curves)),
                                         brush=pg.mkBrush(20, 22, 26, 200), labelTextColor=FOREGROUND)
            self._legend.setParentItem(item.getViewBox())
            for curve in self.curves:
                self._legend.addItem(curve, curve.name())
        elif not on and self._legend is not None:
            scene = self._legend.scene()
            if scene is not None:
                scene.removeItem(self._legend)
            self._legend = None

    def plotted_probabilities(self) -> tuple[np.ndarray, np.ndarray]:
        """(times, probs) read back from the drawn curves (stacked tops differenced): what is on screen."""
        if not self.curves:
            return np.zeros(0), np.zeros((0, 0))
        data = [c.getData() for c in self.curves]
        x = np.asarray(data[0][0])
        ys = np.stack([np.asarray(d[1]) for d in data], axis=1)
        if self.style == "stacked":
            ys = np.diff(np.concatenate([np.zeros((len(x), 1)), ys], axis=1), axis=1)
        return x, ys

    def show_hover(self, t: float | None) -> None:
        if t is None:
            self.hover_line.hide()
            return
        self.hover_line.setValue(t)
        self.hover_line.show()

