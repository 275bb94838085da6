"""The Training page as a user drives it: pick a generated dataset, start a tiny run, watch the curves, cancel,
resume, finish, use the model, analyse a file with it on the Analyse page; reopen a run; the command it shows.

Real audio (training.synth), real torch through training.pipeline.run, real ONNX Runtime, real Qt offscreen.
"""

from __future__ import annotations

import json
import shlex
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

pytest.importorskip("torch")

from gui_helpers import open_and_wait  # noqa: E402

from training.synth import write_dataset  # noqa: E402

TINY = {"epochs": 4, "patience": 4, "batch_size": 8, "width": 8, "hidden": 16, "threads": 1}


@pytest.fixture(autouse=True)
def _own_data_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs, user models and the feature cache go under the test's folder (platformdirs reads XDG_*)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trainpage") / "sounds"
    write_dataset(root, classes=3, clips_per_class=6, seconds=6.0, seed=3)
    (root / "drone" / "drone.00099.wav").write_bytes(b"RIFF....WAVEfmt garbage")  # unreadable: listed
    return root


def _page(window):
    page = window.pages.get("train")
    assert page is not None, "the Training page is not installed"
    return page


def _pick(qtbot, page, folder: Path) -> None:
    page.dataset.set_folder(folder)
    qtbot.waitUntil(lambda: page.dataset.summary is not None or bool(page.dataset.error), timeout=30000)
    assert page.dataset.summary is not None, page.dataset.error


def _tiny(page, **over) -> None:
    values = TINY | over
    for key, value in values.items():
        getattr(page.options, key).setValue(value)


def test_dataset_summary_and_command(qtbot, window, dataset, tmp_path):
    page = _page(window)
    _pick(qtbot, page, dataset)
    text = page.dataset.summary_text.toPlainText()
    assert "19 audio files in 3 classes" in text
    assert "drone 7, static 6, techno 6" in text
    assert "drone.00099.wav" in text and "unreadable" in text
    assert "min" in text  # total duration
    # the command is the one the page runs: the CLI's parser turns it into the same PipelineConfig
    from genrelab.gui.pages.training import jobs

    _tiny(page)
    command = page.options.command_text()
    argv = shlex.split(command)[2:]
    assert argv == page.options.argv(dataset, False)
    config = jobs.pipeline_config(argv)
    assert config.train.epochs == 4 and config.train.base_width == 8 and config.train.threads == 1
    assert Path(config.data) == dataset and config.split == "paper"
    # every architecture the CLI accepts is offered
    archs = [page.options.arch.itemText(i) for i in range(page.options.arch.count())]
    assert tuple(archs) == jobs.architectures() and "resnet_bigru" in archs
    page.options.apply_preset("Paper reproduction")
    assert "--image paper" in page.options.command_text() and "--fixed-windows" in page.options.command_text()
    page.options.epochs.setValue(7)
    assert page.options.preset.currentText() == "Custom"
    page.options.copy_command()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == page.options.command_text()


def test_a_bad_folder_says_why_in_one_line(qtbot, window, tmp_path):
    page = _page(window)
    (tmp_path / "onlyone" / "rock").mkdir(parents=True)
    (tmp_path / "onlyone" / "rock" / "a.wav").write_bytes(b"x")
    page.dataset.set_folder(tmp_path / "onlyone")
    qtbot.waitUntil(lambda: bool(page.dataset.error), timeout=15000)
    assert "only one genre" in page.dataset.error
    assert not page.start_button.isEnabled()


