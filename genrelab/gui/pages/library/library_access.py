"""The Library page's calls into the core (:mod:`genrelab.library`), shaped for the widgets. No Qt here.

Each function is a plain ``fn(..., progress, cancel)`` or a quick read, run by the page through ``window.runner``
(never on the GUI thread). Every function opens its own `LibraryStore` (SQLite connections stay on one thread).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genrelab.errors import GenreLabError
from genrelab.gui.pages.library.records import SILENCE, SimilarTrack, TagChange, TrackRows
from genrelab.library.similar_default import DEFAULT_BY, resolve_by  # plain Python: no start-up cost
from genrelab.progress import ProgressFn


@dataclass
class LibraryView:
    """Everything the page shows about a library database, read in one go.

    Attributes:
        rows: the analysed tracks (column arrays).
        failures: (path, reason) of files that could not be analysed.
        counts: tracks per top genre, in label order.
        has_embedding: the tracks carry sound embeddings ("similar by sound" works).
        pending_undo: tag writes that Undo would restore.
        folders: folders recorded in the database.
        silent: analysed tracks that are silent (shown as "silence", no genre; not in ``counts``).
        similar_default: how "similar" is measured unless the user picks (the CLI's ``--by`` default).
        auto_by: what "auto" means for this library ("sound" or "genre").
        summary: one line about the library, e.g. "This library: 32 analysed, 4 failed of 36".
    """

    rows: TrackRows
    failures: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    has_embedding: bool = False
    pending_undo: int = 0
    folders: list[str] = field(default_factory=list)
    silent: int = 0
    similar_default: str = DEFAULT_BY
    auto_by: str = "genre"
    summary: str = ""


def default_database() -> Path:
    """The core's default library database (in the user's data folder)."""
    from genrelab.library.store import default_db_path

    return default_db_path()


def _open(db: Path, readonly: bool = False):  # noqa: ANN202 - LibraryStore, imported lazily (slow core)
    from genrelab.library.store import LibraryStore

    return LibraryStore(db, readonly=readonly)


def _table_columns(store) -> tuple[list, list, list, list, list, list]:  # noqa: ANN001 - a LibraryStore
    """ids, paths, top genres, confidences, durations, flags of the analysed tracks, in one query.

    ``store.tracks()`` builds a TrackRow per track (about 2 s for 100,000); the table needs six columns, so they
    are read straight from the store's ``tracks`` table (about 0.5 s).
    """
    rows = store.conn.execute("SELECT id, path, top_genre, confidence, duration_s, flags FROM tracks "
                              "WHERE status='ok'").fetchall()
    if not rows:
        return [], [], [], [], [], []
    return [list(column) for column in zip(*rows, strict=True)]


def read_view(db: Path) -> LibraryView:
    """Read the table, failures, counts and undo state of ``db`` (an empty view when the file does not exist).

    A silent track's genre is shown as :data:`SILENCE` (as the Analyse page says SILENCE), with no confidence.
    """
    from genrelab.library.pipeline import counts_line
    from genrelab.library.store import is_silent

    if not Path(db).exists():
        return LibraryView(TrackRows.empty())
    with _open(db, readonly=True) as store:
        model_id = store.current_model()
        labels = list(store.labels(model_id)) if model_id else []
        ids, paths, names, confidence, duration, flags = _table_columns(store)
        silent = [is_silent(f) for f in flags]
        names = [SILENCE if quiet else n or "" for n, quiet in zip(names, silent, strict=True)]
        confidence = [None if quiet else c for c, quiet in zip(confidence, silent, strict=True)]
        for name in dict.fromkeys(names):  # genres of tracks analysed with another model
            if name not in labels:
                labels.append(name)
        index = {label: i for i, label in enumerate(labels)}
        rows = TrackRows(
            ids=np.asarray(ids, np.int64),
            paths=np.asarray(paths, dtype=object),
            genres=np.fromiter((index[n] for n in names), np.int16, len(names)),
            confidence=np.asarray([c or 0.0 for c in confidence], np.float32),
            duration=np.asarray([d or 0.0 for d in duration], np.float32),
            labels=labels)
        failures = [(t.path, t.error or "could not be analysed") for t in store.failures()]
        has_embedding = bool(model_id) and store.has_embeddings(model_id)
        n_silent = sum(silent)
        summary = f"This library: {counts_line(len(rows), len(failures), n_silent)}" if len(rows) or failures else ""
        return LibraryView(rows, failures, rows.genre_counts(), has_embedding, len(store.journal_pending()),
                           store.folders(), n_silent, DEFAULT_BY, resolve_by(DEFAULT_BY, has_embedding), summary)


def scan(db: Path, folders: list[Path], model: Path | None, windows: int, progress: ProgressFn,
         cancel: threading.Event, jobs: int | None = None) -> str:
    """Analyse new and changed files under ``folders`` into ``db``; returns the one-line summary.

    ``jobs``: decoding processes (None: one per core; 0: in this thread). Cancelling raises `Cancelled` after
    what was analysed is committed, so the next scan resumes.
    """
    from genrelab.library.pipeline import tag_library

    with _open(db) as store:
        summary = tag_library([str(f) for f in folders], store, model, n_windows=windows, jobs=jobs,
                              progress=progress, cancel=cancel)
    return scan_summary(summary)


def scan_summary(summary) -> str:  # noqa: ANN001 - a genrelab.library.pipeline.RunSummary
    """``"120 audio files: 97 analysed, 3 failed of 100, 20 unchanged, in 0:12 (8.3 tracks/s)"`` (the counts
    worded as the CLI's summary words them: ``RunSummary.counts``)."""
    from genrelab.gui.notes import format_time

    parts = [summary.counts()]
    if summary.unchanged:
        parts.append(f"{summary.unchanged:,} unchanged")
    if summary.missing:
        parts.append(f"{len(summary.missing):,} no longer there")
    rate = f" ({summary.tracks_per_s:.1f} tracks/s)" if summary.analysed else ""
    return (f"{summary.scanned:,} audio file{'s' if summary.scanned != 1 else ''}: " + ", ".join(parts)
            + f", in {format_time(summary.elapsed_s)}{rate}")


_VECTORS: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
_VECTORS_LOCK = threading.Lock()


def _vectors(store, kind: str, model_id: str) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001 - a LibraryStore
    """``store.matrix(kind, model_id)``, kept while the library is unchanged (one click after another on a
    100,000-track library then costs the search, not reading every vector again)."""
    version = store.conn.execute("SELECT COUNT(*), MAX(analysed_at) FROM tracks").fetchone()
    key = (str(store.path), kind, model_id, *version)
    with _VECTORS_LOCK:
        if key in _VECTORS:
            return _VECTORS[key]
    ids, vectors, _labels = store.matrix(kind, model_id)
    with _VECTORS_LOCK:
        _VECTORS.clear()  # one library, one kind at a time
        _VECTORS[key] = (ids, vectors)
    return ids, vectors


def similar(db: Path, track_id: int, k: int, by: str) -> list[SimilarTrack]:
    """The ``k`` tracks of ``db`` closest to ``track_id`` (``by``: "auto", "genre" or "sound"), closest first.
    Silent tracks are never answers; a silent query says why it has none."""
    from genrelab.library.similar import search
    from genrelab.library.similar_api import silent_query
    from genrelab.library.store import is_silent

    with _open(db, readonly=True) as store:
        track = store.track(int(track_id))
        if track is None:
            return []
        if is_silent(track.flags):
            raise silent_query(Path(track.path).name)
        by = resolve_by(by, store.has_embeddings(track.model_id))
        query = track.mean if by == "genre" else track.embedding
        if query is None:
            raise GenreLabError("this track has no sound embedding (its model has none)" if by == "sound"
                                else "this track has no genre distribution")
        ids, vectors = _vectors(store, by, track.model_id)
        found = search(query, ids, vectors, k, by=by, exclude_id=track.id)
        rows = {t.id: t for t in (store.track(i) for i, _d in found) if t is not None}
        return [SimilarTrack(i, rows[i].path, rows[i].top_genre or "", d) for i, d in found if i in rows]


def tracks_under(view: LibraryView | None, folders: list[str]) -> int:
    """Tracks of ``view`` (analysed or failed) inside ``folders``: what removing them from the library could
    forget. In memory (no database read)."""
    if view is None or not folders:
        return 0
    roots = tuple(str(Path(f)).rstrip(os.sep) + os.sep for f in folders)
    paths = [str(p) for p in view.rows.paths] + [p for p, _reason in view.failures]
    return sum(p.startswith(roots) for p in paths)


def remove_folders(db: Path, folders: list[str], forget_tracks: bool) -> str:
    """Forget ``folders`` in ``db`` (and, when ``forget_tracks``, the results of their tracks); a one-line
    summary. Nothing happens to a database that does not exist yet."""
    if not Path(db).exists():
        return f"Removed {len(folders)} folder{'s' if len(folders) != 1 else ''} from the list"
    with _open(db) as store, store.writer_lock():
        gone = store.remove_folders(folders, forget_tracks=forget_tracks)
    what = f"Removed {len(folders)} folder{'s' if len(folders) != 1 else ''} from the library"
    if forget_tracks:
        return f"{what} and forgot the results of {gone:,} track{'s' if gone != 1 else ''}"
    return f"{what}; the tracks analysed in {'them' if len(folders) != 1 else 'it'} stay"


def export(db: Path, kind: str, path: Path) -> str:
    """Export the library as ``kind`` ("csv", "json" or "m3u": a folder) to ``path``; a one-line message."""
    from genrelab.library import exports

    try:
        with _open(db, readonly=True) as store:
            if kind == "m3u":
                playlists = exports.export_m3u(store, path)
                return f"Saved {len(playlists)} genre playlist{'s' if len(playlists) != 1 else ''} in {path}"
            n = (exports.export_csv if kind == "csv" else exports.export_json)(store, path)
    except OSError as exc:
        raise GenreLabError(f"{path}: cannot write the export ({exc.strerror or exc})") from None
    return f"Saved {n:,} tracks to {path}"


_NOTES = {"same": "already has this genre", "keep": "has a genre tag (overwrite is off)"}


def plan_tags(db: Path, overwrite: bool, progress: ProgressFn, cancel: threading.Event) -> list[TagChange]:
    """What writing genre tags would do to each analysed file (each file's tag is read; nothing is written)."""
    from genrelab.library import tags

    with _open(db, readonly=True) as store:
        plan = tags.plan_tags(store, overwrite=overwrite, progress=progress, cancel=cancel)
    return [TagChange(c.path, ", ".join(c.old or []), c.new or "", c.action == "write",
                      _NOTES.get(c.action, c.reason), source=c) for c in plan]


def _report_line(report, verb: str) -> str:  # noqa: ANN001 - a genrelab.library.tags.TagReport
    n = len(report.done)
    text = f"{verb} the genre tag of {n:,} file{'s' if n != 1 else ''}"
    for items, what in ((report.failed, "failed"), (report.skipped, "left alone")):
        if items:
            path, reason = items[0]
            more = f" (and {len(items) - 1:,} more)" if len(items) > 1 else ""
            text += f"; {len(items):,} {what}: {Path(path).name}: {reason}{more}"
    return text


def write_tags(db: Path, changes: list[TagChange], progress: ProgressFn, cancel: threading.Event) -> str:
    """Write the confirmed ``changes`` (old values journaled in ``db`` first); a one-line summary that names
    the failures (a failed write leaves its file as it was)."""
    from genrelab.library import tags

    with _open(db) as store, store.writer_lock():
        report = tags.apply_tags(store, [c.source for c in changes if c.write], progress=progress, cancel=cancel)
    return _report_line(report, "Wrote")


def undo_tags(db: Path, progress: ProgressFn, cancel: threading.Event) -> str:
    """Restore every genre tag GenreLab wrote (and has not undone yet); a one-line summary."""
    from genrelab.library import tags

    with _open(db) as store, store.writer_lock():
        report = tags.undo_tags(store, progress=progress, cancel=cancel)
    return _report_line(report, "Restored")
