"""A spectrogram (STFT or Mel) as an `ImageItem` with a colormap, a finer detail image when zoomed in, the
model window under the cursor, and the occlusion overlay of "Why this genre?"."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QWidget

from genrelab.gui.palette import MODEL_WINDOW
from genrelab.gui.views.frequency_axis import FrequencyAxis
from genrelab.gui.views.time_plot import RIGHT_WIDTH, TimePlot

if TYPE_CHECKING:
    from genrelab.gui.track_tasks import SpectrogramImage

PYQTGRAPH_COLORMAPS = {"grey": "CET-L1"}
DB_REFERENCE = "dB re track peak"  # what 0 dB is on the colour bars and in the readout
TITLES = {"stft": "STFT", "mel": "Mel"}


def colormap(name: str) -> pg.ColorMap:
    """The pyqtgraph colormap of a name from `display_settings.COLORMAPS`."""
    return pg.colormap.get(PYQTGRAPH_COLORMAPS.get(name, name))


def colormap_lut(name: str) -> np.ndarray:
    """256-entry RGB lookup table of a colormap name from `display_settings.COLORMAPS`."""
    return colormap(name).getLookupTable(nPts=256)


def occlusion_lut() -> np.ndarray:
    """Diverging RGBA table in colours no spectrogram colormap uses: white (masking raised the probability) -
    transparent - cyan (masking lowered it: the patch supports the genre)."""
    t = np.linspace(-1.0, 1.0, 256)
    lut = np.zeros((256, 4), np.ubyte)
    lut[:, 0] = np.where(t > 0, 0, 255)
    lut[:, 1] = np.where(t > 0, 229, 255)
    lut[:, 2] = 255
    lut[:, 3] = (np.clip(np.abs(t), 0, 1) ** 0.7 * 230).astype(np.ubyte)
    return lut


class SpectrogramView(TimePlot):
    """STFT or Mel spectrogram on the shared time axis."""

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        self.kind = kind
        self.axis = FrequencyAxis(TITLES.get(kind, kind))
        super().__init__(kind, parent, left_axis=self.axis)
        item = self.getPlotItem()
        # the colour bar takes the right-hand space every view keeps, so the time axes stay aligned
        item.getAxis("right").setWidth(0)
        self.colour_bar = pg.ColorBarItem(values=(-80.0, 0.0), width=12, interactive=False, rounding=1,
                                          colorMap=colormap("magma"), colorMapMenu=False)
        self.reference = DB_REFERENCE
        self.colour_bar.getAxis("right").setLabel(DB_REFERENCE)
        self.colour_bar.getAxis("right").setWidth(RIGHT_WIDTH - 12 - 30)
        self.colour_bar.setFixedWidth(RIGHT_WIDTH)
        self.colour_bar.setToolTip("Colour scale: 0 dB is the loudest point of this track's spectrogram; "
                                   "the dB range control sets how far down the colours reach")
        item.layout.addItem(self.colour_bar, 2, 3)
        self.overview = pg.ImageItem()
        self.detail = pg.ImageItem()
        self.overlay = pg.ImageItem()
        self.overlay.setZValue(35)
        self.overlay.setLookupTable(occlusion_lut())
        for image in (self.overview, self.detail, self.overlay):
            item.addItem(image)
        self.window_region = self.add_window_region()
        self.overlay_label = pg.TextItem("", color="#ffffff", fill=pg.mkBrush(0, 0, 0, 170), anchor=(0, 0))
        self.overlay_label.textItem.setTextWidth(330)  # wrapped: a few short lines beside the window
        self.overlay_label.setZValue(110)
        self.overlay_label.hide()
        item.addItem(self.overlay_label, ignoreBounds=True)
        self.image: SpectrogramImage | None = None
        self.detail_image: SpectrogramImage | None = None
        self.colormap = "magma"
        self.set_colormap("magma")

    # ---- images -----------------------------------------------------------------------------------------
    def set_image(self, image: SpectrogramImage | None) -> None:
        """Show a new overview (clears the detail image)."""
        self.image = image
        self.set_detail(None)
        if image is None:
            self.overview.clear()
            return
        self.axis.set_rows(image.row_hz)
        self.set_db_range(image.db_range)
        self.overview.setImage(image.pixels, autoLevels=False, levels=(0, 255))
        self.overview.setRect(QRectF(image.x0, 0.0, image.dx * image.db.shape[1], image.db.shape[0]))
        rows = image.db.shape[0]  # the new limits first: the old ones would clip the new range
        self.getPlotItem().setLimits(yMin=0, yMax=rows, minYRange=min(rows, 4), maxYRange=rows)
        self.getPlotItem().setYRange(0, rows, padding=0)

    def set_detail(self, image: SpectrogramImage | None) -> None:
        """Show a finer image of the visible stretch over the overview (None removes it)."""
        self.detail_image = image
        if image is None or self.image is None or image.db.shape[0] != self.image.db.shape[0]:
            self.detail.clear()
            self.detail.hide()
            return
        self.detail.setImage(image.pixels, autoLevels=False, levels=(0, 255))
        self.detail.setRect(QRectF(image.x0, 0.0, image.dx * image.db.shape[1], image.db.shape[0]))
        self.detail.setLookupTable(colormap_lut(self.colormap))
        self.detail.show()

    def set_images(self, overview: SpectrogramImage | None, detail: SpectrogramImage | None) -> None:
        """Replace both images at once (after the dB range changed: same spectra, new colour indices)."""
        self.set_image(overview)
        self.set_detail(detail)

    def set_colormap(self, name: str) -> None:
        self.colormap = name
        lut = colormap_lut(name)
        self.overview.setLookupTable(lut)
        self.detail.setLookupTable(lut)
        self.colour_bar.setColorMap(colormap(name))

    def set_db_range(self, db_range: float) -> None:
        """The colour bar's scale: ``-db_range`` dB (darkest) to 0 dB, the track's peak (brightest)."""
        self.colour_bar.setLevels(low=-float(db_range), high=0.0)

    def set_reference(self, label: str) -> None:
        """What 0 dB is on this view, e.g. "dB re track peak" (the Analyse page) or "dBFS": the colour bar's
        title, and (see `reference_text`) the readout's unit."""
        self.reference = label
        self.colour_bar.getAxis("right").setLabel(label)

    def reference_text(self) -> str:
        """What 0 dB is, for the readout: the same reference as the colour bar ("re track peak")."""
        return self.reference.removeprefix("dB ")

    def set_frequency_axis(self, mode: str, log: bool = False) -> None:
        """Tick labels (and axis title) in ``mode`` ("hz", "mel", "note"); ``log``: the rows are log-spaced."""
        self.axis.set_title(f"{TITLES.get(self.kind, self.kind)}{', log' if log else ''}")
        self.axis.set_mode(mode)

    # ---- cursor readout ---------------------------------------------------------------------------------
    def value_at(self, t: float, y: float) -> tuple[float, float] | None:
        """(frequency Hz, level in dB re the track's peak) at time ``t`` and height ``y``, from the finest image
        covering ``t`` (the colour bar's reference: 0 dB is the loudest point of the overview)."""
        for image in (self.detail_image, self.image):
            if image is None or not image.x0 <= t < image.x1:
                continue
            col = int((t - image.x0) / image.dx)
            row = int(np.floor(y))
            if 0 <= row < image.db.shape[0] and 0 <= col < image.db.shape[1]:
                return self.axis.hz_at(y), float(image.db[row, col]) - image.peak_db
        return None

    # ---- model window and occlusion overlay ---------------------------------------------------------------
    def set_overlay(self, drop: np.ndarray | None, start_s: float = 0.0, end_s: float = 0.0,
                    row_hz: np.ndarray | None = None, text: str = "") -> None:
        """Draw an occlusion map (bins, columns; row 0 lowest) over ``start_s..end_s``, its rows at ``row_hz``.

        The map's rows are the model's bands; each row of this view shows the band nearest its frequency (and
        nothing outside the model's range), so it lines up whatever the view's frequency settings."""
        if drop is None or row_hz is None or self.image is None:
            self.overlay.clear()
            self.overlay.hide()
            self.overlay_label.hide()
            self.window_region.setBrush(pg.mkBrush(*MODEL_WINDOW))
            return
        limit = float(np.abs(drop).max()) or 1.0
        view_hz = self.axis.row_hz
        band = np.clip(np.rint(np.interp(view_hz, row_hz, np.arange(len(row_hz)))).astype(np.int64), 0,
                       len(row_hz) - 1)
        rows = drop[band]
        rows[(view_hz < row_hz[0] - 1e-6) | (view_hz > row_hz[-1] + 1e-6)] = 0.0  # outside what the model hears
        self.overlay.setImage(rows, autoLevels=False, levels=(-limit, limit))
        self.overlay.setRect(QRectF(start_s, 0.0, end_s - start_s, len(view_hz)))
        self.overlay.show()
        self.window_region.setBrush(pg.mkBrush(0, 0, 0, 0))
        self.overlay_label.setText(text)
        self.overlay_label.setPos(start_s, self.image.db.shape[0])
        self.overlay_label.setVisible(bool(text))
