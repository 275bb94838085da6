"""The options of ``genrelab train`` for transfer learning: the musicnn network's (backbone, fine-tuned layers,
head) and a student's (a musicnn teacher to distil, a model to start from). Each group owns its widgets and
gives its part of the command line; the options panel shows the one that applies to the chosen architecture."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

#: the architecture these options belong to (``genrelab train --arch``)
MUSICNN_ARCH = "musicnn_transfer"

BACKBONES = (  # --backbone value, shown name, what it learnt from
    ("msd", "MSD (Million Song Dataset)",
     "musicnn pretrained on the Million Song Dataset: ~200,000 tracks of pop, rock, electronic, jazz... tagged by "
     "listeners (last.fm). Broad popular music: the usual choice for genres."),
    ("mtt", "MTT (MagnaTagATune)",
     "musicnn pretrained on MagnaTagATune: ~26,000 short clips of mostly classical, ambient, rock and electronic "
     "music from the Magnatune label, tagged by players of an online game. Less pop and hip-hop."),
)
FINETUNE = (  # --finetune value, shown name, tooltip
    ("none", "none (frozen backbone)",
     "the pretrained network stays as it is; its features of every window are computed once, then only the head "
     "is trained: by far the fastest, and best with little data"),
    ("backend", "backend",
     "also train musicnn's last (back-end) layers: slower, every epoch runs the network; needs more data"),
    ("midend3", "mid-end 3 and above", "also train from musicnn's third mid-end layer up"),
    ("midend2", "mid-end 2 and above", "also train from musicnn's second mid-end layer up"),
    ("midend1", "mid-end 1 and above", "also train from musicnn's first mid-end layer up"),
    ("frontend", "all (front end up)", "train the whole network: slowest, and with little data it forgets what "
     "it learnt before"),
)


class MusicnnOptions(QGroupBox):
    """``--backbone``, ``--finetune`` and the head's width (``--hidden``; 0 = a linear head) of a musicnn
    transfer run. ``changed`` fires on any edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("musicnn transfer", parent)
        self.setToolTip("a small head trained on the features of musicnn, a network already trained to tag music")
        self.backbone = QComboBox(self)
        for value, name, tip in BACKBONES:
            self.backbone.addItem(name, value)
            self.backbone.setItemData(self.backbone.count() - 1, tip, 3)  # Qt.ToolTipRole
        self.backbone.setToolTip("which pretrained musicnn to stand on. MSD: the Million Song Dataset (~200,000 "
                                 "popular tracks); MTT: MagnaTagATune (~26,000 clips, much classical and ambient)")
        self.finetune = QComboBox(self)
        for value, name, tip in FINETUNE:
            self.finetune.addItem(name, value)
            self.finetune.setItemData(self.finetune.count() - 1, tip, 3)
        self.finetune.setToolTip("which of musicnn's layers are trained too. none: the network stays frozen, its "
                                 "features are computed once and only the head learns (minutes on a CPU)")
        self.head = QSpinBox(self)
        self.head.setRange(0, 4096)
        self.head.setSingleStep(64)
        self.head.setSpecialValueText("linear head")
        self.head.setValue(0)
        self.head.setToolTip("the head on musicnn's features: 0 = a linear head, i.e. a logistic regression on the "
                             "frozen features (fastest, and best with ~50 clips per genre); N = a hidden layer of N "
                             "units trained with AdamW")
        form = QFormLayout(self)
        form.addRow("Backbone", self.backbone)
        form.addRow("Fine-tune", self.finetune)
        form.addRow("Head", self.head)
        self.backbone.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.finetune.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.head.valueChanged.connect(lambda _v: self.changed.emit())

    def values(self) -> dict[str, object]:
        """``backbone``, ``finetune`` and ``head`` (the ``--hidden`` value)."""
        return {"backbone": self.backbone.currentData(), "finetune": self.finetune.currentData(),
                "head": self.head.value()}

    def set_values(self, values: dict) -> None:
        """Set those of ``backbone``, ``finetune`` and ``head`` that ``values`` holds (unknown values are ignored)."""
        for key, box in (("backbone", self.backbone), ("finetune", self.finetune)):
            if key in values and box.findData(values[key]) >= 0:
                box.setCurrentIndex(box.findData(values[key]))
        if "head" in values:
            self.head.setValue(int(values["head"]))

    def argv(self) -> list[str]:
        """This group's ``genrelab train`` arguments."""
        v = self.values()
        return ["--backbone", str(v["backbone"]), "--finetune", str(v["finetune"]), "--hidden", str(v["head"])]


