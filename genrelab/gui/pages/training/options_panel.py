"""The run's options, as the arguments of ``genrelab train``; presets; the equivalent command, copyable."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from genrelab.gui.pages.training.jobs import AUGMENTATIONS, GTZAN_STRIDE, PRESETS
from genrelab.gui.pages.training.transfer_options import MUSICNN_ARCH, MusicnnOptions, StudentOptions

CUSTOM = "Custom"


class OptionsPanel(QGroupBox):
    """Owns the option widgets; ``changed`` fires on any edit. ``argv(data, images)`` is the run's arguments.

    The musicnn group (:attr:`musicnn`) shows only for the musicnn transfer architecture, which takes the Mel
    window as it is (input mel, image native) and has no ResNet width or GRU; the student group
    (:attr:`student`: a teacher to distil, a model to start from) shows for the other architectures.
    """

    changed = Signal()

    def __init__(self, architectures: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__("Options", parent)
        self._applying = False
        self.preset = QComboBox(self)
        for p in PRESETS:
            self.preset.addItem(p.name)
            self.preset.setItemData(self.preset.count() - 1, p.tip, 3)  # Qt.ToolTipRole
        self.preset.addItem(CUSTOM)
        self.preset.currentTextChanged.connect(self._preset_chosen)
        self.split = QComboBox(self)
        self.split.setEditable(True)
        self.split.addItems(["paper", "kfold:5"])
        self.split.setToolTip("paper (GroupShuffleSplit by song, 80/20), filtered (artist-filtered lists), "
                              "lists:DIR (your own lists), kfold:K or kfold:K:I")
        self.arch = QComboBox(self)
        self.arch.addItems(list(architectures))
        self.input = QComboBox(self)
        self.input.addItems(["mel", "stft"])
        self.image = QComboBox(self)
        self.image.addItems(["native", "paper"])
        self.image.setToolTip("native: bands x columns; paper: the paper's 224x224 RGB image")
        self.epochs = self._spin(1, 10000, 15)
        self.patience = self._spin(1, 10000, 5)
        self.batch_size = self._spin(2, 4096, 16)
        self.lr = QDoubleSpinBox(self)
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1.0)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(2e-3)
        self.width = self._spin(4, 256, 16)
        self.width.setToolTip("ResNet base width (64 = ResNet18; the CNN uses half)")
        self.hidden = self._spin(4, 2048, 64)
        self.hidden.setToolTip("GRU hidden size")
        self.musicnn = MusicnnOptions(self)
        self.student = StudentOptions(self)
        self.frame_stride = QDoubleSpinBox(self)
        self.frame_stride.setDecimals(4)
        self.frame_stride.setRange(0.0, 64.0)
        self.frame_stride.setSpecialValueText("default")
        self.frame_stride.setToolTip("STFT frames per feature column (default 1; the images' own with images)")
        self.fixed_windows = QCheckBox("draw each clip's windows once (the paper's way)", self)
        self.eval_hop = QDoubleSpinBox(self)
        self.eval_hop.setDecimals(2)
        self.eval_hop.setRange(0.25, 30.0)
        self.eval_hop.setSingleStep(0.5)
        self.eval_hop.setValue(1.0)
        self.eval_hop.setSuffix(" s")
        self.eval_hop.setToolTip("seconds between the validation windows of a clip (1: overlapping; 3: "
                                 "non-overlapping, 3x fewer windows to compute, e.g. for musicnn's features)")
        self.augment = {name: QCheckBox(name, self) for name in AUGMENTATIONS}
        self.threads = self._spin(0, 256, 0)
        self.threads.setSpecialValueText("all cores")
        self.out = QLineEdit(self)
        self.out.textEdited.connect(self._out_edited)
        self.out_browse = QPushButton("…", self)
        self.out_browse.setToolTip("choose the output folder")
        self.out_browse.clicked.connect(self._choose_out)
        self.out_auto = True
        self.command = QPlainTextEdit(self)
        self.command.setReadOnly(True)
        self.command.setMaximumHeight(4 * self.fontMetrics().lineSpacing() + 12)
        self.command.setToolTip("the equivalent command: what Start runs")
        self.copy_button = QPushButton("Copy command", self)
        self.copy_button.setToolTip("copy the equivalent `genrelab train` command, to rerun this from a shell")
        self.copy_button.clicked.connect(self.copy_command)

        form = QFormLayout()
        form.addRow("Preset", self.preset)
        form.addRow("Split", self.split)
        form.addRow("Architecture", self.arch)
        form.addRow(self.musicnn)
        pair = QHBoxLayout()
        pair.addWidget(self.input)
        pair.addWidget(self.image)
        form.addRow("Input / image", pair)
        form.addRow("Epochs / patience", self._row(self.epochs, self.patience))
        form.addRow("Batch size / lr", self._row(self.batch_size, self.lr))
        self._width_row = self._row(self.width, self.hidden)
        form.addRow("Width / GRU hidden", self._width_row)
        form.addRow("Frame stride", self.frame_stride)
        form.addRow("Windows", self.fixed_windows)
        form.addRow("Valid hop", self.eval_hop)
        form.addRow("Augmentation", self._row(*self.augment.values()))
        form.addRow(self.student)
        form.addRow("Threads", self.threads)
        form.addRow("Output folder", self._row(self.out, self.out_browse))
        copy_row = QHBoxLayout()
        copy_row.addStretch(1)
        copy_row.addWidget(self.copy_button)
        self._form = form
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.command)
        layout.addLayout(copy_row)
        self.arch.currentTextChanged.connect(self._arch_changed)
        for w in (self.split, self.arch, self.input, self.image):
            w.currentTextChanged.connect(self._edited)
        for w in (self.epochs, self.patience, self.batch_size, self.lr, self.width, self.hidden, self.frame_stride,
                  self.eval_hop, self.threads):
            w.valueChanged.connect(self._edited)
        for w in (self.fixed_windows, *self.augment.values()):
            w.toggled.connect(self._edited)
        for group in (self.musicnn, self.student):
            group.changed.connect(self._edited)
        self.out.textChanged.connect(lambda _t: self.changed.emit())
        self._editable = True
        self.apply_preset(PRESETS[0].name)
        self._arch_changed()

    def _spin(self, lo: int, hi: int, value: int) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setRange(lo, hi)
        spin.setValue(value)
        return spin

    @staticmethod
    def _row(*widgets: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        for w in widgets:
            row.addWidget(w)
        return row

    # ---- presets ---------------------------------------------------------------------------------------
    def apply_preset(self, name: str) -> None:
        """Set the options of preset ``name`` (the preset box shows it)."""
        preset = next((p for p in PRESETS if p.name == name), None)
        self._applying = True
        try:
            self.preset.setCurrentText(name)
            if preset is not None:
                v = preset.values
                for key in ("split", "arch", "input", "image"):
                    box = getattr(self, key)
                    if key in v and (box.isEditable() or box.findText(v[key]) >= 0):
                        box.setCurrentText(v[key])
                for key in ("epochs", "patience", "batch_size", "lr", "width", "hidden", "frame_stride", "eval_hop"):
                    if key in v:
                        getattr(self, key).setValue(v[key])
                if "fixed_windows" in v:
                    self.fixed_windows.setChecked(v["fixed_windows"])
                if "augment" in v:
                    for aug, box in self.augment.items():
                        box.setChecked(aug in v["augment"])
                self.musicnn.set_values(v)
                self.student.set_values(v)
        finally:
            self._applying = False
        self.changed.emit()

    def _preset_chosen(self, name: str) -> None:
        if not self._applying and name != CUSTOM:
            self.apply_preset(name)

    def is_musicnn(self) -> bool:
        """The musicnn transfer architecture is chosen."""
        return self.arch.currentText() == MUSICNN_ARCH

    def _arch_changed(self, *_args) -> None:  # noqa: ANN002
        """Show the groups that apply to the architecture; musicnn takes the native Mel window."""
        musicnn = self.is_musicnn()
        self._form.setRowVisible(self.musicnn, musicnn)
        self._form.setRowVisible(self._width_row, not musicnn)
        self._form.setRowVisible(self.student, not musicnn)
        if musicnn:
            self.input.setCurrentText("mel")
            self.image.setCurrentText("native")
        why = "musicnn transfer takes the Mel window as it is (mel, native)" if musicnn else ""
        for box in (self.input, self.image):
            box.setEnabled(self._editable and not musicnn)
        self.input.setToolTip(why or "spectrogram kind")
        self.image.setToolTip(why or "native: bands x columns; paper: the paper's 224x224 RGB image")

    def _edited(self, *_args) -> None:  # noqa: ANN002
        if not self._applying and self.preset.currentText() != CUSTOM:
            self.preset.blockSignals(True)
            self.preset.setCurrentText(CUSTOM)
            self.preset.blockSignals(False)
        self.changed.emit()

    # ---- split choices and output folder ---------------------------------------------------------------
    def set_split_choices(self, found: list[str]) -> None:
        """Offer the splits a dataset folder provides (``filtered``, ``lists:DIR``) beside paper and k-fold."""
        current = self.split.currentText()
        self.split.blockSignals(True)
        self.split.clear()
        self.split.addItems(["paper", *found, "kfold:5"])
        self.split.setCurrentText(current)
        self.split.blockSignals(False)

    def set_default_out(self, folder: Path) -> None:
        """The suggested output folder (kept until the user types or picks one)."""
        if self.out_auto:
            self.out.setText(str(folder))

    def set_out(self, folder: str | Path) -> None:
        """Use ``folder`` as the output folder (no longer following the suggestion)."""
        self.out_auto = False
        self.out.setText(str(folder))

    def _out_edited(self, _text: str) -> None:
        self.out_auto = False

    def _choose_out(self) -> None:
        start = self.out.text() or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Output folder (a new or empty folder)", str(Path(start).parent))
        if folder:
            self.set_out(folder)

    # ---- the arguments ----------------------------------------------------------------------------------
    def argv(self, data: Path | str, images: bool) -> list[str]:
        """The ``genrelab train`` arguments for these options on ``data``."""
        args = ["--data", str(data)]
        if images:
            args.append("--images")
        args += ["--split", self.split.currentText().strip() or "paper", "--arch", self.arch.currentText(),
                 "--input", self.input.currentText(), "--image", self.image.currentText(),
                 "--epochs", str(self.epochs.value()), "--patience", str(self.patience.value()),
                 "--batch-size", str(self.batch_size.value()), "--lr", f"{self.lr.value():g}"]
        if self.is_musicnn():
            args += self.musicnn.argv()  # its --hidden is the head's width; no ResNet
        else:
            args += ["--width", str(self.width.value()), "--hidden", str(self.hidden.value())]
        stride = self.frame_stride.value()
        if stride > 0 and not (images and abs(stride - GTZAN_STRIDE) < 1e-3):  # images: their own stride
            args += ["--frame-stride", f"{stride:g}"]
        if self.fixed_windows.isChecked():
            args.append("--fixed-windows")
        if abs(self.eval_hop.value() - 1.0) > 1e-9:
            args += ["--eval-hop", f"{self.eval_hop.value():g}"]
        augment = [name for name, box in self.augment.items() if box.isChecked()]
        if augment:
            args += ["--augment", ",".join(augment)]
        if self.threads.value() > 0:
            args += ["--threads", str(self.threads.value())]
        if not self.is_musicnn():
            args += self.student.argv()
        args += ["--out", self.out.text().strip()]
        return args

    def set_command(self, text: str) -> None:
        self.command.setPlainText(text)

    def command_text(self) -> str:
        """The equivalent ``genrelab train`` command."""
        return self.command.toPlainText()

    def copy_command(self) -> None:
        QGuiApplication.clipboard().setText(self.command_text())

    def set_editable(self, on: bool) -> None:
        """Options are locked while a run goes."""
        self._editable = on
        for w in self.findChildren(QWidget):
            if w not in (self.command, self.copy_button):
                w.setEnabled(on)
        self.student.set_editable(on)
        self._arch_changed()
