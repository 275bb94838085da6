"""The Training page: pick a dataset, set options (or a preset), start the pipeline in a worker thread, watch
it learn, look at the results, put the model to use. It runs :func:`training.pipeline.run` through the same
options as ``genrelab train`` (the command is shown), so what was clicked can be rerun from a shell."""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from genrelab.errors import GenreLabError
from genrelab.gui.pages.training import jobs
from genrelab.gui.pages.training.curves_view import CurvesView
from genrelab.gui.pages.training.dataset_panel import DatasetPanel
from genrelab.gui.pages.training.log_pane import LogPane
from genrelab.gui.pages.training.options_panel import OptionsPanel
from genrelab.gui.pages.training.progress_panel import ProgressPanel
from genrelab.gui.pages.training.results_view import ReportView, ResultsView
from genrelab.gui.workers import JobRunner

if TYPE_CHECKING:
    from genrelab.gui.main_window import MainWindow

BATCH_SIGNAL_INTERVAL_S = 0.1


class _Bridge(QObject):
    """Carries the pipeline's callbacks from the training thread to the GUI thread (queued signals)."""

    batch = Signal(object)
    epoch = Signal(object)
    line = Signal(str)

    def hooks(self) -> dict[str, Any]:
        last = [0.0]

        def on_batch(info: Any) -> None:  # at most ~10 a second reach the GUI
            now = time.monotonic()
            if now - last[0] >= BATCH_SIGNAL_INTERVAL_S or info.batch == info.n_batches:
                last[0] = now
                self.batch.emit(info)

        return {"on_batch": on_batch, "on_epoch": self.epoch.emit, "log": self.line.emit}


