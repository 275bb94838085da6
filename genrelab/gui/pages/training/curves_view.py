"""Loss and accuracy per epoch (train and validation), drawn with pyqtgraph as the epochs arrive."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

SERIES = {  # key in an epoch's stats -> (plot, legend name, colour, dashed)
    "train_loss": ("loss", "train", "#4c9be8", False),
    "valid_loss": ("loss", "valid", "#f0a030", False),
    "train_acc": ("acc", "train (window)", "#4c9be8", False),
    "valid_acc": ("acc", "valid (window)", "#f0a030", False),
    "valid_track_acc": ("acc", "valid (track)", "#e05050", True),
}


class RowLegend(pg.LegendItem):
    """A legend laid out as one row in the plots' layout (below a plot), not floating over its data.

    pyqtgraph's legend places itself (``setGeometry`` at its parent's corner); here it only says its size and the
    layout places it. It cannot be dragged over the plot.
    """

    def __init__(self) -> None:
        super().__init__(colCount=len(SERIES), frame=False, horSpacing=6)

    def updateSize(self) -> None:  # noqa: N802 - pyqtgraph's name
        spacing = self.layout.horizontalSpacing()
        width = height = 0.0
        for row in range(self.layout.rowCount()):
            items = [self.layout.itemAt(row, col) for col in range(self.layout.columnCount())]
            items = [it for it in items if it is not None]
            width = max(width, sum(it.preferredWidth() + spacing for it in items))
            height += max((it.preferredHeight() for it in items), default=0.0)
        self.setMinimumSize(width, height)
        self.setMaximumSize(width, height)
        self.updateGeometry()

    def mouseDragEvent(self, ev) -> None:  # noqa: ANN001, N802 - pyqtgraph's signature
        ev.ignore()


class CurvesView(QWidget):
    """Two plots side by side: loss and accuracy per epoch; the best epoch is marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.plots = {"loss": self.graphics.addPlot(title="Loss per epoch"),
                      "acc": self.graphics.addPlot(title="Accuracy per epoch")}
        self.plots["acc"].setYRange(0, 1.02, padding=0)
        self.curves: dict[str, pg.PlotDataItem] = {}
        #: one legend row under each plot, outside its data area: no curve is ever hidden behind it
        self.legends: dict[str, RowLegend] = {}
        for col, (key, plot) in enumerate(self.plots.items()):
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setLabel("bottom", "epoch")
            legend = RowLegend()
            self.graphics.addItem(legend, row=1, col=col)
            self.graphics.ci.layout.setAlignment(legend, Qt.AlignmentFlag.AlignHCenter)
            self.legends[key] = legend
        for key, (plot, name, colour, dashed) in SERIES.items():
            pen = pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
            self.curves[key] = self.plots[plot].plot([], [], pen=pen, symbol="o", symbolSize=5,
                                                    symbolBrush=colour, symbolPen=None)
            self.legends[plot].addItem(self.curves[key], name)
        self.best_lines = {k: pg.InfiniteLine(angle=90, pen=pg.mkPen("#aaaaaa", width=1,
                                                                     style=pg.QtCore.Qt.PenStyle.DotLine))
                           for k in self.plots}
        for key, line in self.best_lines.items():
            line.hide()
            self.plots[key].addItem(line)
        self.epochs: list[dict[str, Any]] = []

    def clear(self) -> None:
        """No epochs (a new run)."""
        self.epochs = []
        self._redraw()

    def add_epoch(self, stats: dict[str, Any]) -> None:
        """One epoch's numbers (EpochStats as a dict); an epoch already shown is replaced."""
        self.epochs = [e for e in self.epochs if e["epoch"] != stats["epoch"]] + [dict(stats)]
        self.epochs.sort(key=lambda e: e["epoch"])
        self._redraw()

    def set_history(self, history: list[dict[str, Any]], best_epoch: int = 0) -> None:
        """A whole run's history (a reopened run), with its best epoch marked."""
        self.epochs = sorted((dict(h) for h in history), key=lambda e: e["epoch"])
        self._redraw(best_epoch)

    def points(self, key: str) -> int:
        """How many points the series ``key`` shows (for tests)."""
        x, _ = self.curves[key].getData()
        return 0 if x is None else len(x)

    def _redraw(self, best_epoch: int = 0) -> None:
        """Redraw every series; ``best_epoch`` (the kept model's epoch, once known) is marked."""
        xs = [e["epoch"] for e in self.epochs]
        step = max(1, -(-len(xs) // 15))  # whole epochs on the axis, at most ~15 labels
        for plot in self.plots.values():
            plot.getAxis("bottom").setTickSpacing(step, step)
        for key, curve in self.curves.items():
            curve.setData(xs, [float(e.get(key, float("nan"))) for e in self.epochs])
        for line in self.best_lines.values():
            line.setVisible(bool(best_epoch))
            if best_epoch:
                line.setValue(best_epoch)
