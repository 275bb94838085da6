"""The Analyse page's toolbar: play/pause, loop, time, fit and zoom, the two explanation tools, the file name."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from genrelab.gui.notes import format_time

PLAY_TEXT, PAUSE_TEXT = "▶  Play", "❚❚  Pause"
LOOP_TIP = ("Loop a region: switch Loop on (L), then drag the shaded region on the waveform, or its edges, over "
            "the part to repeat; playback stays inside it until Loop is off")
ZOOM_STEP = 1.5


def tool_button(text: str, tip: str, checkable: bool = False) -> QToolButton:
    """A text-only tool button that never takes the keyboard focus (Space and arrows stay with the page)."""
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setCheckable(checkable)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


class PageToolbar(QWidget):
    """One row of controls; it only emits what was pressed and shows what it is told.

    Signals:
        play(): Play / Pause pressed.
        loop(bool): Loop switched on or off.
        fit(): Fit pressed.
        zoom(float): a zoom factor (< 1 zooms in).
        model_input(), why(), clear_why(): the explanation tools.
    """

    play = Signal()
    loop = Signal(bool)
    fit = Signal()
    zoom = Signal(float)
    model_input = Signal()
    why = Signal()
    clear_why = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.play_button = tool_button(PAUSE_TEXT, "Play / pause (Space)")
        widest = self.play_button.sizeHint().width()
        self.play_button.setText(PLAY_TEXT)
        self.play_button.setFixedWidth(max(widest, self.play_button.sizeHint().width()))  # Play/Pause: no jump
        self.loop_button = tool_button("⟲  Loop", LOOP_TIP, checkable=True)
        self.time_label = QLabel("0:00:00.0 / 0:00:00")
        self.time_label.setStyleSheet("font-family: monospace; font-size: 14px; padding: 0 8px;")
        self.time_label.setMinimumWidth(self.time_label.sizeHint().width())  # longer times move nothing
        self.time_label.setText("0:00.0 / 0:00")
        self.fit_button = tool_button("Fit", "Show the whole track (F)")
        self.zoom_in_button = tool_button("+", "Zoom in (+)")
        self.zoom_out_button = tool_button("−", "Zoom out (−)")
        self.input_button = tool_button("Model input", "Show exactly what the network hears for the selected 3-s "
                                                       "window (outlined on the views; click to move it)")
        self.why_button = tool_button("Why this genre?", "Hide one patch of the selected window at a time and "
                                                         "colour where the genre's probability drops")
        self.clear_why_button = tool_button("×", "Hide the occlusion map")
        self.file_label = QLabel("")
        self.file_label.setStyleSheet("color: #a0a8b4;")
        self.file_label.setMinimumWidth(40)
        bar = QHBoxLayout(self)
        bar.setContentsMargins(4, 2, 4, 2)
        for widget in (self.play_button, self.loop_button, self.time_label, self.fit_button, self.zoom_out_button,
                       self.zoom_in_button, self.input_button, self.why_button, self.clear_why_button):
            bar.addWidget(widget)
        bar.addSpacing(12)
        bar.addWidget(self.file_label, 1)
        self.play_button.clicked.connect(self.play)
        self.loop_button.toggled.connect(self.loop)
        self.fit_button.clicked.connect(self.fit)
        self.zoom_in_button.clicked.connect(lambda: self.zoom.emit(1 / ZOOM_STEP))
        self.zoom_out_button.clicked.connect(lambda: self.zoom.emit(ZOOM_STEP))
        self.input_button.clicked.connect(self.model_input)
        self.why_button.clicked.connect(self.why)
        self.clear_why_button.clicked.connect(self.clear_why)
        self.set_enabled(track=False, explain=False, explanation=False)

    def set_enabled(self, *, track: bool, explain: bool, explanation: bool, can_play: bool = True) -> None:
        """Which controls work: ``track`` open, ``explain`` (an analysis and a model), an ``explanation`` shown."""
        self.play_button.setEnabled(track and can_play)
        for widget in (self.loop_button, self.fit_button, self.zoom_in_button, self.zoom_out_button):
            widget.setEnabled(track)
        for widget in (self.input_button, self.why_button):
            widget.setEnabled(track and explain)
        self.clear_why_button.setVisible(explanation)

    def set_playing(self, playing: bool) -> None:
        self.play_button.setText(PAUSE_TEXT if playing else PLAY_TEXT)

    def set_time(self, t: float, duration_s: float) -> None:
        self.time_label.setText(f"{format_time(t, 1)} / {format_time(duration_s)}")

    def set_file(self, text: str, tip: str = "") -> None:
        self.file_label.setText(text)
        self.file_label.setToolTip(tip)