def runs_dir() -> Path:
    """Where the page puts runs unless told otherwise: ``<user data>/GenreLab/runs``."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("GenreLab", appauthor=False)) / "runs"


def unique_run_folder(base: Path) -> Path:
    """``base``, or ``base-2``, ``base-3``... the first with neither a folder nor an unfinished run."""
    n, candidate = 2, base
    while candidate.exists() or jobs.partial_folder(candidate).exists():
        candidate = base.with_name(f"{base.name}-{n}")
        n += 1
    return candidate


class TrainingPage(QWidget):
    """Dataset + options on the left; progress, curves, results and log on the right; the run buttons on top.

    States: ``idle`` (nothing running), ``running``, ``cancelling``; ``finished_run`` is the run shown (a
    :class:`~genrelab.gui.pages.training.jobs.RunFiles`), ``resumable`` the output folder of a cancelled or
    failed run whose checkpoint can be continued.
    """

    run_finished = Signal(object)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.settings = window.settings
        self.runner = JobRunner(self, max_threads=1)  # its own thread: the window's pool stays free for Analyse
        self.bridge = _Bridge(self)
        self.state = "idle"
        self.job = None
        self.argv: list[str] = []
        self.resumable: Path | None = None
        self.finished_run: jobs.RunFiles | None = None
        self.failure = ""
        self.unavailable = jobs.training_unavailable()
        self._loading_run = False

        archs = jobs.architectures() if not self.unavailable else ("resnet_bigru",)
        self.dataset = DatasetPanel(window.runner, self)
        self.options = OptionsPanel(archs, self)
        self.progress = ProgressPanel(self)
        self.curves = CurvesView(self)
        self.results = ResultsView(self)
        self.report = ReportView(self)
        self.log = LogPane(self)
        self.notice = QLabel("", self)
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)

        self.start_button = QPushButton("Start", self)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("stop after the current batch; the checkpoint is kept and Resume continues")
        self.resume_button = QPushButton("Resume", self)
        self.use_button = QPushButton("Use this model", self)
        self.use_button.setToolTip("copy the run's model.onnx into your models folder and analyse with it")
        self.open_button = QPushButton("Open run…", self)
        self.open_button.setToolTip("reopen a finished run folder: curves, confusion matrix, report")
        self.models_button = QPushButton("Models…", self)
        self.models_button.setToolTip("the shipped and your own models, with their cards; pick the app's model")
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.resume_button.clicked.connect(self.resume)
        self.use_button.clicked.connect(self.use_model)
        self.open_button.clicked.connect(self.choose_run)
        self.models_button.clicked.connect(self._show_models)

        buttons = QHBoxLayout()
        for b in (self.start_button, self.cancel_button, self.resume_button, self.use_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.models_button)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.dataset)
        left_layout.addWidget(self.options)
        left_layout.addStretch(1)
        self.lower_tabs = QTabWidget(self)
        self.lower_tabs.addTab(self.results, "Results")
        self.lower_tabs.addTab(self.report, "Report")
        self.lower_tabs.addTab(self.log, "Log")
        right_split = QSplitter(Qt.Orientation.Vertical, self)
        right_split.addWidget(self.curves)
        right_split.addWidget(self.lower_tabs)
        right_split.setSizes([400, 420])
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.progress)
        right_layout.addWidget(self.notice)
        right_layout.addWidget(right_split, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([560, 1000])
        layout = QVBoxLayout(self)
        layout.addWidget(split)

        self.dataset.summary_changed.connect(self._on_summary)
        self.options.changed.connect(self._update_command)
        self.bridge.batch.connect(self._on_batch)
        self.bridge.epoch.connect(self._on_epoch)
        self.bridge.line.connect(self.log.add_line)
        window.engine_state.changed.connect(self._update_buttons)

        if self.unavailable:
            self.notice.setText(self.unavailable)
            self.dataset.setEnabled(False)
            self.options.setEnabled(False)
        self._update_command()
        self._update_buttons()
        last_data = self.settings.training_last_data
        if last_data and Path(last_data).is_dir() and not self.unavailable:
            self.dataset.set_folder(last_data)
        last_run = self.settings.training_last_run
        if last_run and Path(last_run).is_dir():
            self.open_run(Path(last_run))

    # ---- the page protocol ---------------------------------------------------------------------------------
    def busy_reason(self) -> str:
        if self.state in ("running", "cancelling"):
            return ("A training run is going: quitting stops it (its last checkpoint is kept, and Resume or the "
                    "same `genrelab train` command continues it).")
        return ""

    def shutdown(self) -> None:
        """The window is closing: stop the run between batches and wait a little for it."""
        self.runner.cancel_all()
        self.runner.wait(5000)

    def screenshot_ready(self) -> bool:
        return not self._loading_run and not self.dataset.scanning

    # ---- options -> command ---------------------------------------------------------------------------------
    def _data(self) -> tuple[Path | None, bool]:
        return self.dataset.folder, self.dataset.images.isChecked()

    def _on_summary(self, summary: Any) -> None:
        if summary is not None:
            self.options.set_split_choices(summary.splits)
            self.settings.training_last_data = str(summary.folder)
        self._update_command()
        self._update_buttons()

    def _default_out(self) -> Path:
        data, _ = self._data()
        name = f"{data.name if data else 'data'}-{self.options.arch.currentText()}-" \
               f"{self.options.input.currentText()}-{self.options.image.currentText()}"
        return unique_run_folder(runs_dir() / name)

    def _update_command(self) -> None:
        if self.state == "idle":
            self.options.set_default_out(self._default_out())
        data, images = self._data()
        self.options.set_command(jobs.command_line(self.options.argv(data or "DATA", images)))

    # ---- running ------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start a new run with the current options (asks before discarding an unfinished run there)."""
        data, images = self._data()
        if self.state != "idle" or self.unavailable:
            return
        if data is None or self.dataset.summary is None:
            self._say_failure("choose a dataset folder that scans without errors first")
            return
        argv = self.options.argv(data, images)
        out = Path(self.options.out.text().strip() or self._default_out())
        partial = jobs.partial_folder(out)
        if partial.exists():
            answer = QMessageBox.question(
                self, "Unfinished run", f"An unfinished run is kept in {partial}.\n\nResume it? It resumes only "
                "if it was started with these same options; otherwise it is replaced.\nNo: delete it and start "
                "afresh.", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
                | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
            if answer == QMessageBox.StandardButton.Cancel:
                return
            if answer == QMessageBox.StandardButton.No:
                shutil.rmtree(partial, ignore_errors=True)
        self.curves.clear()
        self.results.clear()
        self.report.clear_report()
        self.log.set_log("")
        self._launch(argv)

    def resume(self) -> None:
        """Continue the cancelled (or failed) run from its checkpoint, with the same options."""
        if self.state == "idle" and self.resumable is not None and self.argv:
            self.log.add_line("— resuming —")
            self._launch(self.argv)

    def _launch(self, argv: list[str]) -> None:
        try:  # the command line only: the config (and torch) are made in the worker, not on the GUI thread
            args = jobs.parse_arguments(argv)
        except GenreLabError as exc:
            self._say_failure(str(exc))
            return
        self.argv = argv
        self.failure = ""
        self.notice.setText("")
        self.finished_run = None
        self.resumable = Path(args.out).expanduser().resolve()
        self.state = "running"
        self.options.set_editable(False)
        self.dataset.setEnabled(False)
        self.progress.start(args.epochs, args.batch_size)
        self.log.add_line(f"$ {jobs.command_line(argv)}")
        hooks = self.bridge.hooks()

        def work(progress, cancel):  # noqa: ANN001, ANN202 - the runner's job signature
            return jobs.run_training(argv, hooks, progress, cancel)

        self.job = self.runner.submit("Training", work, group="training", on_done=self._done,
                                      on_failed=self._failed, on_cancelled=self._cancelled,
                                      on_progress=self.progress.on_progress)
        self._update_buttons()

    def cancel(self) -> None:
        """Stop between batches; the checkpoint stays and Resume continues."""
        if self.state == "running":
            self.state = "cancelling"
            self.runner.cancel_group("training")
            self.progress.finish("Stopping after this batch…")
            self._update_buttons()

    def _on_batch(self, info: Any) -> None:
        if self.state == "running":
            self.progress.on_batch(info)

    def _on_epoch(self, stats: Any) -> None:
        self.progress.on_epoch(stats)
        if stats.epoch == 1 and self.curves.epochs:  # k-fold: the next fold starts
            self.curves.clear()
        self.curves.add_epoch(asdict(stats))

    def _ended(self) -> None:
        self.state = "idle"
        self.job = None
        self.options.set_editable(True)
        self.dataset.setEnabled(True)
        self._update_buttons()

    def _done(self, result: Any) -> None:
        self.resumable = None
        self._ended()
        first = result.folds[0]
        valid = first.evaluations.get("test") or first.evaluations.get("valid")
        score = f"; track accuracy {valid.track.accuracy:.3f}" if valid is not None else ""
        self.progress.finish(f"Finished: {result.out}{score}", 1.0)
        self.options.out_auto = True
        self._update_command()
        self.open_run(result.out)
        self.run_finished.emit(result.out)

    def _cancelled(self) -> None:
        self._ended()
        done = len(self.curves.epochs)
        self.progress.finish(f"Cancelled after {done} epoch(s): the checkpoint is kept in "
                             f"{jobs.partial_folder(self.resumable)}; Resume continues it")
        self._update_buttons()

    def _failed(self, message: str) -> None:
        self._ended()
        self._say_failure(message)
        self.log.add_line(f"error: {message}")
        if self.resumable is not None and not jobs.partial_folder(self.resumable).exists():
            self.resumable = None
        self._update_buttons()

    def _say_failure(self, message: str) -> None:
        self.failure = message
        self.notice.setText(f"Training failed: {message}")
        self.progress.finish("Failed (the log is kept)")

    def _update_buttons(self) -> None:
        idle = self.state == "idle" and not self.unavailable
        ready = self.dataset.summary is not None
        self.start_button.setEnabled(idle and ready)
        self.cancel_button.setEnabled(self.state == "running")
        self.resume_button.setEnabled(idle and self.resumable is not None and bool(self.argv)
                                      and jobs.partial_folder(self.resumable).exists())
        self.use_button.setEnabled(self.state == "idle" and self.finished_run is not None
                                   and self.finished_run.model is not None)

    # ---- finished runs ------------------------------------------------------------------------------------
    def choose_run(self) -> None:
        start = self.settings.training_last_run or str(runs_dir())
        folder = QFileDialog.getExistingDirectory(self, "Open a finished training run", start)
        if folder:
            self.open_run(Path(folder))

    def open_run(self, folder: Path) -> None:
        """Show a finished run's curves, confusion matrix, metrics and report (read in a worker)."""
        self._loading_run = True

        def work(progress, cancel):  # noqa: ANN001, ANN202 - the runner's job signature
            run = jobs.read_run(folder)
            try:
                paper = jobs.paper_numbers(run.architecture, run.kind, run.split, run.labels)
                from training.report import ARCH_NAMES

                name = f"paper ({ARCH_NAMES.get(run.architecture, run.architecture)}, {run.kind.upper()})"
            except ImportError:  # an install without the training package
                paper, name = None, ""
            return run, paper, name

        self.window_.runner.submit("Opening a training run", work, group="training-open", visible=False,
                                   on_done=self._run_opened, on_failed=self._open_failed,
                                   on_cancelled=self._open_cancelled)

    def _run_opened(self, loaded: tuple[Any, Any, str]) -> None:
        run, paper, name = loaded
        self._loading_run = False
        self.finished_run = run
        self.curves.set_history(run.history, run.best_epoch)
        self.results.show_run(run, paper, name)
        self.report.show_run(run)
        if run.log:
            self.log.set_log(run.log)
        self.settings.training_last_run = str(run.folder)
        if self.state == "idle" and not self.failure:
            self.progress.finish(f"Showing {run.folder} (best epoch {run.best_epoch} of {len(run.history)})",
                                 1.0)
        self._update_buttons()

    def _open_failed(self, message: str) -> None:
        self._loading_run = False
        self.notice.setText(f"Cannot open the run: {message}")

    def _open_cancelled(self) -> None:
        self._loading_run = False

    # ---- using the model ----------------------------------------------------------------------------------
    def use_model(self, replace: bool | None = None) -> Path | None:
        """Copy the shown run's model into the user's models folder (asking before replacing a file there)
        and make it the app's model. ``replace`` answers the question in advance (tests, scripts)."""
        from genrelab.model.registry import user_models_dir

        run = self.finished_run
        if run is None or run.model is None:
            return None
        target = jobs.model_target(run.folder, user_models_dir())
        if target.exists():
            if replace is None:
                box = QMessageBox(QMessageBox.Icon.Question, "Model file exists",
                                  f"{target} already exists.", parent=self)
                replace_b = box.addButton("Replace it", QMessageBox.ButtonRole.DestructiveRole)
                keep_b = box.addButton("Keep both", QMessageBox.ButtonRole.AcceptRole)
                box.addButton(QMessageBox.StandardButton.Cancel)
                box.exec()
                clicked = box.clickedButton()
                if clicked not in (replace_b, keep_b):
                    return None
                replace = clicked is replace_b
            if not replace:
                target = jobs.free_name(target)
        try:
            installed = jobs.install_model(run.model, target, replace=bool(replace))
        except GenreLabError as exc:
            self.notice.setText(f"Cannot use this model: {exc}")
            return None
        use = getattr(self.window_, "use_model", None)  # the window remembers it for the next start
        if callable(use):
            use(installed)
        else:
            self.window_.engine_state.load(model=installed)
        self.notice.setText(f"The app now analyses with {installed}")
        self.window_.statusBar().showMessage(f"Model: {installed.name}", 15000)
        return installed

    def _show_models(self) -> None:
        show = getattr(self.window_, "show_model_picker", None)
        if callable(show):
            show()