class ModelField(QWidget):
    """A model file (``.onnx``) typed or chosen; empty = none."""

    changed = Signal()

    def __init__(self, placeholder: str, dialog_title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dialog_title = dialog_title
        self.path = QLineEdit(self)
        self.path.setPlaceholderText(placeholder)
        self.path.setClearButtonEnabled(True)
        self.browse = QPushButton("…", self)
        self.browse.setToolTip("choose a model file (model.onnx of a finished run)")
        self.browse.clicked.connect(self._choose)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        self.path.textChanged.connect(lambda _t: self.changed.emit())

    def text(self) -> str:
        return self.path.text().strip()

    def set_text(self, text: str | Path) -> None:
        self.path.setText(str(text))

    def _choose(self) -> None:
        start = self.text() or str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, self.dialog_title, start, "ONNX models (*.onnx);;All files (*)")
        if name:
            self.set_text(name)


class StudentOptions(QGroupBox):
    """A student's extras: a musicnn transfer model to distil (``--distill``, ``--distill-oof``) and a model to
    start from (``--init-from``). Empty fields add nothing to the command. ``changed`` fires on any edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Distillation and start (optional)", parent)
        self.teacher = ModelField("no teacher", "Teacher: a musicnn transfer model", self)
        self.teacher.setToolTip("a musicnn transfer model (model.onnx of such a run): this model learns from its "
                                "softened answers on the train windows as well as from the labels (weight 0.7, "
                                "temperature 2; --distill-alpha and --distill-temperature change them in a shell). "
                                "It must use the same features (input, stride) as this run")
        self.oof = QSpinBox(self)
        self.oof.setRange(1, 20)
        self.oof.setSpecialValueText("off")
        self.oof.setValue(1)
        self.oof.setToolTip("out-of-fold teacher answers: K > 1 fits the teacher's head K times, each on the other "
                            "clips, so the answer on a window comes from a head that never saw it (off: the "
                            "teacher's own head answers windows it was trained on, over-confidently)")
        self.views = QSpinBox(self)
        self.views.setRange(0, 16)
        self.views.setSpecialValueText("none")
        self.views.setToolTip("teacher views: the teacher also answers this many altered copies of every train "
                              "clip (another clip of its fold mixed in, tempo, pitch, tilt), and this model learns "
                              "those answers too; needs out-of-fold K > 1. Each view costs the teacher one pass "
                              "over the clip (cached for the next run)")
        self.init_from = ModelField("from scratch", "Start from a model", self)
        self.init_from.setToolTip("start from this model's weights instead of from scratch (a run of the same "
                                  "architecture, width, hidden size and input)")
        form = QFormLayout(self)
        form.addRow("Teacher", self.teacher)
        form.addRow("Out-of-fold K", self.oof)
        form.addRow("Views per clip", self.views)
        form.addRow("Start from", self.init_from)
        self.teacher.changed.connect(self._teacher_changed)
        self.oof.valueChanged.connect(lambda _v: self._teacher_changed())
        self.views.valueChanged.connect(lambda _v: self.changed.emit())
        self.init_from.changed.connect(self.changed.emit)
        self._teacher_changed()

    def _teacher_changed(self) -> None:
        self._enable(self.teacher.isEnabled())
        self.changed.emit()

    def _enable(self, on: bool) -> None:
        has_teacher = bool(self.teacher.text())
        self.oof.setEnabled(on and has_teacher)
        self.views.setEnabled(on and has_teacher and self.oof.value() > 1)

    def set_editable(self, on: bool) -> None:
        """Enable the fields (the K box only with a teacher, the views box only with K > 1)."""
        for w in (self.teacher, self.init_from):
            w.setEnabled(on)
        self._enable(on)

    def values(self) -> dict[str, object]:
        """``distill`` (path or ""), ``distill_oof`` (0 = off), ``distill_views`` (0 = none; only with K > 1)
        and ``init_from`` (path or "")."""
        k = self.oof.value()
        return {"distill": self.teacher.text(), "distill_oof": k if k > 1 else 0,
                "distill_views": self.views.value() if k > 1 else 0, "init_from": self.init_from.text()}

    def set_values(self, values: dict) -> None:
        """Set those of ``distill``, ``distill_oof``, ``distill_views`` and ``init_from`` that ``values`` holds."""
        if "distill" in values:
            self.teacher.set_text(values["distill"] or "")
        if "distill_oof" in values:
            self.oof.setValue(max(1, int(values["distill_oof"] or 0)))
        if "distill_views" in values:
            self.views.setValue(int(values["distill_views"] or 0))
        if "init_from" in values:
            self.init_from.set_text(values["init_from"] or "")

    def argv(self) -> list[str]:
        """This group's ``genrelab train`` arguments (none for empty fields)."""
        v = self.values()
        args: list[str] = []
        if v["distill"]:
            args += ["--distill", str(v["distill"])]
            if v["distill_oof"]:
                args += ["--distill-oof", str(v["distill_oof"])]
                if v["distill_views"]:
                    args += ["--distill-views", str(v["distill_views"])]
        if v["init_from"]:
            args += ["--init-from", str(v["init_from"])]
        return args
