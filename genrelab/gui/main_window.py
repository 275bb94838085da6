"""The main window: the page switcher, menus, shortcuts, drag and drop, recent files, the status bar with progress
and Cancel. Pages are listed in :mod:`genrelab.gui.pages`; they talk to each other only through this window."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QWidget,
)

from genrelab.audio import SUPPORTED_EXTENSIONS
from genrelab.errors import GenreLabError
from genrelab.gui import exporting
from genrelab.gui.analyse_page import AnalysePage
from genrelab.gui.engine_state import EngineState
from genrelab.gui.pages import PAGES
from genrelab.gui.settings import BACKENDS, DEVICES, Settings
from genrelab.gui.workers import JobRunner
from genrelab.progress import ProgressFn

AUDIO_FILTER = "Audio files ({});;All files (*)".format(" ".join(f"*{e}" for e in sorted(SUPPORTED_EXTENSIONS)))


def _warm_up(progress: ProgressFn, cancel: threading.Event) -> None:
    """Nothing but the core imports every job starts with: done at start-up, not when the first track opens."""


class MainWindow(QMainWindow):
    """GenreLab's window: the Analyse page (``self.page``) and the other pages as tabs (``self.pages``)."""

    def __init__(self, settings: Settings | None = None, model: Path | None = None, backend: str | None = None,
                 device: str | None = None, threads: int | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.setWindowTitle("GenreLab")
        self.resize(1500, 950)
        self.setAcceptDrops(True)
        self.runner = JobRunner(self)
        model = model or self._remembered_model()
        self.engine_state = EngineState(self.runner, model, backend or self.settings.backend,
                                        device or self.settings.device, threads, parent=self)
        self.page = AnalysePage(self.runner, self.engine_state, self.settings, self)
        self.pages: dict[str, QWidget] = {"analyse": self.page}
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.page, "Analyse")
        self._add_pages()
        self.tabs.currentChanged.connect(self._on_page_changed)
        self.setCentralWidget(self.tabs)
        self._analyse_actions: list[QAction] = []
        self._build_status_bar()
        self._build_menus()
        self.page.status.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.page.error.connect(self._on_error)
        self.page.opened.connect(self._on_opened)
        self.runner.changed.connect(self._update_job_bar)
        self.last_error = ""
        self.runner.submit("warm-up", _warm_up, group="warmup", visible=False, priority=-1)
        self.engine_state.load()

    # ---- pages -------------------------------------------------------------------------------------------
    def _add_pages(self) -> None:
        """Add every installed page after Analyse (a page whose module is missing is left out)."""
        import importlib

        for info in PAGES[1:]:
            try:
                module = importlib.import_module(info.module)
            except ModuleNotFoundError as exc:
                if exc.name and info.module.startswith(exc.name):
                    continue
                raise
            if not callable(getattr(module, "create_page", None)):  # a page folder not written yet
                continue
            page = module.create_page(self)
            self.pages[info.key] = page
            index = self.tabs.addTab(page, info.title)
            self.tabs.setTabToolTip(index, info.tip)

    def show_page(self, key: str) -> QWidget | None:
        """Make page ``key`` the visible one; None if this install has no such page."""
        page = self.pages.get(key)
        if page is not None:
            self.tabs.setCurrentWidget(page)
        return page

    def current_page_key(self) -> str:
        current = self.tabs.currentWidget()
        return next((k for k, p in self.pages.items() if p is current), "analyse")

    def _on_page_changed(self, _index: int) -> None:
        on_analyse = self.tabs.currentWidget() is self.page
        for action in self._analyse_actions:
            action.setEnabled(on_analyse)
        shown = getattr(self.tabs.currentWidget(), "page_shown", None)
        if callable(shown):
            shown()

    # ---- status bar --------------------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.job_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(220)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel_button.setToolTip("Stop decoding / analysis (Esc)")
        self.cancel_button.clicked.connect(self.page.cancel_jobs)
        for widget in (self.job_label, self.progress, self.cancel_button):
            bar.addPermanentWidget(widget)
            widget.hide()

    def _update_job_bar(self) -> None:
        jobs = self.runner.active(visible_only=True)
        for widget in (self.job_label, self.progress, self.cancel_button):
            widget.setVisible(bool(jobs))
        if not jobs:
            return
        job = jobs[0]
        more = f" (+{len(jobs) - 1} more)" if len(jobs) > 1 else ""
        self.job_label.setText(f"{job.name}{more}")
        self.progress.setValue(int(job.fraction * 1000))
        self.progress.setFormat(f"{job.fraction:.0%}")

    def _on_error(self, message: str) -> None:
        self.last_error = message

    # ---- menus -------------------------------------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut: str | QKeySequence | None = None,  # noqa: ANN001
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.addAction(action)  # shortcuts work while the menu bar is hidden too
        return action

    def _build_menus(self) -> None:
        page = self.page
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._fill_recent()
        self._action(file_menu, "Open &demo track", self.open_demo, "Ctrl+D",
                     "a generated 40-s track in three contrasting sections")
        file_menu.addSeparator()
        export = file_menu.addMenu("&Export")
        self._action(export, "Timeline as &CSV…", lambda: self._export_timeline("csv"))
        self._action(export, "Timeline as &JSON…", lambda: self._export_timeline("json"))
        export.addSeparator()
        for view in page.views:
            self._action(export, f"{view.name.upper() if view.name == 'stft' else view.name.capitalize()} view "
                                 "as PNG/SVG…", lambda v=view: self._export_view(v))
        self._action(export, "Whole &page as PNG…", self._export_page, "Ctrl+Shift+S")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        view_menu = self.menuBar().addMenu("&View")
        for number, info in enumerate(PAGES, start=1):
            if info.key in self.pages:
                self._action(view_menu, f"{info.title} page", lambda k=info.key: self.show_page(k),
                             f"Ctrl+{number}", info.tip)
        view_menu.addSeparator()
        first_analyse_action = len(self.actions())
        self._action(view_menu, "&Fit whole track", page.fit, "F")
        self._action(view_menu, "Zoom &in", lambda: page.zoom(1 / 1.5), "+")
        self._action(view_menu, "Zoom in", lambda: page.zoom(1 / 1.5), "=").setVisible(False)
        self._action(view_menu, "Zoom &out", lambda: page.zoom(1.5), "-")
        self._action(view_menu, "Pan &left", lambda: page.pan(-0.2), "Left")
        self._action(view_menu, "Pan &right", lambda: page.pan(0.2), "Right")

        play_menu = self.menuBar().addMenu("&Playback")
        self._action(play_menu, "&Play / pause", page.toggle_play, "Space")
        self._action(play_menu, "&Back to start", lambda: page.seek(0.0), "Home")
        loop = self._action(play_menu, "&Loop selection", lambda: None, "L")
        loop.setCheckable(True)
        loop.toggled.connect(page.loop_button.setChecked)
        page.loop_button.toggled.connect(loop.setChecked)

        analysis = self.menuBar().addMenu("&Analysis")
        self._action(analysis, "&Re-analyse", page.reanalyse, "Ctrl+R")
        self._action(analysis, "&Model input…", page.show_model_input, "M")
        self._action(analysis, "&Why this genre?", page.explain, "W")
        self._action(analysis, "&Cancel running jobs", page.cancel_jobs, "Esc")
        analysis.addSeparator()
        self._action(analysis, "Choose &model…", self.show_model_picker, tip="the shipped and your own models, "
                     "with their cards (data, split, accuracy, date)")
        self._action(analysis, "Use model &file…", self._choose_model)
        backend_menu = analysis.addMenu("&Backend")
        group = QActionGroup(self)
        for key, text in BACKENDS.items():
            action = backend_menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(key == self.engine_state.backend)
            action.triggered.connect(lambda _c=False, k=key: self._set_engine(backend=k))
            group.addAction(action)
        device_menu = analysis.addMenu("&Device")
        group = QActionGroup(self)
        for key in DEVICES:
            action = device_menu.addAction(key)
            action.setCheckable(True)
            action.setChecked(key == self.engine_state.device)
            action.triggered.connect(lambda _c=False, k=key: self._set_engine(device=k))
            group.addAction(action)

        # Single-key shortcuts (Space, F, arrows...) belong to the Analyse page: off while another page shows.
        self._analyse_actions = [a for a in self.actions()[first_analyse_action:]
                                 if a.text() not in ("Use model &file…", "Choose &model…")]

        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "About &model…", self.about_model)
        self._action(help_menu, "&Keyboard shortcuts", self._show_shortcuts, "F1")

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files
        for path in recent:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_file(p))
        if recent:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list").triggered.connect(self._clear_recent)
        self.recent_menu.setEnabled(bool(recent))

    def _clear_recent(self) -> None:
        self.settings.clear_recent()
        self._fill_recent()

    # ---- opening -----------------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open audio file", self.settings.last_folder, AUDIO_FILTER)
        if path:
            self.open_file(path)

    def open_demo(self) -> None:
        """Open the shipped demo track (a one-line message if this install lacks it)."""
        from genrelab.model.registry import demo_track_path

        path = demo_track_path()
        if not path.exists():
            self.page.show_error(f"The demo track is not installed ({path})")
            return
        self.open_file(path)

    def open_file(self, path: Path | str) -> None:
        """Open ``path`` on the Analyse page; once it is open (see `_on_opened`) it joins the recent files."""
        self.show_page("analyse")
        self.page.open_file(Path(path))

    def _on_opened(self, path: Path) -> None:
        """A track opened: the title names it and it joins Open Recent (a failed open does neither)."""
        self.settings.add_recent(path)
        self._fill_recent()
        self.setWindowTitle(f"{path.name} — GenreLab")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_file(files[0])

    # ---- engine ------------------------------------------------------------------------------------------
    def _set_engine(self, backend: str | None = None, device: str | None = None) -> None:
        if backend:
            self.settings.backend = backend
        if device:
            self.settings.device = device
        self.engine_state.load(backend=backend, device=device)

    def _choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Genre model", self.settings.last_folder,
                                              "ONNX models (*.onnx);;All files (*)")
        if path:
            self.use_model(Path(path))

    def use_model(self, path: Path) -> None:
        """Analyse with model file ``path`` from now on (remembered for the next start)."""
        self.settings.model = str(Path(path).resolve())
        self.engine_state.load(model=Path(path))

    def _remembered_model(self) -> Path | None:
        """The model chosen in an earlier session, unless $GENRELAB_MODEL names one or the file is gone."""
        import os

        from genrelab.model.registry import ENV_MODEL

        saved = self.settings.model
        if saved and not os.environ.get(ENV_MODEL) and Path(saved).is_file():
            return Path(saved)
        return None

    def show_model_picker(self) -> None:
        """Analysis > Choose model: the shipped and user models with their cards; the chosen one is used."""
        from genrelab.gui.model_picker import show_model_picker

        self.model_picker = show_model_picker(self, self.runner, self.engine_state, self.use_model)

    def about_model(self) -> None:
        """Help > About model: the model card (or why there is no model), non-modal."""
        from genrelab.gui.about_model import AboutModelDialog

        box = AboutModelDialog(self.engine_state.engine, self.engine_state.status, self)
        box.show()
        self.about_box = box

    def _show_shortcuts(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        from genrelab.gui.shortcuts import shortcuts_html

        box.setText(shortcuts_html())
        box.setModal(False)
        box.show()

    # ---- exports -----------------------------------------------------------------------------------------
    def _save_name(self, title: str, suggested: str, filters: str) -> Path | None:
        folder = Path(self.settings.export_folder)  # the last export's folder, else Documents
        path, _ = QFileDialog.getSaveFileName(self, title, str(folder / suggested), filters)
        if not path:
            return None
        self.settings.export_folder = str(Path(path).parent)
        return Path(path)

    def _stem(self) -> str:
        return self.page.path.stem if self.page.path else "genrelab"

    def _export_timeline(self, fmt: str) -> None:
        if self.page.analysis is None:
            self.page.show_error("Nothing to export yet: no genre analysis for this track")
            return
        path = self._save_name(f"Export timeline as {fmt.upper()}", f"{self._stem()}-timeline.{fmt}",
                               f"{fmt.upper()} files (*.{fmt})")
        if path:
            self._run_export(lambda: (exporting.timeline_csv if fmt == "csv" else exporting.timeline_json)(
                self.page.analysis, path))

    def _export_view(self, view: QWidget) -> None:
        path = self._save_name("Export view", f"{self._stem()}-{view.name}.png", "PNG image (*.png);;SVG (*.svg)")
        if path:
            self._run_export(lambda: exporting.view_image(view, path))

    def _export_page(self) -> None:
        path = self._save_name("Export page", f"{self._stem()}-page.png", "PNG image (*.png)")
        if path:
            self._run_export(lambda: exporting.widget_png(self, path))

    def _run_export(self, export) -> None:  # noqa: ANN001
        try:
            path = export()
        except GenreLabError as exc:
            self.page.show_error(str(exc))
            return
        self.statusBar().showMessage(f"Saved {path}", 10000)

    # ---- closing -----------------------------------------------------------------------------------------
    def busy_reasons(self) -> list[str]:
        """What closing now would interrupt (a recording, a training run...), one line per page."""
        reasons = []
        for page in self.pages.values():
            reason = getattr(page, "busy_reason", None)
            text = reason() if callable(reason) else ""
            if text:
                reasons.append(text)
        return reasons

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        reasons = self.busy_reasons()
        if reasons:
            answer = QMessageBox.question(
                self, "Quit GenreLab?", "\n".join(reasons) + "\n\nQuit anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        for key, page in self.pages.items():
            stop = getattr(page, "shutdown", None)
            if key != "analyse" and callable(stop):
                stop()
        self.page.shutdown()
        self.settings.sync()
        self.runner.wait(3000)
        super().closeEvent(event)
