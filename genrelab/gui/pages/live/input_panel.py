"""The Live page's controls: input picker, Monitor, Record/Stop, elapsed time, dropouts, recordings folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from genrelab.gui.pages.live.level_meter import LevelMeter


def clock(seconds: float) -> str:
    """m:ss.s (h:mm:ss past an hour)."""
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


class InputPanel(QWidget):
    """Signals: ``monitor_toggled(bool)``, ``record_toggled(bool)``, ``refresh()``, ``folder_changed(str)``,
    ``history_changed(float)``. The page tells it what is happening with :meth:`set_state`."""

    monitor_toggled = Signal(bool)
    record_toggled = Signal(bool)
    refresh = Signal()
    folder_changed = Signal(str)
    history_changed = Signal(float)

    def __init__(self, folder: str, fmt: str, history_s: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 4)
        outer.setSpacing(4)
        row = QHBoxLayout()
        row.addWidget(QLabel("Input"))
        self.device = QComboBox()
        self.device.setMinimumContentsLength(28)
        self.device.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.device.setToolTip("Microphones and line inputs, and the monitors of outputs: what the computer plays")
        row.addWidget(self.device, 2)
        self.refresh_button = QToolButton()
        self.refresh_button.setText("↻")
        self.refresh_button.setToolTip("List the inputs again (after plugging one in)")
        self.refresh_button.clicked.connect(self.refresh.emit)
        row.addWidget(self.refresh_button)
        self.monitor = QPushButton("Monitor")
        self.monitor.setCheckable(True)
        self.monitor.setToolTip("Show the live views and genre without recording")
        self.monitor.toggled.connect(self.monitor_toggled.emit)
        row.addWidget(self.monitor)
        self.record = QPushButton("● Record")
        self.record.setCheckable(True)
        self.record.setObjectName("recordButton")
        self.record.setToolTip("Record a take into the recordings folder; Stop opens it on the Analyse page")
        self.record.toggled.connect(self._on_record)
        row.addWidget(self.record)
        self.format = QComboBox()
        self.format.addItem("FLAC", "flac")
        self.format.addItem("WAV", "wav")
        self.format.setCurrentIndex(max(0, self.format.findData(fmt)))
        self.format.setToolTip("File format of new takes")
        row.addWidget(self.format)
        self.meter = LevelMeter()
        row.addWidget(self.meter, 1)
        outer.addLayout(row)

        info = QHBoxLayout()
        self.elapsed = QLabel("0:00.0")
        self.elapsed.setObjectName("liveElapsed")
        self.elapsed.setStyleSheet("font-size: 18px; font-weight: bold;")
        self.elapsed.setMinimumWidth(90)
        info.addWidget(self.elapsed)
        self.dropouts = QLabel("dropouts: 0")
        self.dropouts.setToolTip("Input overflows: audio the computer could not take in time (each is a gap)")
        info.addWidget(self.dropouts)
        self.skipped = QLabel("")
        self.skipped.setToolTip("Genre windows skipped because the model could not keep up")
        info.addWidget(self.skipped)
        info.addStretch(1)
        info.addWidget(QLabel("Last"))
        self.history = QDoubleSpinBox()
        self.history.setRange(2.0, 60.0)
        self.history.setSingleStep(1.0)
        self.history.setDecimals(0)
        self.history.setSuffix(" s")
        self.history.setValue(history_s)
        self.history.setToolTip("Seconds the scrolling views show")
        self.history.valueChanged.connect(self.history_changed.emit)
        info.addWidget(self.history)
        info.addSpacing(12)
        info.addWidget(QLabel("Recordings:"))
        self.folder = QLabel(folder)
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        info.addWidget(self.folder)
        self.choose = QToolButton()
        self.choose.setText("…")
        self.choose.setToolTip("Choose the recordings folder")
        self.choose.clicked.connect(self._choose_folder)
        info.addWidget(self.choose)
        outer.addLayout(info)
        self.note = QLabel("")
        self.note.setObjectName("liveNote")
        self.note.setWordWrap(True)
        self.note.hide()
        outer.addWidget(self.note)

    # ---- what the page tells it --------------------------------------------------------------------------
    def set_devices(self, devices: list, current: str) -> None:  # list[InputDevice]
        self.device.blockSignals(True)
        self.device.clear()
        for d in devices:
            self.device.addItem(d.label, d)
        names = [d.pulse_source or d.name for d in devices]
        self.device.setCurrentIndex(names.index(current) if current in names else 0)
        self.device.blockSignals(False)
        self.set_state(running=False, recording=False)

    def current_device(self):  # noqa: ANN201 - InputDevice | None
        return self.device.currentData()

    def set_state(self, running: bool, recording: bool) -> None:
        for button, on in ((self.monitor, running), (self.record, recording)):
            button.blockSignals(True)
            button.setChecked(on)
            button.blockSignals(False)
        has_device = self.device.count() > 0
        self.record.setText("■ Stop" if recording else "● Record")
        self.record.setEnabled(has_device)
        self.monitor.setEnabled(has_device and not recording)
        for widget in (self.device, self.refresh_button, self.format, self.choose):
            widget.setEnabled(not running)

    def show_note(self, text: str, error: bool = False) -> None:
        self.note.setText(text)
        self.note.setStyleSheet("color: #ff8a80;" if error else "")
        self.note.setVisible(bool(text))

    def set_counters(self, elapsed: float, dropouts: int, skipped: int) -> None:
        self.elapsed.setText(clock(elapsed))
        self.dropouts.setText(f"dropouts: {dropouts}")
        self.dropouts.setStyleSheet("color: #ff8a80;" if dropouts else "")
        self.skipped.setText(f"genre windows skipped: {skipped}" if skipped else "")

    # ---- user actions --------------------------------------------------------------------------------------
    def _on_record(self, on: bool) -> None:
        self.record_toggled.emit(on)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Recordings folder", self.folder.text())
        if folder:
            self.folder.setText(str(Path(folder)))
            self.folder_changed.emit(str(Path(folder)))
