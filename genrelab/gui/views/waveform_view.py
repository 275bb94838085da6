"""The waveform as a min/max envelope drawn from a `WaveformPyramid`, redrawn for every visible range."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from genrelab.gui.palette import SELECTION, WAVEFORM
from genrelab.gui.views.time_plot import TimePlot
from genrelab.gui.waveform_pyramid import WaveformPyramid


class WaveformView(TimePlot):
    """Waveform envelope plus the loop region (a draggable `LinearRegionItem`, shown when looping is on)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("waveform", parent)
        item = self.getPlotItem()
        item.setYRange(-1.0, 1.0, padding=0.02)
        item.getAxis("left").setLabel("Waveform")
        item.getAxis("left").enableAutoSIPrefix(False)
        self.curve = pg.PlotDataItem(pen=pg.mkPen(WAVEFORM, width=1), skipFiniteCheck=True)
        item.addItem(self.curve)
        self.loop_region = pg.LinearRegionItem((0.0, 1.0), brush=pg.mkBrush(*SELECTION),
                                               pen=pg.mkPen(SELECTION[:3], width=2))
        self.loop_region.setZValue(50)
        self.loop_region.hide()
        item.addItem(self.loop_region, ignoreBounds=True)
        self.pyramid: WaveformPyramid | None = None
        self.window_region = self.add_window_region()
        self.view_box.sigXRangeChanged.connect(self.redraw)
        self.view_box.sigResized.connect(self.redraw)

    def set_pyramid(self, pyramid: WaveformPyramid | None) -> None:
        """Show a new track (None clears the plot)."""
        self.pyramid = pyramid
        if pyramid is None:
            self.curve.setData([], [])
            return
        peak = max(float(np.abs(pyramid.levels[-1].mins).max()), float(pyramid.levels[-1].maxs.max()), 1e-3)
        self.getPlotItem().setYRange(-peak, peak, padding=0.05)
        self.set_duration(pyramid.duration_s)
        self.redraw()

    def redraw(self, *_args: object) -> None:
        """Draw the envelope of the visible range at about one min/max pair per pixel."""
        if self.pyramid is None:
            return
        t0, t1 = self.view_box.viewRange()[0]
        pixels = max(200, int(self.view_box.width()))
        x, y = self.pyramid.envelope(t0, t1, pixels)
        self.curve.setData(x, y)

    def value_at(self, t: float) -> tuple[float, float] | None:
        """The signal at time ``t``: (min, max) of the samples one screen pixel covers there; min == max (the
        nearest sample) when zoomed in to less than a sample per pixel. None outside the track."""
        if self.pyramid is None or not 0.0 <= t <= self.pyramid.duration_s:
            return None
        t0, t1 = self.view_box.viewRange()[0]
        half = 0.5 * (t1 - t0) / max(1, int(self.view_box.width()))
        if half * self.pyramid.sr < 1.0:
            i = min(len(self.pyramid.samples) - 1, int(round(t * self.pyramid.sr)))
            value = float(self.pyramid.samples[i])
            return value, value
        return self.pyramid.extrema(t - half, t + half)

    def set_loop_visible(self, visible: bool, start_s: float = 0.0, end_s: float = 0.0) -> None:
        if visible and end_s > start_s:
            self.loop_region.setRegion((start_s, end_s))
        self.loop_region.setVisible(visible)
