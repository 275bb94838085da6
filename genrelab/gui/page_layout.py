"""The Analyse page's widgets and where they sit: toolbar, banner, readout, the four views, legend, side panel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QStackedWidget,
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

PLAY_TEXT, PAUSE_TEXT = "▶  Play", "❚❚  Pause"
LOOP_TIP = ("Loop a region: switch Loop on (L), then drag the shaded region on the waveform, or its edges, over "
            "the part to repeat; playback stays inside it until Loop is off")


class PageLayout:
    """Builds the Analyse page's widgets (mixed into `AnalysePage`)."""

    EMPTY_HINT = ("Open a track: File ▸ Open (Ctrl+O), drop a file here, pass it on the command line, "
                  "or try File ▸ Open demo track (Ctrl+D)")

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
            view.set_frequency_axis(self.display.frequency_axis,
                                    log=view.kind == "stft" and self.display.stft_scale == "log")
        self.timeline.style = self.settings.timeline_style

        self.play_button = self._button(PAUSE_TEXT, "Play / pause (Space)", checkable=False)
        widest = self.play_button.sizeHint().width()
        self.play_button.setText(PLAY_TEXT)
        self.play_button.setFixedWidth(max(widest, self.play_button.sizeHint().width()))  # Play/Pause: no jump
        self.loop_button = self._button("⟲  Loop", LOOP_TIP)
        self.loop_button.setCheckable(True)
        self.time_label = QLabel("0:00.0 / 0:00")
        self.time_label.setStyleSheet("font-family: monospace; font-size: 14px; padding: 0 8px;")
        self.time_label.setText("0:00:00.0 / 0:00:00")
        self.time_label.setMinimumWidth(self.time_label.sizeHint().width())  # longer times move nothing
        self.time_label.setText("0:00.0 / 0:00")
        self.fit_button = self._button("Fit", "Show the whole track (F)")
        self.zoom_in_button = self._button("+", "Zoom in (+)")
        self.zoom_out_button = self._button("−", "Zoom out (−)")
        self.input_button = self._button("Model input", "Show exactly what the network hears for the selected "
                                                        "3-s window (outlined on the views; click to move it)")
        self.why_button = self._button("Why this genre?", "Hide one patch of the selected window at a time and "
                                                          "colour where the genre's probability drops")
        self.clear_why_button = self._button("×", "Hide the occlusion map")
        self.file_label = QLabel("")
        self.file_label.setStyleSheet("color: #a0a8b4;")
        self.file_label.setMinimumWidth(40)
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
        self.notice = QLabel("")
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("background: #4a3a12; color: #ffe2a8; padding: 4px; border-radius: 3px;")
        self.notice.hide()
        self.readout = QLabel(" ")
        self.readout.setObjectName("readout")
        self.readout.setStyleSheet("font-family: monospace; color: #d0d4da; padding: 0 6px;")

        splitter = QSplitter(Qt.Orientation.Vertical)
        for view, stretch in zip(self.views, (2, 3, 3, 3), strict=True):
            splitter.addWidget(view)
            splitter.setStretchFactor(splitter.count() - 1, stretch)
        splitter.setChildrenCollapsible(False)
        self.legend = GenreLegend()
        plots = QWidget()
        plots_layout = QVBoxLayout(plots)
        plots_layout.setContentsMargins(0, 0, 0, 0)
        plots_layout.setSpacing(2)
        plots_layout.addWidget(self.readout)
        plots_layout.addWidget(splitter, 1)
        plots_layout.addWidget(self.legend)
        self.empty_hint = QLabel(f"<p style='font-size:18px'>No track open</p><p>{self.EMPTY_HINT}</p>")
        self.empty_hint.setObjectName("empty_hint")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setStyleSheet("color: #a0a8b4;")
        self.stack = QStackedWidget()  # the hint until a track is open: no half-drawn axes
        self.stack.addWidget(self.empty_hint)
        self.stack.addWidget(plots)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(2)
        left_layout.addLayout(bar)
        left_layout.addLayout(banner_row)
        left_layout.addWidget(self.notice)
        left_layout.addWidget(self.stack, 1)

        self.summary = SummaryPanel()
        self.controls = SpectrogramControls(self.display, self.hop_s, self.timeline.style)
        self.display_box = QGroupBox("Display")
        box_layout = QVBoxLayout(self.display_box)
        box_layout.setContentsMargins(0, 4, 0, 0)
        box_layout.addWidget(self.controls)
        side = QWidget()  # the genre panel takes what is left; the Display box below it never moves
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.summary, 1)
        side_layout.addWidget(self.display_box, 0)
        side.setMinimumWidth(300)
        side.setMaximumWidth(380)

        outer = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(left)
        outer.addWidget(side)
        outer.setStretchFactor(0, 1)
        outer.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(outer)
        self.input_view = ModelInputView(self)
        self._set_track_controls(False)
        self.set_empty(True)

    def set_empty(self, empty: bool) -> None:
        """The empty page (only the hint) or the views."""
        self.stack.setCurrentIndex(0 if empty else 1)

    @staticmethod
    def _button(text: str, tip: str, checkable: bool = False) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(checkable)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

