"""What the network sees for one window: the model input drawn as an image on Hz and seconds axes, with a colour
scale, its window and top genres, and one sentence on what it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from genrelab.gui.notes import format_time
from genrelab.gui.views.frequency_axis import FrequencyAxis
from genrelab.gui.views.spectrogram_view import colormap, colormap_lut
from genrelab.gui.views.time_plot import TimeAxis

if TYPE_CHECKING:
    from genrelab.gui.track_tasks import WindowInput
    from genrelab.model.card import ModelCard

EMPTY_TEXT = "Open a track with a genre model to see the model's input."


def input_sentence(card: ModelCard) -> str:
    """One sentence, for a newcomer, on what the network is given."""
    spec = card.spec
    bands = f"{spec.n_mels} Mel bands (pitch bands spaced like hearing)" if spec.kind == "mel" else \
        f"{spec.n_bins} frequency bins"
    text = (f"The network hears {spec.window_s:g} s of sound at a time, as {bands} × {spec.window_columns} time "
            f"steps: each point is how loud that pitch is at that moment, in dB below the window's loudest "
            f"point (anything {spec.top_db:g} dB quieter counts as silence)")
    if spec.image == "paper":
        text += f"; it is drawn as a {spec.colormap} picture and resized to {spec.image_size}×{spec.image_size}"
    return text + "."


class ModelInputView(QDialog):
    """A non-modal window showing the model input of the page's selected window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model input — what the network sees")
        self.setModal(False)
        self.resize(640, 560)
        layout = QVBoxLayout(self)
        self.heading = QLabel(EMPTY_TEXT)
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.sentence = QLabel("")
        self.sentence.setWordWrap(True)
        self.sentence.setObjectName("input_sentence")
        layout.addWidget(self.sentence)
        self.axis = FrequencyAxis("Frequency")
        self.plot = pg.PlotWidget(axisItems={"left": self.axis, "bottom": TimeAxis("bottom")})
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setLabel("bottom", "time in the track (m:ss)")
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(values=(-80.0, 0.0), width=12, interactive=False,
                                          colorMap=colormap("magma"), colorMapMenu=False)
        self.colour_bar.getAxis("right").setLabel("dB re the window's peak")
        self.plot.getPlotItem().layout.addItem(self.colour_bar, 2, 5)
        layout.addWidget(self.plot, 1)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setStyleSheet("color: #a0a8b4;")
        layout.addWidget(self.details)
        self.current: WindowInput | None = None

    def clear(self) -> None:
        """Forget the shown window (a new track)."""
        self.current = None
        self.image.clear()
        self.heading.setText(EMPTY_TEXT)
        self.sentence.setText("")
        self.details.setText("")

    def show_input(self, window: WindowInput, card: ModelCard, colormap_name: str = "magma") -> None:
        """Draw ``window``'s input as the model gets it: the scaled array in the page's colormap, or the
        paper-mode RGB picture itself; rows on a frequency axis, columns on the track's time axis."""
        self.current = window
        spec = card.spec
        picture = window.picture
        bins = spec.n_bins
        if picture.ndim == 3:  # the paper's RGB image: its own colours
            self.image.setLookupTable(None)
            self.image.setImage(picture, autoLevels=False, levels=(0.0, 1.0))
            self.colour_bar.setColorMap(colormap(spec.colormap))
        else:
            self.image.setImage(picture, autoLevels=False, levels=(-1.0, 1.0))
            self.image.setLookupTable(colormap_lut(colormap_name))
            self.colour_bar.setColorMap(colormap(colormap_name))
        self.colour_bar.setLevels(low=-spec.top_db, high=0.0)
        row_hz = window.row_hz if window.row_hz is not None else np.arange(bins, dtype=float)
        self.axis.set_rows(row_hz)
        self.axis.setLabel(f"{'Mel band' if spec.kind == 'mel' else 'frequency'} (Hz)")
        self.image.setRect(QRectF(window.start_s, 0.0, window.end_s - window.start_s, bins))
        self.plot.setRange(xRange=(window.start_s, window.end_s), yRange=(0, bins), padding=0)
        order = np.argsort(window.probs)[::-1][:3]
        top = ", ".join(f"{card.labels[i]} {window.probs[i]:.0%}" for i in order)
        self.heading.setText(
            f"<b>Window {window.index + 1}</b>: {format_time(window.start_s, 1)} – {format_time(window.end_s, 1)}"
            f" &nbsp; → &nbsp; {top}")
        self.sentence.setText(input_sentence(card))
        shape = "×".join(map(str, window.inputs.shape[1:]))
        self.details.setText(
            f"Input {shape} ({spec.image}); {spec.kind} {spec.n_bins} bands at {spec.sr} Hz, n_fft {spec.n_fft}, "
            f"hop {spec.hop_length}, frame stride {spec.frame_stride:.4g}. Scaling: {card.normalisation}.")