def test_train_cancel_resume_use_and_analyse(qtbot, window, dataset, settings, song):
    page = _page(window)
    _pick(qtbot, page, dataset)
    _tiny(page)
    out = Path(page.options.out.text())
    # hold the worker after epoch 1 until the test has pressed Cancel (so the cancel lands mid-run)
    gate = threading.Event()
    hooks = page.bridge.hooks

    def gated_hooks():
        h = hooks()

        def on_epoch(stats):
            h["on_epoch"](stats)
            if stats.epoch == 1:
                gate.wait(20)

        return h | {"on_epoch": on_epoch}

    page.bridge.hooks = gated_hooks
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    assert page.state == "running" and page.busy_reason()
    assert window.busy_reasons()  # closing the window would ask first
    qtbot.waitUntil(lambda: page.curves.points("valid_loss") >= 1, timeout=90000)
    assert page.curves.points("train_acc") == 1
    page.cancel()
    gate.set()
    qtbot.waitUntil(lambda: page.state == "idle", timeout=60000)
    assert page.resume_button.isEnabled() and not out.exists()
    assert (page.resumable is not None) and (page.resumable.parent / f".{out.name}.partial" / "checkpoint.pt").exists()
    assert "Cancelled after 1 epoch" in page.progress.label.text()

    page.bridge.hooks = hooks
    finished = []
    page.run_finished.connect(finished.append)
    page.resume()
    assert page.state == "running"
    open_and_wait(qtbot, window, song, timeout=60000)  # the Analyse page keeps working during the run
    window.show_page("train")
    qtbot.waitUntil(lambda: bool(finished) or bool(page.failure), timeout=180000)
    assert finished == [out], page.failure
    qtbot.waitUntil(lambda: page.finished_run is not None, timeout=30000)
    run = page.finished_run
    assert run.folder == out and (out / "model.onnx").exists()
    assert len(run.history) == 4 and page.curves.points("valid_acc") == 4
    assert "resuming after epoch 1" in page.log.toPlainText()
    metrics = page.results.metrics.rows()
    assert [r[:2] for r in metrics] == [["valid", "window"], ["valid", "track"]]
    assert any(page.results.confusion.cell(i, i) for i in range(3))
    assert settings.training_last_run == str(out)

    installed = page.use_model()
    assert installed is not None and installed.parent.parent.parent == Path(
        __import__("os").environ["XDG_DATA_HOME"])
    assert installed.read_bytes() == (out / "model.onnx").read_bytes()
    qtbot.waitUntil(lambda: window.engine_state.engine is not None, timeout=30000)
    assert window.engine_state.model == installed and settings.model == str(installed.resolve())
    assert window.engine_state.engine.card.labels == ["drone", "static", "techno"]
    # using it again never overwrites without asking: "keep both" makes a second file
    again = page.use_model(replace=False)
    assert again != installed and again.exists() and installed.exists()
    qtbot.waitUntil(lambda: window.engine_state.engine is not None, timeout=30000)

    analysis = open_and_wait(qtbot, window, dataset / "techno" / "techno.00002.wav")
    assert analysis.timeline.labels == ["drone", "static", "techno"]
    assert len(analysis.timeline.times) > 0


def _fake_run(run: Path) -> Path:
    """A run folder as the pipeline writes it (metrics.json, report.md, log.txt; no model), on GTZAN's genres."""
    from genrelab.model.card import GTZAN_GENRES

    run.mkdir(parents=True)
    labels = list(GTZAN_GENRES)
    confusion = [[4 if i == j else 0 for j in range(10)] for i in range(10)]
    confusion[1][0], confusion[1][1] = 2, 2
    scores = {"accuracy": 0.75, "precision": 0.8, "recall": 0.75, "f1": 0.74, "n": 40,
              "per_genre_recall": {g: 1.0 for g in labels} | {"classical": 0.5}, "confusion": confusion}
    metrics = {"title": "an old run", "history": [
        {"epoch": e, "train_loss": 1 / e, "train_acc": 0.5 + e / 10, "valid_loss": 1.2 / e, "valid_acc": 0.5,
         "valid_track_acc": 0.5, "seconds": 1.0, "windows_per_s": 10.0} for e in (1, 2, 3)],
        "best_epoch": 2, "evaluations": {"valid": {"labels": labels, "window": scores, "track": scores}},
        "train": {"architecture": "resnet_bigru"}, "spec": {"kind": "mel"}, "split": {"name": "paper"}}
    (run / "metrics.json").write_text(json.dumps(metrics))
    (run / "report.md").write_text("# an old run\n\nSome text.\n")
    (run / "log.txt").write_text("epoch 1 ...\n")
    return run


