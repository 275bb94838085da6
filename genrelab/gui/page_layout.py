"""The Analyse page's widgets and where they sit: toolbar, banner, readout, the four views, legend, side panel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from genrelab.gui.legend import GenreLegend
from genrelab.gui.spectrogram_controls import SpectrogramControls
from genrelab.gui.summary_panel import SummaryPanel
from genrelab.gui.views.model_input_view import ModelInputView
from genrelab.gui.views.spectrogram_view import SpectrogramView
from genrelab.gui.views.time_plot import TimePlot
from genrelab.gui.views.timeline_view import TimelineView
from genrelab.gui.views.waveform_view import WaveformView


class PageLayout:
    """Builds the Analyse page's widgets (mixed into `AnalysePage`)."""

    # ================================================================================ layout
    def _build(self) -> None:
        self.waveform = WaveformView()
        self.stft = SpectrogramView("stft")
        self.mel = SpectrogramView("mel")
        self.timeline = TimelineView()
        self.views: list[TimePlot] = [self.waveform, self.stft, self.mel, self.timeline]
        for view in self.views[1:]:
            view.setXLink(self.waveform)
        for view in (self.stft, self.mel):
            view.set_colormap(self.display.colormap)
            view.set_frequency_axis(self.display.frequency_axis)
        self.timeline.style = self.settings.timeline_style

        self.play_button = self._button("▶  Play", "Play / pause (Space)", checkable=False)
        self.loop_button = self._button("⟲  Loop", "Loop a selection: drag the region's edges on the waveform")
        self.loop_button.setCheckable(True)
        self.time_label = QLabel("0:00.0 / 0:00")
        self.time_label.setStyleSheet("font-family: monospace; font-size: 14px; padding: 0 8px;")
        self.fit_button = self._button("Fit", "Show the whole track (F)")
        self.zoom_in_button = self._button("+", "Zoom in (+)")
        self.zoom_out_button = self._button("−", "Zoom out (−)")
        self.input_button = self._button("Model input", "Show exactly what the network sees for the window under "
                                                        "the cursor (or at the playhead)")
        self.why_button = self._button("Why this genre?", "Occlusion map: mask patches of the window at the "
                                                          "playhead and show where the genre's probability drops")
        self.clear_why_button = self._button("×", "Hide the occlusion map")
        self.file_label = QLabel("Open a track: File ▸ Open (Ctrl+O), drop a file here, or pass it on the "
                                 "command line")
        self.file_label.setStyleSheet("color: #a0a8b4;")
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        for widget in (self.play_button, self.loop_button, self.time_label, self.fit_button, self.zoom_out_button,
                       self.zoom_in_button, self.input_button, self.why_button, self.clear_why_button):
            bar.addWidget(widget)
        bar.addSpacing(12)
        bar.addWidget(self.file_label, 1)

        self.banner = QLabel("")
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #5a1d1d; color: #ffd6d6; padding: 6px; border-radius: 3px;")
        self.banner.hide()
        self.banner_close = self._button("Dismiss", "Hide this message")
        self.banner_close.hide()
        banner_row = QHBoxLayout()
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.banner_close)
        self.readout = QLabel(" ")
        self.readout.setObjectName("readout")
        self.readout.setStyleSheet("font-family: monospace; color: #d0d4da; padding: 0 6px;")

        splitter = QSplitter(Qt.Orientation.Vertical)
        for view, stretch in zip(self.views, (2, 3, 3, 3), strict=True):
            splitter.addWidget(view)
            splitter.setStretchFactor(splitter.count() - 1, stretch)
        splitter.setChildrenCollapsible(False)
        self.legend = GenreLegend()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(2)
        left_layout.addLayout(bar)
        left_layout.addLayout(banner_row)
        left_layout.addWidget(self.readout)
        left_layout.addWidget(splitter, 1)
        left_layout.addWidget(self.legend)

        self.summary = SummaryPanel()
        self.controls = SpectrogramControls(self.display, self.hop_s, self.timeline.style)
        display_box = QGroupBox("Display")
        box_layout = QVBoxLayout(display_box)
        box_layout.setContentsMargins(0, 4, 0, 0)
        box_layout.addWidget(self.controls)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.summary)
        side_layout.addWidget(display_box)
        side_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(300)
        scroll.setMaximumWidth(380)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        outer = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(left)
        outer.addWidget(scroll)
        outer.setStretchFactor(0, 1)
        outer.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(outer)
        self.input_view = ModelInputView(self)
        self._set_track_controls(False)

    @staticmethod
    def _button(text: str, tip: str, checkable: bool = False) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(checkable)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

