"""The Library page: folders, scan with progress / cancel / resume, the track table with genre counts, failures,
similar tracks, exports, and genre tags written after a confirmation (and undone).

The page wires small widgets together and runs every core call (:mod:`.library_access`) through the window's
JobRunner; it draws what comes back and never touches the database on the GUI thread.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from genrelab.gui.pages.library import library_access as access
from genrelab.gui.pages.library.export_bar import ExportBar
from genrelab.gui.pages.library.failures import FailuresTab
from genrelab.gui.pages.library.folder_list import FolderList
from genrelab.gui.pages.library.genre_counts import GenreCounts
from genrelab.gui.pages.library.records import TagChange
from genrelab.gui.pages.library.scan_controls import ScanControls
from genrelab.gui.pages.library.similar_panel import SimilarPanel
from genrelab.gui.pages.library.tag_controls import TagControls
from genrelab.gui.pages.library.tag_dialog import WriteTagsDialog
from genrelab.gui.pages.library.track_table import TrackTable
from genrelab.progress import ProgressFn

if TYPE_CHECKING:
    from genrelab.gui.main_window import MainWindow

SCAN, LOAD, SIMILAR, TAGS, EXPORT = "library-scan", "library-load", "library-similar", "library-tags", "library-export"
FOLDERS = "library-folders"
LIVE_REFRESH_MS = 2000  # while a scan runs, the table is re-read this often (or less, for big libraries)


def _group(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(8, 6, 8, 6)
    layout.addWidget(widget)
    return box


class LibraryPage(QWidget):
    """Tag a music folder and browse it.

    Signals:
        loaded(): the table, counts and failures were (re)read from the database.
        scan_finished(str): a scan ended: "done", "cancelled" or "failed".
        message(str): a one-line outcome (also shown in the status bar).
    """

    loaded = Signal()
    scan_finished = Signal(str)
    message = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.runner = window.runner
        self.settings = window.settings
        self.view: access.LibraryView | None = None
        self.tag_dialog: WriteTagsDialog | None = None
        self.remove_dialog: QMessageBox | None = None
        self._last_load_s = 0.0
        self._loading = False
        self._reload_again = False
        self._tag_job = ""
        self.scan_jobs: int | None = None  # decoding processes (None: one per core; 0: decode in the worker)

        self.folders = FolderList(self.settings)
        self.scan_controls = ScanControls()
        self.counts = GenreCounts()
        self.table = TrackTable()
        self.failures = FailuresTab()
        self.similar = SimilarPanel()
        self.exports = ExportBar()
        self.tags = TagControls()
        self.db_label = QLabel("")
        self.db_label.setStyleSheet("color: #8a93a0;")
        self.db_label.setWordWrap(True)
        self.db_button = QPushButton("Change…")
        self.db_button.setToolTip("Use another library database file (a new file starts an empty library)")
        self._build_layout()

        self.folders.folders_changed.connect(lambda _f: self._update_enabled())
        self.folders.remove_requested.connect(self.ask_remove_folders)
        self.scan_controls.scan_requested.connect(self.start_scan)
        self.scan_controls.cancel_requested.connect(self.cancel_scan)
        self.counts.genre_clicked.connect(self.table.set_genre)
        self.table.filter_changed.connect(lambda: self.counts.set_selected(self.table.genre()))
        self.table.open_requested.connect(self.open_track)
        self.table.selection_changed.connect(lambda _ids: self.request_similar())
        self.similar.query_changed.connect(self.request_similar)
        self.similar.open_requested.connect(self.open_track)
        self.failures.count_changed.connect(self._on_failure_count)
        self.failures.open_requested.connect(self.open_track)
        self.exports.export_requested.connect(self.export)
        self.tags.write_requested.connect(self.plan_tags)
        self.tags.undo_requested.connect(self.ask_undo)
        self.db_button.clicked.connect(self.choose_database)
        window.engine_state.changed.connect(self._update_enabled)
        # Window context: Qt fires it only while this page is visible, wherever the focus is (after Ctrl+4 it
        # is often on the tab bar, outside the page, where a WidgetWithChildren shortcut never fired).
        find = QShortcut(QKeySequence.StandardKey.Find, self, context=Qt.ShortcutContext.WindowShortcut)
        find.activated.connect(lambda: (self.table.filter_box.setFocus(), self.table.filter_box.selectAll()))

        self._live = QTimer(self)
        self._live.setSingleShot(True)
        self._live.timeout.connect(self._live_refresh)
        self.db_path = Path(self.settings.library_database) if self.settings.library_database else None
        self._similar_key: tuple | None = None
        self._db_before: tuple[Path | None] | None = None  # the database before set_database, until it reads
        self._show_db()
        self._update_enabled()  # the library is read when the page is first shown (not at every start-up)

    # ---- layout ------------------------------------------------------------------------------------------
    def _build_layout(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(_group("Folders", self.folders), 2)
        left_layout.addWidget(_group("Scan", self.scan_controls))
        left_layout.addWidget(_group("Genres", self.counts))
        db_row = QHBoxLayout()
        db_row.addWidget(self.db_label, 1)
        db_row.addWidget(self.db_button)
        db_box = QWidget()
        db_box.setLayout(db_row)
        left_layout.addWidget(_group("Database", db_box))
        left_layout.addStretch(1)
        left.setMinimumWidth(300)
        left.setMaximumWidth(420)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.table, "Tracks")
        self.tabs.addTab(self.failures, "Failures")
        right_split = QSplitter(Qt.Orientation.Vertical)
        right_split.addWidget(self.tabs)
        right_split.addWidget(_group("Similar tracks", self.similar))
        right_split.setStretchFactor(0, 3)
        right_split.setStretchFactor(1, 1)
        right_split.setSizes([600, 240])
        actions = QHBoxLayout()
        actions.addWidget(self.exports)
        actions.addStretch(1)
        actions.addWidget(self.tags)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(actions)
        right_layout.addWidget(right_split, 1)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(left)
        layout.addWidget(right, 1)

    # ---- database ----------------------------------------------------------------------------------------
    def database(self) -> Path:
        """The library database file: the one in the settings, else the core's default."""
        return self.db_path or access.default_database()

    def set_database(self, path: Path | str) -> None:
        """Use ``path`` (kept in the settings) and show its library; if it cannot be read (not a library
        database), the previous one stays (see ``_load_failed``)."""
        if self._db_before is None:
            self._db_before = (self.db_path,)
        self.db_path = Path(path)
        self.settings.library_database = str(self.db_path)
        self._show_db()
        self.reload()

    def choose_database(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Library database", str(self.database()),
                                              "Library databases (*.sqlite *.db);;All files (*)",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.set_database(path)

    def _show_db(self) -> None:
        db = self.db_path
        text = str(db) if db else "default (in your user data folder)"
        self.db_label.setText(text)
        self.db_label.setToolTip(str(db) if db else "")

    # ---- reading the library -----------------------------------------------------------------------------
    def reload(self) -> None:
        """Re-read the table, counts and failures from the database (in a worker)."""
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        db = self.db_path

        def work(progress: ProgressFn, cancel: threading.Event) -> tuple[access.LibraryView, float, Path | None]:
            started = time.perf_counter()
            view = access.read_view(db or access.default_database())
            return view, time.perf_counter() - started, db

        self.runner.submit("Reading the library", work, group=LOAD, visible=False, on_done=self._loaded,
                           on_failed=lambda message: self._load_failed(message, db),
                           on_cancelled=self._load_ended)

    def _load_ended(self) -> None:
        self._loading = False
        if self._reload_again:
            self._reload_again = False
            self.reload()

    def _loaded(self, result: tuple[access.LibraryView, float, Path | None]) -> None:
        view, seconds, db = result
        if db != self.db_path:  # read before another database was chosen: the reload queued for it decides
            self._load_ended()
            return
        if self.view is None or not np.array_equal(view.rows.ids, self.view.rows.ids):
            self._similar_key = None  # tracks came or went (or were re-analysed): ask again
        self._last_load_s = seconds
        self._db_before = None
        self.view = view
        self.table.set_rows(view.rows)
        self.counts.set_counts(view.counts)
        self.counts.set_selected(self.table.genre())
        self.failures.set_failures(view.failures)
        self.folders.set_library_folders(view.folders)
        self.similar.set_choices(view.has_embedding, view.similar_default, view.auto_by)
        if self.scan_controls.state == "idle" and not self.scan_controls.message.text():
            self.scan_controls.message.setText(view.summary)
        self._update_enabled()
        self._load_ended()
        self.loaded.emit()

    def _load_failed(self, message: str, db: Path | None = None) -> None:
        if db != self.db_path:  # a database no longer chosen: the reload queued for the new one decides
            self._load_ended()
            return
        if self._db_before is not None:  # a newly chosen file that is no library: keep the one on show
            (self.db_path,), self._db_before = self._db_before, None
            self.settings.library_database = str(self.db_path) if self.db_path else ""
            self._show_db()
            message = f"{message}; {self.db_path or 'the default library'} stays open"
        self.show_message(message)
        self._load_ended()

    def _on_failure_count(self, n: int) -> None:
        self.tabs.setTabText(self.tabs.indexOf(self.failures), f"Failures ({n:,})" if n else "Failures")

    # ---- scanning ----------------------------------------------------------------------------------------
    def _model_path(self) -> Path | None:
        engine = self.window_.engine_state.engine
        return getattr(engine, "path", None) or self.window_.engine_state.model

    def scanning(self) -> bool:
        return bool(self.runner.active(SCAN))

    def start_scan(self, windows: int | None = None) -> None:
        """Scan the folders (new and changed files only; a stopped scan resumes where it was)."""
        if self.scanning():
            return
        folders = self.folders.existing_folders()
        if not folders:
            self.show_message("Add a folder to scan first" if not self.folders.folders()
                              else "None of the library's folders is there now")
            return
        windows = self.scan_controls.windows.value() if windows is None else windows
        db, model, jobs = self.database(), self._model_path(), self.scan_jobs
        self.scan_controls.set_running("Looking for audio files…")

        def work(progress: ProgressFn, cancel: threading.Event) -> str:
            return access.scan(db, folders, model, windows, progress, cancel, jobs=jobs)

        self.runner.submit("Scanning the library", work, group=SCAN, on_progress=self.scan_controls.set_progress,
                           on_done=self._scan_done, on_failed=self._scan_failed, on_cancelled=self._scan_cancelled)
        self._update_enabled()
        self._live.start(LIVE_REFRESH_MS)

    def cancel_scan(self) -> None:
        self.runner.cancel_group(SCAN)

    def _live_refresh(self) -> None:
        if not self.scanning():
            return
        if not self._loading:
            self.reload()
        self._live.start(max(LIVE_REFRESH_MS, int(self._last_load_s * 5000)))

    def _scan_done(self, summary: str) -> None:
        self._live.stop()
        self.scan_controls.set_idle(summary)
        self._scan_ended("done", summary)

    def _scan_failed(self, message: str) -> None:
        self._live.stop()
        self.scan_controls.set_stopped(f"{message}. Resume continues where it stopped.")
        self._scan_ended("failed", message)

    def _scan_cancelled(self) -> None:
        self._live.stop()
        self.scan_controls.set_stopped("Cancelled: the tracks analysed so far are kept; Resume scan does the rest.")
        self._scan_ended("cancelled", "Library scan cancelled")

    def _scan_ended(self, outcome: str, message: str) -> None:
        self.show_message(message)
        self._update_enabled()
        self.reload()
        self.scan_finished.emit(outcome)

    # ---- folders -----------------------------------------------------------------------------------------
    def ask_remove_folders(self, folders: list[str]) -> None:
        """Remove ``folders`` from the library; when tracks were analysed in them, ask first whether their
        results stay (the default) or are forgotten too. The audio files are never touched."""
        if self.scanning() or self.tags_busy() or self.runner.active(FOLDERS):
            self.show_message("Wait for the scan or the tag writes to finish before removing folders")
            return
        n = access.tracks_under(self.view, folders)
        if not n:
            self.remove_folders(folders, forget_tracks=False)
            return
        what = f"{len(folders)} folders" if len(folders) > 1 else Path(folders[0]).name or folders[0]
        box = QMessageBox(QMessageBox.Icon.Question, "Remove from the library?",
                          f"Stop scanning {what}?\n\nThe library holds {n:,} file{'s' if n != 1 else ''} from "
                          "there (analysed, or failed to analyse). Their results stay in the library (table, "
                          "exports, similar tracks) unless you forget them too. The audio files are not touched "
                          "either way.", QMessageBox.StandardButton.NoButton, self)
        keep = box.addButton("Keep their results", QMessageBox.ButtonRole.AcceptRole)
        forget = box.addButton(f"Forget {n:,} result{'s' if n != 1 else ''}", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.remove_dialog = box

        def answered(_result: int) -> None:
            clicked = box.clickedButton()
            if self.remove_dialog is box:
                self.remove_dialog = None
            box.deleteLater()
            if clicked in (keep, forget):
                self.remove_folders(folders, forget_tracks=clicked is forget)

        box.finished.connect(answered)
        box.open()

    def remove_folders(self, folders: list[str], forget_tracks: bool) -> None:
        """Stop listing ``folders`` and forget them in the database (their tracks' results too when
        ``forget_tracks``; no question asked: :meth:`ask_remove_folders` asks)."""
        self.folders.remove_folders(folders)
        db = self.database()

        def work(progress: ProgressFn, cancel: threading.Event) -> str:
            return access.remove_folders(db, folders, forget_tracks)

        self.runner.submit("Removing library folders", work, group=FOLDERS, visible=False,
                           on_done=self._folders_removed, on_failed=self._folders_removed)

    def _folders_removed(self, message: str) -> None:
        self.show_message(message)
        self.reload()

    # ---- tracks ------------------------------------------------------------------------------------------
    def open_track(self, path: Path) -> None:
        """Open ``path`` on the Analyse page."""
        self.window_.open_file(path)

    def request_similar(self) -> None:
        """Ask for the tracks closest to the first selected one (in a worker)."""
        ids = self.table.selected_ids()
        db, k, by = self.database(), self.similar.k.value(), self.similar.ranking()
        key = (db, ids[0], k, by) if ids else None
        if key == self._similar_key:
            return  # the same question (a reload kept the selection)
        self._similar_key = key
        self.runner.cancel_group(SIMILAR)
        if not ids:
            self.similar.set_query(None)
            return
        track_id = ids[0]
        row = self.table.model.row_of(track_id)
        self.similar.set_query(track_id, self.table.model.path(row).name if row >= 0 else str(track_id))

        def work(progress: ProgressFn, cancel: threading.Event) -> list:
            return access.similar(db, track_id, k, by)

        self.runner.submit("Finding similar tracks", work, group=SIMILAR, visible=False,
                           on_done=self.similar.set_results, on_failed=self.similar.set_error)

    # ---- exports -----------------------------------------------------------------------------------------
    def export(self, kind: str, path: Path) -> None:
        """Export the library as ``kind`` ("csv", "json" or "m3u") to ``path`` (in a worker)."""
        db = self.database()

        def work(progress: ProgressFn, cancel: threading.Event) -> str:
            return access.export(db, kind, path)

        self.runner.submit(f"Exporting the library ({kind.upper()})", work, group=EXPORT,
                           on_done=self.show_message, on_failed=self.show_message)

    # ---- tags --------------------------------------------------------------------------------------------
    def tags_busy(self) -> bool:
        return bool(self.runner.active(TAGS))

    def plan_tags(self, overwrite: bool) -> None:
        """Work out what writing tags would change, then show the confirmation dialog."""
        db = self.database()
        self._tag_job = "plan"

        def work(progress: ProgressFn, cancel: threading.Event) -> list[TagChange]:
            return access.plan_tags(db, overwrite, progress, cancel)

        self.runner.submit("Checking the files' genre tags", work, group=TAGS,
                           on_done=lambda changes: self._confirm_tags(changes, overwrite),
                           on_failed=self._tags_failed, on_cancelled=self._tags_ended)
        self._update_enabled()

    def _confirm_tags(self, changes: list[TagChange], overwrite: bool) -> None:
        self._tags_ended()
        if not changes:
            self.show_message("No analysed tracks to tag")
            return
        dialog = WriteTagsDialog(changes, overwrite, self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(lambda: self.write_tags(changes))
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        self.tag_dialog = dialog
        dialog.open()

    def _dialog_closed(self, dialog: WriteTagsDialog) -> None:
        if self.tag_dialog is dialog:
            self.tag_dialog = None
        dialog.deleteLater()

    def write_tags(self, changes: list[TagChange]) -> None:
        """Write the confirmed ``changes`` (after the dialog was accepted)."""
        db = self.database()
        self._tag_job = "write"

        def work(progress: ProgressFn, cancel: threading.Event) -> str:
            return access.write_tags(db, changes, progress, cancel)

        self.runner.submit("Writing genre tags", work, group=TAGS, on_done=self._tags_done,
                           on_failed=self._tags_failed, on_cancelled=self._tags_ended)
        self._update_enabled()

    def ask_undo(self) -> None:
        """Ask, then restore the genre tags GenreLab wrote."""
        n = self.view.pending_undo if self.view else 0
        answer = QMessageBox.question(
            self, "Undo tag writes?",
            f"Put back the genre tags that {n:,} file{'s' if n != 1 else ''} had before GenreLab wrote them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.undo_tags()

    def undo_tags(self) -> None:
        """Restore the genre tags (no question asked: :meth:`ask_undo` asks)."""
        db = self.database()
        self._tag_job = "undo"

        def work(progress: ProgressFn, cancel: threading.Event) -> str:
            return access.undo_tags(db, progress, cancel)

        self.runner.submit("Restoring genre tags", work, group=TAGS, on_done=self._tags_done,
                           on_failed=self._tags_failed, on_cancelled=self._tags_ended)
        self._update_enabled()

    def _tags_done(self, summary: str) -> None:
        self._tags_ended()
        self.show_message(summary)
        self.reload()

    def _tags_failed(self, message: str) -> None:
        self._tags_ended()
        self.show_message(message)
        self.reload()

    def _tags_ended(self) -> None:
        self._tag_job = ""
        QTimer.singleShot(0, self._update_enabled)  # the job leaves the runner after this callback

    # ---- state -------------------------------------------------------------------------------------------
    def _update_enabled(self) -> None:
        scanning, tagging = self.scanning(), self.tags_busy()
        has_tracks = bool(self.view and len(self.view.rows))
        engine = self.window_.engine_state
        if not self.folders.folders():
            reason = "Add a folder first"
        elif engine.engine is None and not engine.loading:
            reason = f"No genre model: {engine.status}"
        else:
            reason = ""
        self.scan_controls.set_enabled(not reason and not tagging, reason)
        self.tags.set_enabled(has_tracks and not scanning and not tagging,
                              bool(self.view and self.view.pending_undo) and not scanning and not tagging)
        self.exports.set_enabled(has_tracks)
        self.db_button.setEnabled(not scanning and not tagging)

    def show_message(self, text: str) -> None:
        self.message.emit(text)
        self.window_.statusBar().showMessage(text, 15000)

    # ---- what the window asks ----------------------------------------------------------------------------
    def busy_reason(self) -> str:
        """Non-empty while closing would interrupt a scan or a tag write."""
        if self.scanning():
            return "A library scan is running (the tracks analysed so far are kept; you can resume it later)."
        if self.tags_busy() and self._tag_job in ("write", "undo"):
            return "Genre tags are being written to your files."
        return ""

    def shutdown(self) -> None:
        self._live.stop()
        for group in (SCAN, LOAD, SIMILAR, TAGS, EXPORT, FOLDERS):
            self.runner.cancel_group(group)

    def page_shown(self) -> None:
        """Re-read the library (a `genrelab tag` run may have changed it) and re-check the folders."""
        self.folders.refresh()
        if not self.scanning():
            self.reload()

    def screenshot_ready(self) -> bool:
        return self.view is not None and not self._loading and not self.runner.active(SIMILAR)