def test_reopening_a_finished_run(qtbot, window, tmp_path):
    """A run folder (as the pipeline writes it) shows its curves, confusion matrix, metrics and report."""
    page = _page(window)
    run = _fake_run(tmp_path / "old-run")
    page.open_run(run)
    qtbot.waitUntil(lambda: page.finished_run is not None and page.finished_run.folder == run, timeout=10000)
    assert page.curves.points("train_loss") == 3
    assert page.curves.best_lines["acc"].value() == 2
    rows = page.results.metrics.rows()
    assert rows[0][3] == "0.750" and rows[-1][0] == "paper (ResNet-BiGRU, MEL)" and rows[-1][3] == "0.810"  # the paper's 0.81
    assert page.results.confusion.cell(1, 0) == "2"
    assert "Some text." in page.report.toPlainText()
    assert "epoch 1" in page.log.toPlainText()
    assert not page.use_button.isEnabled()  # no model.onnx in this folder
    page.open_run(tmp_path)  # not a run: one line, nothing else changes
    qtbot.waitUntil(lambda: "Cannot open the run" in page.notice.text(), timeout=10000)
    assert page.finished_run.folder == run



def test_model_picker_lists_shipped_and_user_models_and_switches(qtbot, window, tiny_model, tmp_path, monkeypatch):
    import os
    import shutil

    from genrelab.model.catalogue import list_models
    from genrelab.model.registry import user_models_dir

    mine = user_models_dir() / "my-model.onnx"
    assert str(mine).startswith(os.environ["XDG_DATA_HOME"])
    mine.parent.mkdir(parents=True)
    shutil.copyfile(tiny_model, mine)
    (mine.parent / "broken.onnx").write_bytes(b"not onnx")
    entries = list_models()
    sources = {e.path.name: e.source for e in entries}
    assert sources["my-model.onnx"] == "yours" and sources["broken.onnx"] == "yours"
    assert "shipped" in sources.values()
    broken = next(e for e in entries if e.path.name == "broken.onnx")
    assert broken.error and not broken.name

    window.show_model_picker()
    picker = window.model_picker
    qtbot.waitUntil(lambda: not picker.loading, timeout=30000)
    row = picker.row_of(mine)
    assert row >= 0 and picker.table.item(row, 1).text() == "yours"
    picker.table.selectRow(picker.row_of(mine.parent / "broken.onnx"))
    assert not picker.use_button.isEnabled()  # an unreadable model cannot be chosen
    picker.table.selectRow(row)
    assert picker.use_button.isEnabled()
    picker.use_selected()
    qtbot.waitUntil(lambda: window.engine_state.engine is not None, timeout=30000)
    assert window.engine_state.model == mine
    # the choice is remembered: a new window (no --model) starts on it, unless $GENRELAB_MODEL names another
    from genrelab.gui.main_window import MainWindow

    monkeypatch.delenv("GENRELAB_MODEL", raising=False)
    again = MainWindow(settings=window.settings)
    qtbot.addWidget(again)
    assert again.engine_state.model == mine.resolve()
    monkeypatch.setenv("GENRELAB_MODEL", str(tiny_model))
    third = MainWindow(settings=window.settings)
    qtbot.addWidget(third)
    assert third.engine_state.model is None  # the default path, which reads $GENRELAB_MODEL
    for w in (again, third):
        qtbot.waitUntil(lambda w=w: not w.engine_state.loading, timeout=30000)
        w.close()


