"""The Training page's transfer-learning options, confusion-matrix header and curves legend, as a user meets them.

The musicnn options show only for the musicnn transfer architecture and reach the command the page shows and
runs (parsed back by the CLI's own parser into the pipeline's config); the student's teacher only for the other
architectures; the "Transfer (musicnn, frozen)" preset; the confusion matrix names the ten GTZAN genres in full;
the curves' legends sit outside the plots' data areas. Real Qt offscreen, real pyqtgraph, the CLI's real parser.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from PySide6.QtGui import QFontMetrics

pytest.importorskip("torch")


def _options(window):
    page = window.pages.get("train")
    assert page is not None, "the Training page is not installed"
    return page.options


def _args(options):
    """The page's command, as text, parsed by the CLI's parser (what Copy gives and Start runs)."""
    from genrelab.gui.pages.training import jobs

    argv = shlex.split(options.command_text())[2:]
    assert argv[:2] == ["--data", "DATA"] and argv == options.argv("DATA", False)
    return argv, jobs.parse_arguments(argv)


def test_musicnn_options_show_only_for_musicnn_and_reach_the_command(qtbot, window, tmp_path):
    from genrelab.gui.pages.training import jobs

    options = _options(window)
    assert "musicnn_transfer" in [options.arch.itemText(i) for i in range(options.arch.count())]
    options.arch.setCurrentText("resnet_bigru")
    assert options.musicnn.isHidden() and not options.student.isHidden() and not options.width.isHidden()
    argv, args = _args(options)
    assert "--backbone" not in argv and "--finetune" not in argv and args.arch == "resnet_bigru"

    options.input.setCurrentText("stft")
    options.arch.setCurrentText("musicnn_transfer")
    assert not options.musicnn.isHidden() and options.student.isHidden()
    assert options.width.isHidden() and options.hidden.isHidden()  # no ResNet, no GRU
    assert options.input.currentText() == "mel" and not options.input.isEnabled()  # musicnn takes the Mel window
    assert options.musicnn.head.text() == "linear head" and "logistic regression" in options.musicnn.head.toolTip()
    assert "Million Song Dataset" in options.musicnn.backbone.toolTip()
    assert "MagnaTagATune" in options.musicnn.backbone.toolTip()
    options.musicnn.backbone.setCurrentIndex(options.musicnn.backbone.findData("mtt"))
    options.musicnn.finetune.setCurrentIndex(options.musicnn.finetune.findData("midend2"))
    options.musicnn.head.setValue(128)
    assert options.preset.currentText() == "Custom"
    argv, args = _args(options)
    assert (args.arch, args.backbone, args.finetune, args.hidden) == ("musicnn_transfer", "mtt", "midend2", 128)
    assert (args.input, args.image) == ("mel", "native") and "--width" not in argv
    config = jobs.pipeline_config(options.argv(tmp_path, False))  # what Start runs: the CLI's own converter
    assert (config.train.architecture, config.train.backbone, config.train.finetune, config.train.hidden) == \
        ("musicnn_transfer", "mtt", "midend2", 128)
    options.musicnn.head.setValue(0)
    assert _args(options)[1].hidden == 0

    # locked while a run goes, and unlocked as the architecture wants (input stays mel for musicnn)
    options.set_editable(False)
    assert not options.musicnn.backbone.isEnabled()
    options.set_editable(True)
    assert options.musicnn.backbone.isEnabled() and not options.input.isEnabled()

    # a teacher to distil and a model to start from: for the student architectures only
    teacher, start = tmp_path / "teacher dir" / "model.onnx", tmp_path / "start.onnx"
    options.arch.setCurrentText("resnet_bigru")
    assert options.input.isEnabled()
    assert not options.student.oof.isEnabled()  # no teacher yet
    options.student.teacher.set_text(teacher)
    assert not options.student.views.isEnabled()  # views need out-of-fold answers
    options.student.oof.setValue(5)
    assert options.student.views.isEnabled()
    options.student.views.setValue(4)
    options.student.init_from.set_text(start)
    _, args = _args(options)
    assert (args.distill, args.distill_oof, args.distill_views, args.init_from) == (teacher, 5, 4, start)
    options.student.oof.setValue(1)  # off: no views either (the CLI would refuse them)
    assert not options.student.views.isEnabled() and "--distill-views" not in _args(options)[0]
    options.student.oof.setValue(5)
    assert args.hidden == options.hidden.value() and args.width == options.width.value()
    options.arch.setCurrentText("musicnn_transfer")
    argv, args = _args(options)
    assert args.distill is None and args.init_from is None and "--distill" not in argv


def test_transfer_preset_is_a_frozen_msd_backbone_with_a_linear_head(qtbot, window, tmp_path):
    from genrelab.gui.pages.training import jobs

    options = _options(window)
    names = [options.preset.itemText(i) for i in range(options.preset.count())]
    assert "Transfer (musicnn, frozen)" in names
    options.musicnn.head.setValue(256)
    options.apply_preset("Transfer (musicnn, frozen)")
    assert options.preset.currentText() == "Transfer (musicnn, frozen)" and not options.musicnn.isHidden()
    _, args = _args(options)
    assert (args.arch, args.backbone, args.finetune, args.hidden) == ("musicnn_transfer", "msd", "none", 0)
    assert args.eval_hop == 3.0 and args.input == "mel"
    tip = options.preset.itemData(names.index("Transfer (musicnn, frozen)"), 3)
    assert "50 clips per genre" in tip and "logistic regression" in tip
    preset = jobs.parse_arguments(jobs.preset_argv("Transfer (musicnn, frozen)", tmp_path, tmp_path / "out"))
    assert (preset.arch, preset.backbone, preset.finetune, preset.hidden, preset.eval_hop) == \
        ("musicnn_transfer", "msd", "none", 0, 3.0)
    options.apply_preset("Quick demo (minutes)")  # back to the ResNet-BiGRU: the musicnn group hides again
    assert options.musicnn.isHidden() and _args(options)[1].arch == "resnet_bigru"


def _evaluation(labels: list[str]) -> dict:
    confusion = [[5 if i == j else 1 for j in range(len(labels))] for i in range(len(labels))]
    scores = {"accuracy": 0.5, "n": 10, "confusion": confusion, "per_genre_recall": {g: 0.5 for g in labels}}
    return {"valid": {"labels": labels, "window": scores, "track": scores}}


def test_the_confusion_matrix_names_every_genre_in_full(qtbot):
    from PySide6.QtCore import Qt

    from genrelab.gui.pages.training.results_view import ConfusionView
    from genrelab.model.card import GTZAN_GENRES

    labels = list(GTZAN_GENRES)
    view = ConfusionView()
    qtbot.addWidget(view)
    view.resize(460, 420)  # as narrow as on the page: ten columns of ~40 px
    view.show_evaluations(_evaluation(labels), labels)
    view.show()
    qtbot.waitExposed(view)
    header = view.matrix.horizontalHeader()
    metrics = QFontMetrics(header.font())
    shown = [view.matrix.model().headerData(j, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
             for j in range(len(labels))]
    assert shown == labels  # not cut ("class", "count")
    for j, genre in enumerate(labels):
        assert genre in view.matrix.horizontalHeaderItem(j).toolTip()
        # the name is drawn turned: it needs the header's height along it and a line's height across
        assert header.height() >= metrics.horizontalAdvance(genre), genre
        assert header.sectionSize(j) >= metrics.height(), genre
    assert header.sectionSize(0) * len(labels) <= view.matrix.viewport().width() + len(labels)
    image = view.grab().toImage()  # it paints (a failure in paintSection would fail the test)
    assert not image.isNull()


def test_the_curves_legends_sit_outside_the_plots_data(qtbot):
    import pyqtgraph as pg

    from genrelab.gui.pages.training.curves_view import SERIES, CurvesView

    view = CurvesView()
    qtbot.addWidget(view)
    view.resize(1000, 380)
    # curves all over the plots: accuracy from 0 to 1, loss from high to low, both corners used
    history = [{"epoch": e, "train_loss": 3.0 - e / 10, "valid_loss": 0.2 + e / 10, "train_acc": e / 30,
                "valid_acc": 1 - e / 30, "valid_track_acc": 0.5} for e in range(1, 31)]
    view.set_history(history, best_epoch=20)
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(50)
    legends = [item for item in view.graphics.scene().items() if isinstance(item, pg.LegendItem)]
    assert len(legends) == 2
    names = sorted(label.text for legend in legends for _sample, label in legend.items)
    assert names == sorted(name for _plot, name, _c, _d in SERIES.values())
    for legend in legends:
        rect = legend.sceneBoundingRect()
        assert rect.width() > 0 and rect.height() > 0
        for plot in view.plots.values():
            assert not rect.intersects(plot.vb.sceneBoundingRect()), (rect, plot.vb.sceneBoundingRect())
            for curve in plot.listDataItems():
                assert not rect.intersects(curve.mapRectToScene(curve.boundingRect()))


@pytest.fixture
def _own_data_dirs(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs and user models go under the test's folder (platformdirs reads XDG_*)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("GENRELAB_MUSICNN_CACHE", raising=False)


@pytest.mark.usefixtures("_own_data_dirs")
def test_the_transfer_preset_trains_a_musicnn_model_from_the_page(qtbot, window, tmp_path):
    """Start with the preset on a tiny generated set (~15 s): the run is the musicnn transfer the command says."""
    from PySide6.QtCore import Qt

    from genrelab.model.card import read_card
    from training.synth import write_dataset

    data = tmp_path / "sounds"
    write_dataset(data, classes=3, clips_per_class=6, seconds=6.0, seed=3)
    page = window.pages["train"]
    page.dataset.set_folder(data)
    qtbot.waitUntil(lambda: page.dataset.summary is not None or bool(page.dataset.error), timeout=30000)
    assert page.dataset.summary is not None, page.dataset.error
    page.options.apply_preset("Transfer (musicnn, frozen)")
    page.options.threads.setValue(1)
    out = Path(page.options.out.text())
    assert "musicnn_transfer" in out.name
    finished = []
    page.run_finished.connect(finished.append)
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    assert page.state == "running" and not page.options.musicnn.isHidden()
    assert not page.options.musicnn.head.isEnabled()  # locked while it runs
    qtbot.waitUntil(lambda: bool(finished) or bool(page.failure), timeout=240000)
    assert finished == [out], page.failure
    qtbot.waitUntil(lambda: page.finished_run is not None, timeout=30000)
    card = read_card(out / "model.onnx")
    assert card.arch_params["architecture"] == "musicnn_transfer" and card.arch_params["hidden"] == 0
    assert "--backbone msd --finetune none --hidden 0" in card.provenance["command"]
    assert "Million Song Dataset" in card.notes
    assert "linear head" in page.log.toPlainText()
    assert page.curves.points("valid_acc") == len(page.finished_run.history) > 0
    assert page.options.musicnn.head.isEnabled() and not page.options.input.isEnabled()
