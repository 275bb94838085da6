"""`TimePlot`: a plot on the shared time axis, with a playhead, click-to-seek and hover signals."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QWidget

from genrelab.gui.notes import format_time
from genrelab.gui.palette import MODEL_WINDOW, PLAYHEAD

LEFT_AXIS_WIDTH = 78  # every plot's left axis is this wide, so their time axes line up
RIGHT_WIDTH = 96  # and every plot keeps this much on its right (the spectrograms' colour bars sit there)


class TimeAxis(pg.AxisItem):
    """Bottom axis in m:ss, with tenths or hundredths when zoomed in."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        decimals = 0 if spacing >= 1 else 1 if spacing >= 0.1 else 2
        return [format_time(v, decimals) if v >= 0 else "" for v in values]


class TimePlot(pg.PlotWidget):
    """A plot whose x axis is time in seconds: x-only zoom and pan, a playhead, and mouse signals in seconds.

    Signals:
        clicked(t): a left click (not a drag) at time ``t``.
        hovered(t, y): the mouse is over the data area at time ``t``, height ``y`` (view coordinates).
        left(): the mouse left the data area.
    """

    clicked = Signal(float)
    hovered = Signal(float, float)
    left = Signal()

    def __init__(self, name: str, parent: QWidget | None = None, left_axis: pg.AxisItem | None = None,
                 show_time: bool = False) -> None:
        axes = {"bottom": TimeAxis("bottom")}
        if left_axis is not None:
            axes["left"] = left_axis
        super().__init__(parent, axisItems=axes)
        self.setObjectName(name)
        self.name = name
        item = self.getPlotItem()
        item.setMouseEnabled(x=True, y=False)
        item.hideButtons()
        item.setMenuEnabled(False)
        item.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        item.showAxis("right")
        right = item.getAxis("right")
        right.setStyle(showValues=False, tickLength=0)
        right.setTicks([[], []])  # an empty margin: no line, no tick dots
        right.setPen(pg.mkPen(None))
        right.setWidth(RIGHT_WIDTH)
        self.show_time = show_time
        self.set_time_axis(show_time)
        self.setMinimumHeight(70)
        self.playhead = pg.InfiniteLine(0.0, angle=90, movable=False, pen=pg.mkPen(PLAYHEAD, width=2))
        self.playhead.setZValue(100)
        item.addItem(self.playhead, ignoreBounds=True)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self._inside = False

    def set_time_axis(self, visible: bool) -> None:
        """Show the time axis with its values and title (the timeline always; every view in an export)."""
        bottom = self.getPlotItem().getAxis("bottom")
        bottom.setStyle(showValues=visible)
        if visible:
            bottom.setLabel("time (m:ss)")
        bottom.showLabel(visible)
        bottom.setHeight(None if visible else 4)

    def export_mode(self, on: bool) -> None:
        """Add (``on``) or remove what an image of this view alone needs to be read: the time axis. Views
        add their own (a genre legend, a title)."""
        self.set_time_axis(on or self.show_time)

    @property
    def view_box(self) -> pg.ViewBox:
        return self.getPlotItem().getViewBox()

    def set_duration(self, seconds: float) -> None:
        """Let the view pan and zoom within ``0..seconds`` (down to 10 ms wide)."""
        seconds = max(seconds, 0.05)
        self.getPlotItem().setLimits(xMin=0.0, xMax=seconds, minXRange=min(0.01, seconds), maxXRange=seconds)

    def set_playhead(self, seconds: float) -> None:
        self.playhead.setValue(seconds)

    # ---- the model window outline (views that show it call add_window_region once) ---------------------
    def add_window_region(self) -> pg.LinearRegionItem:
        """A hidden outline of one model window, drawn above the data; kept in ``self.window_region``."""
        region = pg.LinearRegionItem((0.0, 0.0), movable=False, brush=pg.mkBrush(*MODEL_WINDOW),
                                     pen=pg.mkPen(MODEL_WINDOW[:3], width=1))
        region.setZValue(30)
        region.hide()
        self.getPlotItem().addItem(region, ignoreBounds=True)
        self.window_region = region
        return region

    def show_window(self, start_s: float | None, end_s: float = 0.0) -> None:
        """Outline the model window ``start_s..end_s`` (None hides it)."""
        if start_s is None:
            self.window_region.hide()
            return
        self.window_region.setRegion((start_s, end_s))
        self.window_region.show()

    def _data_point(self, scene_pos: QPointF) -> QPointF | None:
        vb = self.view_box
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        return vb.mapSceneToView(scene_pos)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        point = self._data_point(scene_pos)
        if point is None:
            if self._inside:
                self._inside = False
                self.left.emit()
            return
        self._inside = True
        self.hovered.emit(float(point.x()), float(point.y()))

    def _on_mouse_clicked(self, event) -> None:  # noqa: ANN001 - pyqtgraph's MouseClickEvent
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        point = self._data_point(event.scenePos())
        if point is not None:
            self.clicked.emit(float(point.x()))