def test_a_failed_run_says_why_in_one_line_and_keeps_its_log(qtbot, window, dataset, tmp_path):
    page = _page(window)
    _pick(qtbot, page, dataset)
    _tiny(page)
    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder")
    page.options.set_out(taken)
    page.start()
    qtbot.waitUntil(lambda: page.state == "idle" and bool(page.failure), timeout=60000)
    assert "is a file" in page.failure and "\n" not in page.failure
    assert page.notice.text().startswith("Training failed:")
    assert "genrelab train" in page.log.toPlainText() and "error:" in page.log.toPlainText()
    assert taken.read_text() == "a file, not a folder" and page.start_button.isEnabled()


def test_the_frozen_app_says_how_to_train(qtbot, window, monkeypatch):
    import sys

    from genrelab.gui.pages.training import create_page

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    page = create_page(window)
    qtbot.addWidget(page)
    assert "`train` extra" in page.notice.text() and "no torch" in page.notice.text()
    assert not page.start_button.isEnabled() and not page.options.isEnabled()


def test_a_folder_of_mel_images_is_recognised(qtbot, window, tmp_path):
    page = _page(window)
    for genre in ("blues", "rock"):
        (tmp_path / "imgs" / genre).mkdir(parents=True)
        (tmp_path / "imgs" / genre / f"{genre}.00000.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    (tmp_path / "imgs" / "rock" / "rock.00001.png").write_bytes(b"JFIF not a png")
    _pick(qtbot, page, tmp_path / "imgs")
    assert page.dataset.images.isChecked() and page.dataset.summary.images
    text = page.dataset.summary_text.toPlainText()
    assert "3 spectrogram images in 2 classes" in text and "rock.00001.png: not a PNG image" in text
    assert "--images" in page.options.command_text()


def test_screenshot_of_the_training_page_reopens_the_last_run(tmp_path, tiny_model, qapp):
    """`genrelab --screenshot OUT.png --page train` in a fresh process: the page shows the last run it showed."""
    import os
    import subprocess
    import sys

    from PySide6.QtGui import QImage

    run = _fake_run(tmp_path / "old-run")
    conf = tmp_path / "config" / "GenreLab" / "GenreLab.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(f"[training]\nlast_run={run}\n")
    out = tmp_path / "train.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               GENRELAB_NO_AUDIO="1")
    result = subprocess.run([sys.executable, "-m", "genrelab", "--model", str(tiny_model), "--screenshot", str(out),
                             "--page", "train"], capture_output=True, text=True, env=env, timeout=240)
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1600, 1000)


def test_start_asks_before_replacing_an_unfinished_run(qtbot, window, dataset, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    page = _page(window)
    _pick(qtbot, page, dataset)
    _tiny(page)
    out = tmp_path / "again"
    page.options.set_out(out)
    partial = tmp_path / ".again.partial"
    partial.mkdir()
    (partial / "checkpoint.pt").write_bytes(b"someone's unfinished run")
    answers = [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    page.start()
    assert page.state == "idle" and (partial / "checkpoint.pt").exists()  # Cancel: nothing touched
    answers.append(QMessageBox.StandardButton.No)
    page.start()  # No: the unfinished run is deleted and a new one starts
    assert page.state == "running" and not (partial / "checkpoint.pt").exists()
    page.cancel()
    qtbot.waitUntil(lambda: page.state == "idle", timeout=60000)


def test_a_kfold_run_opens_on_its_first_fold(tmp_path):
    from genrelab.gui.pages.training import jobs

    top = tmp_path / "kf"
    for k in (2, 1):
        _fake_run(top / f"fold{k}")
    (top / "metrics.json").write_text(json.dumps({"folds": [], "mean": {}, "std": {}}))
    (top / "report.md").write_text("# 2-fold cross-validation by song\n")
    (top / "log.txt").write_text("the whole log\n")
    run = jobs.read_run(top)
    assert run.folder == top / "fold1" and len(run.history) == 3 and run.title.endswith("(fold1 of 2)")
    assert run.report_md.startswith("# 2-fold") and "Some text." in run.report_md and run.log == "the whole log\n"
    assert jobs.model_target(run.folder, tmp_path / "models") == tmp_path / "models" / "kf-fold1.onnx"
