"""Controls for the spectrogram views and the timeline: FFT size, hop, window, Mel bands, frequency limits,
dB range, colormap, frequency labels, analysis hop and timeline style."""

from __future__ import annotations

import re
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from genrelab.gui.display_settings import (
    COLORMAPS,
    FREQUENCY_AXES,
    HOP_CHOICES,
    N_FFT_CHOICES,
    N_MELS_CHOICES,
    STFT_SCALES,
    WINDOW_CHOICES,
    DisplaySettings,
)
from genrelab.gui.views.timeline_view import STYLES

DEBOUNCE_MS = 250
MAX_PRESETS = (20000, 16000, 11025, 8000, 5000, 4000, 2000, 1000)
MIN_PRESETS = (20, 50, 100, 200, 500, 1000)
NYQUIST = "Nyquist"


def parse_hz(text: str) -> float | None:
    """A frequency typed by a person: ``"8000"``, ``"8 kHz"``, ``"8k"``, ``"440 Hz"``; "Nyquist" is 0; None if
    it is not a frequency."""
    text = text.strip().lower().replace(",", ".")
    if text in ("", NYQUIST.lower(), "max"):
        return 0.0
    match = re.fullmatch(r"(\d+(?:\.\d*)?)\s*(k|khz|hz)?", text)
    if not match:
        return None
    value = float(match.group(1))
    return value * 1000 if match.group(2) in ("k", "khz") else value


class FrequencyBox(QComboBox):
    """An editable frequency choice: presets (and "Nyquist" for the top one), or any value typed up to the
    open track's Nyquist frequency. ``committed`` fires (at once) with the new value in Hz (0 = Nyquist/none)."""

    committed = Signal(float)

    def __init__(self, value: float, presets: tuple[int, ...], special: str) -> None:
        super().__init__()
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.presets, self.special = presets, special
        self.nyquist = 24000.0
        self.value = float(value)
        self._fill()
        self.activated.connect(lambda _i: self._commit(self.currentText()))
        self.lineEdit().editingFinished.connect(lambda: self._commit(self.currentText()))

    @staticmethod
    def text_of(hz: float) -> str:
        return f"{hz / 1000:g} kHz" if hz >= 1000 else f"{hz:g} Hz"

    def _fill(self) -> None:
        self.blockSignals(True)
        self.clear()
        self.addItem(self.special, 0.0)
        for hz in self.presets:
            if hz < self.nyquist:
                self.addItem(self.text_of(hz), float(hz))
        self.setEditText(self.special if self.value <= 0 else self.text_of(self.value))
        self.blockSignals(False)

    def set_nyquist(self, nyquist: float) -> None:
        """Offer values up to ``nyquist`` (the open track's); a larger value becomes the top choice."""
        self.nyquist = float(nyquist)
        if self.value >= self.nyquist:
            self.value = 0.0
        self._fill()

    def _commit(self, text: str) -> None:
        hz = parse_hz(text)
        if hz is None or hz < 0 or (hz >= self.nyquist and self.special != NYQUIST):  # not a usable frequency:
            self.setEditText(self.special if self.value <= 0 else self.text_of(self.value))  # the value in force
            return
        hz = 0.0 if hz >= self.nyquist else hz  # Max freq: at or above Nyquist is Nyquist
        self.setEditText(self.special if hz <= 0 else self.text_of(hz))
        if hz != self.value:
            self.value = hz
            self.committed.emit(hz)


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
        self.fmin = FrequencyBox(settings.fmin, MIN_PRESETS, "0 Hz")
        self.fmax = FrequencyBox(settings.fmax, MAX_PRESETS, NYQUIST)
        self.fmin.setToolTip("Lowest frequency both spectrograms show: pick one or type any value (Enter)")
        self.fmax.setToolTip("Highest frequency both spectrograms show, up to the track's Nyquist frequency "
                             "(half its sample rate): pick one or type any value (Enter)")
        self.stft_scale = _combo([(text, key) for key, text in STFT_SCALES.items()], settings.stft_scale)
        self.stft_scale.setToolTip("STFT frequency axis: linear (equal Hz) or logarithmic (equal octaves, "
                                   "like a piano)")
        self.db_range = QSpinBox()
        self.db_range.setRange(20, 140)
        self.db_range.setSingleStep(10)
        self.db_range.setSuffix(" dB")
        self.db_range.setValue(int(settings.db_range))
        self.db_range.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Space and arrows stay with the page
        self.colormap = _combo([(c, c) for c in COLORMAPS], settings.colormap)
        self.axis = _combo([(text, key) for key, text in FREQUENCY_AXES.items()], settings.frequency_axis)
        self.analysis_hop = QDoubleSpinBox()
        self.analysis_hop.setRange(0.1, 10.0)
        self.analysis_hop.setSingleStep(0.25)
        self.analysis_hop.setDecimals(2)
        self.analysis_hop.setSuffix(" s")
        self.analysis_hop.setValue(hop_s)
        self.analysis_hop.setKeyboardTracking(False)
        self.analysis_hop.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.style = _combo([(text, key) for key, text in STYLES.items()], style)
        for label, widget in (("Max freq", self.fmax), ("Min freq", self.fmin), ("STFT scale", self.stft_scale),
                              ("Freq. labels", self.axis), ("dB range", self.db_range), ("Colormap", self.colormap),
                              ("FFT size", self.n_fft), ("Hop", self.hop), ("Window", self.window),
                              ("Mel bands", self.n_mels), ("Genre hop", self.analysis_hop),
                              ("Timeline", self.style)):
            form.addRow(label, widget)
        self.analysis_hop.setToolTip("Seconds between two genre-model windows (re-runs the analysis)")
        self.db_range.setToolTip("How far below the track's peak (0 dB) the colours reach; quieter is black")
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(lambda: self.changed.emit(self.settings()))
        for box in (self.n_fft, self.hop, self.window, self.n_mels, self.colormap, self.axis, self.stft_scale):
            box.currentIndexChanged.connect(self._timer.start)
        self.db_range.valueChanged.connect(self._timer.start)
        for box in (self.fmin, self.fmax):  # a frequency is committed (Enter or a choice): applied at once
            box.committed.connect(lambda _hz: self.changed.emit(self.settings()))
        self.analysis_hop.valueChanged.connect(self.hop_changed.emit)
        self.style.currentIndexChanged.connect(lambda _i: self.style_changed.emit(self.style.currentData()))

    def set_nyquist(self, nyquist: float) -> None:
        """The open track's Nyquist frequency: the highest Max/Min freq on offer."""
        self.fmin.set_nyquist(nyquist)
        self.fmax.set_nyquist(nyquist)

    def settings(self) -> DisplaySettings:
        """The settings the controls show now."""
        return replace(DisplaySettings(), n_fft=self.n_fft.currentData(), hop_length=self.hop.currentData(),
                       window=self.window.currentData(), n_mels=self.n_mels.currentData(),
                       fmin=float(self.fmin.value), fmax=float(self.fmax.value),
                       db_range=float(self.db_range.value()), colormap=self.colormap.currentData(),
                       frequency_axis=self.axis.currentData(), stft_scale=self.stft_scale.currentData())
