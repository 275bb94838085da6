"""Controls for the spectrogram views and the timeline: FFT size, hop, window, Mel bands, frequency limits,
dB range, colormap, frequency labels, analysis hop and timeline style."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from genrelab.gui.display_settings import (
    COLORMAPS,
    FREQUENCY_AXES,
    HOP_CHOICES,
    N_FFT_CHOICES,
    N_MELS_CHOICES,
    WINDOW_CHOICES,
    DisplaySettings,
)
from genrelab.gui.views.timeline_view import STYLES

DEBOUNCE_MS = 250


def _combo(items: list[tuple[str, object]], current: object) -> QComboBox:
    box = QComboBox()
    box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
    for text, value in items:
        box.addItem(text, value)
    index = box.findData(current)
    box.setCurrentIndex(max(index, 0))
    return box


class SpectrogramControls(QWidget):
    """A form of display controls. ``changed`` fires (debounced) with the new `DisplaySettings`."""

    changed = Signal(object)  # DisplaySettings
    hop_changed = Signal(float)  # analysis hop, seconds
    style_changed = Signal(str)  # timeline style

    def __init__(self, settings: DisplaySettings, hop_s: float, style: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(8, 2, 8, 2)
        form.setVerticalSpacing(3)
        self.n_fft = _combo([(str(n), n) for n in N_FFT_CHOICES], settings.n_fft)
        self.hop = _combo([(str(n), n) for n in HOP_CHOICES], settings.hop_length)
        self.window = _combo([(w, w) for w in WINDOW_CHOICES], settings.window)
        self.n_mels = _combo([(str(n), n) for n in N_MELS_CHOICES], settings.n_mels)
        self.fmin = self._hz_spin(settings.fmin, "0 Hz")
        self.fmax = self._hz_spin(settings.fmax, "Nyquist")
        self.db_range = QSpinBox()
        self.db_range.setRange(20, 140)
        self.db_range.setSingleStep(10)
        self.db_range.setSuffix(" dB")
        self.db_range.setValue(int(settings.db_range))
        self.colormap = _combo([(c, c) for c in COLORMAPS], settings.colormap)
        self.axis = _combo([(text, key) for key, text in FREQUENCY_AXES.items()], settings.frequency_axis)
        self.analysis_hop = QDoubleSpinBox()
        self.analysis_hop.setRange(0.1, 10.0)
        self.analysis_hop.setSingleStep(0.25)
        self.analysis_hop.setDecimals(2)
        self.analysis_hop.setSuffix(" s")
        self.analysis_hop.setValue(hop_s)
        self.analysis_hop.setKeyboardTracking(False)
        self.style = _combo([(text, key) for key, text in STYLES.items()], style)
        for label, widget in (("FFT size", self.n_fft), ("Hop", self.hop), ("Window", self.window),
                              ("Mel bands", self.n_mels), ("Min freq", self.fmin), ("Max freq", self.fmax),
                              ("dB range", self.db_range), ("Colormap", self.colormap),
                              ("Freq. labels", self.axis), ("Genre hop", self.analysis_hop),
                              ("Timeline", self.style)):
            form.addRow(label, widget)
        self.analysis_hop.setToolTip("Seconds between two genre-model windows (re-runs the analysis)")
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(lambda: self.changed.emit(self.settings()))
        for box in (self.n_fft, self.hop, self.window, self.n_mels, self.colormap, self.axis):
            box.currentIndexChanged.connect(self._timer.start)
        for spin in (self.fmin, self.fmax, self.db_range):
            spin.valueChanged.connect(self._timer.start)
        self.analysis_hop.valueChanged.connect(self.hop_changed.emit)
        self.style.currentIndexChanged.connect(lambda _i: self.style_changed.emit(self.style.currentData()))

    @staticmethod
    def _hz_spin(value: float, special: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(0, 24000)
        spin.setSingleStep(100)
        spin.setSuffix(" Hz")
        spin.setSpecialValueText(special)
        spin.setValue(int(value))
        spin.setKeyboardTracking(False)
        return spin

    def settings(self) -> DisplaySettings:
        """The settings the controls show now."""
        return replace(DisplaySettings(), n_fft=self.n_fft.currentData(), hop_length=self.hop.currentData(),
                       window=self.window.currentData(), n_mels=self.n_mels.currentData(),
                       fmin=float(self.fmin.value()), fmax=float(self.fmax.value()),
                       db_range=float(self.db_range.value()), colormap=self.colormap.currentData(),
                       frequency_axis=self.axis.currentData())
