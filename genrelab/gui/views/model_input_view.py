"""What the network sees for one window: the model input drawn as an image, with its window and top genres."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from genrelab.gui.notes import format_time
from genrelab.gui.views.spectrogram_view import colormap_lut

if TYPE_CHECKING:
    from genrelab.gui.track_tasks import WindowInput
    from genrelab.model.card import ModelCard


class ModelInputView(QDialog):
    """A non-modal window that follows the model window under the cursor (or at the playhead)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model input — what the network sees")
        self.setModal(False)
        self.resize(560, 520)
        layout = QVBoxLayout(self)
        self.heading = QLabel("Open a track with a genre model to see the model's input.")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.plot.getPlotItem().setAspectLocked(False)
        layout.addWidget(self.plot, 1)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        layout.addWidget(self.details)
        self.current: WindowInput | None = None

    def show_input(self, window: WindowInput, card: ModelCard) -> None:
        """Draw ``window``'s input as the model gets it (native array or the paper's RGB picture)."""
        self.current = window
        spec = card.spec
        picture = window.picture
        if picture.ndim == 3:  # the paper's RGB image
            self.image.setLookupTable(None)
            self.image.setImage(picture, autoLevels=False, levels=(0.0, 1.0))
            self.plot.setLabel("left", f"image rows ({spec.image_size} px, top = highest band)")
            self.plot.setLabel("bottom", f"image columns ({spec.image_size} px)")
        else:
            self.image.setImage(picture, autoLevels=False, levels=(-1.0, 1.0))
            self.image.setLookupTable(colormap_lut("magma"))
            band = "Mel band" if spec.kind == "mel" else "FFT bin"
            self.plot.setLabel("left", f"{band} (0 = lowest)")
            self.plot.setLabel("bottom", "column")
        h, w = picture.shape[:2]
        self.image.setRect(QRectF(0, 0, w, h))
        self.plot.setRange(xRange=(0, w), yRange=(0, h), padding=0)
        order = np.argsort(window.probs)[::-1][:3]
        top = ", ".join(f"{card.labels[i]} {window.probs[i]:.0%}" for i in order)
        self.heading.setText(
            f"<b>Window {window.index + 1}</b>: {format_time(window.start_s, 1)} – {format_time(window.end_s, 1)}"
            f" &nbsp; → &nbsp; {top}")
        shape = "×".join(map(str, window.inputs.shape[1:]))
        self.details.setText(
            f"Input {shape} ({spec.image}); {spec.kind} {spec.n_bins} bands at {spec.sr} Hz, n_fft {spec.n_fft}, "
            f"hop {spec.hop_length}, frame stride {spec.frame_stride:.4g}.<br>Scaling: {card.normalisation}.")
