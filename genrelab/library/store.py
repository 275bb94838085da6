"""`LibraryStore`: the library's SQLite database (WAL): tracks, failures, the tag journal, and the queries the CLI
and the Library page need.

One file per library (default: ``library.sqlite`` in the user's data folder). Results are written by one
process at a time (:meth:`LibraryStore.writer_lock`, an OS file lock that a killed run releases by itself); any
number of readers can query it meanwhile. Every write is a committed transaction, so a run killed at any point
leaves a consistent database and the next run carries on where it stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genrelab.errors import GenreLabError

SCHEMA_VERSION = 1
DB_NAME = "library.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS models (
    model_id TEXT PRIMARY KEY, path TEXT NOT NULL, labels TEXT NOT NULL, has_embedding INTEGER NOT NULL,
    first_used REAL NOT NULL);
CREATE TABLE IF NOT EXISTS folders (path TEXT PRIMARY KEY, added REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tracks (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    head_hash TEXT,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    error TEXT,
    analysis TEXT NOT NULL,          -- model id + how it was analysed, e.g. 'a1b2c3d4e5f60718:w10'
    model_id TEXT NOT NULL,
    duration_s REAL,
    top_genre TEXT,
    confidence REAL,
    mean BLOB,                       -- float32 (n_genres,), the model's label order
    window_times BLOB,               -- float32 (K,) window centres in seconds
    window_probs BLOB,               -- float16 (K, n_genres)
    embedding BLOB,                  -- float32 (D,) mean embedding, NULL when the model has none
    flags TEXT NOT NULL DEFAULT '',
    analysed_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS tracks_genre ON tracks (top_genre);
CREATE INDEX IF NOT EXISTS tracks_status ON tracks (status);
CREATE TABLE IF NOT EXISTS tag_journal (
    id INTEGER PRIMARY KEY,
    batch INTEGER NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,              -- 'vorbis', 'id3', 'mp4'
    old TEXT,                        -- JSON of the old genre values (null: there was no genre tag)
    old_container INTEGER NOT NULL,  -- 1 when the file had a tag block before (0: we created it)
    new TEXT NOT NULL,               -- the value written
    written_at REAL NOT NULL,
    undone_at REAL);
"""


#: The flag of a track with nothing above about -80 dBFS in what was decoded (as analysis.SILENCE_RMS): it has no
#: genre. Stored with ``status='ok'`` and no top genre; left out of genre counts, playlists, tags and similarity.
SILENT = "silent"
# SQL: the track is not flagged silent (flags are stored comma-joined; rows written before silent tracks lost
# their genre still carry the model's guess in top_genre, so every query goes by the flag).
_AUDIBLE = f"instr(',' || flags || ',', ',{SILENT},') = 0"


def is_silent(flags: Iterable[str] | str | None) -> bool:
    """Whether ``flags`` (a list, or the stored comma-joined text) mark a silent track."""
    if not flags:
        return False
    return SILENT in (flags.split(",") if isinstance(flags, str) else flags)


class LibraryLocked(GenreLabError):
    """Another process is writing to this library database."""


@dataclass
class TrackRow:
    """One track of the library as stored (arrays decoded on demand by :meth:`LibraryStore.track`)."""

    id: int
    path: str
    size: int
    mtime_ns: int
    status: str
    error: str | None
    duration_s: float | None
    top_genre: str | None
    confidence: float | None
    flags: list[str] = field(default_factory=list)
    model_id: str = ""
    analysis: str = ""
    mean: np.ndarray | None = None
    window_times: np.ndarray | None = None
    window_probs: np.ndarray | None = None
    embedding: np.ndarray | None = None
    head_hash: str | None = None

    def to_dict(self, labels: Sequence[str] | None = None) -> dict:
        """JSON-ready dict; with ``labels``, the mean distribution as genre -> probability."""
        out = {"id": self.id, "path": self.path, "status": self.status, "error": self.error,
               "duration_s": None if self.duration_s is None else round(self.duration_s, 3),
               "top_genre": self.top_genre,
               "confidence": None if self.confidence is None else round(self.confidence, 5),
               "flags": self.flags, "size": self.size, "model_id": self.model_id}
        if labels is not None and self.mean is not None:
            out["probabilities"] = {g: round(float(p), 5) for g, p in zip(labels, self.mean, strict=True)}
        return out


@dataclass
class TrackResult:
    """What the tagging pipeline stores for one file (a success or a failure)."""

    path: str
    size: int
    mtime_ns: int
    head_hash: str | None
    ok: bool
    error: str | None = None
    duration_s: float | None = None
    mean: np.ndarray | None = None
    window_times: np.ndarray | None = None
    window_probs: np.ndarray | None = None
    embedding: np.ndarray | None = None
    flags: Sequence[str] = ()
    labels: Sequence[str] = ()


def default_db_path() -> Path:
    """``library.sqlite`` in the user's data folder (e.g. ~/.local/share/GenreLab)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("GenreLab", appauthor=False)) / DB_NAME


def _blob(a: np.ndarray | None, dtype: str) -> bytes | None:
    return None if a is None else np.ascontiguousarray(a, dtype=dtype).tobytes()


def _array(b: bytes | None, dtype: str, cols: int | None = None) -> np.ndarray | None:
    if b is None:
        return None
    a = np.frombuffer(b, dtype=dtype)
    return a.reshape(-1, cols).astype(np.float32) if cols else a.astype(np.float32)


class _FileLock:
    """An exclusive OS lock on ``path`` (fcntl on POSIX, msvcrt on Windows), released when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = None

    def acquire(self, wait: bool) -> bool:
        fh = open(self.path, "a+")  # noqa: SIM115 - kept open while locked
        try:
            if os.name == "nt":  # pragma: no cover - Windows
                import msvcrt

                while True:
                    try:
                        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
                        break
                    except OSError:
                        if not wait:
                            raise BlockingIOError from None
                        time.sleep(0.5)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()} {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        fh.flush()
        self._fh = fh
        return True

    def holder(self) -> str:
        try:
            pid, _, since = self.path.read_text().strip().partition(" ")
            return f"process {pid}, since {since}" if pid else "another process"
        except OSError:
            return "another process"

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()  # closing the descriptor drops the lock
            self._fh = None


class LibraryStore:
    """The library database. Open with ``LibraryStore(path)`` (created when missing); use as a context manager.

    Reads work at any time, from any thread that opened its own store. Writes go through one store that holds
    :meth:`writer_lock`.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, readonly: bool = False) -> None:
        self.path = Path(path).absolute() if path is not None else default_db_path()
        if self.path.is_dir():
            raise GenreLabError(f"{self.path}: is a directory; --db wants a database file")
        if readonly and not self.path.exists():
            raise GenreLabError(f"{self.path}: no library database here (run `genrelab tag DIR --db {self.path}`)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A library on a read-only file or folder (a shared or archived copy) is opened for reading only.
        self.read_only_place = readonly and not (os.access(self.path, os.W_OK)
                                                 and os.access(self.path.parent, os.W_OK))
        if not self.path.exists() and not os.access(self.path.parent, os.W_OK):
            raise GenreLabError(f"{self.path}: cannot create a library database there (the folder is read-only "
                                "for you); choose another --db")
        try:
            if self.read_only_place:
                # immutable: nothing can write here, so SQLite needs no -wal/-shm files beside it
                immutable = "&immutable=1" if not os.access(self.path.parent, os.W_OK) else ""
                self.conn = sqlite3.connect(f"{self.path.as_uri()}?mode=ro{immutable}", uri=True, timeout=30.0,
                                            isolation_level=None, check_same_thread=False)
                self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            else:
                self.conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None,
                                            check_same_thread=False)
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=30000")
            if not readonly:
                self.conn.executescript(_SCHEMA)
                self._set_meta_default("schema_version", str(SCHEMA_VERSION))
        except sqlite3.DatabaseError as exc:
            raise GenreLabError(f"{self.path}: not a usable library database ({exc})") from None
        self._lock = _FileLock(self.path.with_name(self.path.name + ".lock"))
        self._labels: dict[str, list[str]] = {}
        self._writes = 0  # this connection's writes (PRAGMA data_version only sees other connections')
        self._matrices: dict[tuple[str, str], tuple[tuple[int, int], object]] = {}  # query cache

    # ---- life cycle ------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection and drop the writer lock if held."""
        self._lock.release()
        self.conn.close()

    def __enter__(self) -> LibraryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def writer_lock(self, wait: bool = False) -> Iterator[None]:
        """Hold the library's writer lock; :class:`LibraryLocked` (a clear message) when another run has it and
        ``wait`` is false, else block until it is free."""
        if self.read_only_place:
            raise GenreLabError(f"{self.path}: this library is read-only for you (file or folder); copy it to a "
                                "folder you can write to, or run as its owner")
        if not self._lock.acquire(wait):
            raise LibraryLocked(f"{self.path}: another GenreLab run is writing to this library "
                                f"({self._lock.holder()}); wait for it to finish, or run again with --wait")
        try:
            yield
        finally:
            self._lock.release()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def integrity_ok(self) -> bool:
        """``PRAGMA integrity_check`` says ok."""
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # ---- meta, models, folders --------------------------------------------------------------------------
    def _set_meta_default(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, value))

    def add_model(self, model_id: str, path: str, labels: Sequence[str], has_embedding: bool) -> None:
        """Record a model (its labels give the column order of the stored distributions)."""
        self.conn.execute("INSERT OR IGNORE INTO models VALUES (?, ?, ?, ?, ?)",
                          (model_id, str(path), json.dumps(list(labels)), int(has_embedding), time.time()))

    def labels(self, model_id: str) -> list[str]:
        """Genre labels of a model recorded with :meth:`add_model`."""
        if model_id not in self._labels:
            row = self.conn.execute("SELECT labels FROM models WHERE model_id=?", (model_id,)).fetchone()
            self._labels[model_id] = json.loads(row[0]) if row else []
        return self._labels[model_id]

    def _version(self) -> tuple[int, int]:
        """Changes whenever anyone has written to the database (cached query results are then read again)."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0], self._writes

    def current_model(self) -> str | None:
        """Model id most tracks were analysed with (None for an empty library)."""
        version = self._version()
        cached = self._matrices.get(("current_model", ""))
        if cached is not None and cached[0] == version:
            return cached[1]
        row = self.conn.execute("SELECT model_id, COUNT(*) c FROM tracks WHERE status='ok' GROUP BY model_id "
                                "ORDER BY c DESC LIMIT 1").fetchone()
        self._matrices[("current_model", "")] = (version, row[0] if row else None)
        return row[0] if row else None

    def add_folders(self, folders: Iterable[str | os.PathLike[str]]) -> None:
        """Remember library folders (the Library page scans them again on resume)."""
        with self.transaction() as c:
            c.executemany("INSERT OR IGNORE INTO folders VALUES (?, ?)",
                          [(str(Path(f).absolute()), time.time()) for f in folders])

    def remove_folder(self, folder: str | os.PathLike[str]) -> None:
        """Forget a library folder (its tracks stay until :meth:`prune`)."""
        self.conn.execute("DELETE FROM folders WHERE path=?", (str(Path(folder).absolute()),))

    def remove_folders(self, folders: Iterable[str | os.PathLike[str]], *, forget_tracks: bool = False) -> int:
        """Forget library folders: each given folder and the stored folders inside it (compared with links
        resolved). Their tracks stay (the table, exports and tags keep them) unless ``forget_tracks``; returns how
        many tracks were forgotten. The tag journal is kept either way (undo still restores the files)."""
        given = [str(Path(f).absolute()) for f in folders]
        real = [os.path.realpath(f) for f in given]
        stored = [f for f in self.folders()
                  if any(os.path.realpath(f) == r or Path(os.path.realpath(f)).is_relative_to(r) for r in real)]
        gone: list[str] = []
        if forget_tracks:
            roots = list(dict.fromkeys(given + stored))
            gone = [p for (p,) in self.conn.execute("SELECT path FROM tracks") if _under(p, roots)]
        self._writes += 1
        with self.transaction() as c:
            c.executemany("DELETE FROM folders WHERE path=?", [(f,) for f in stored])
            c.executemany("DELETE FROM tracks WHERE path=?", [(p,) for p in gone])
        return len(gone)

    def folders(self) -> list[str]:
        """Library folders, in the order they were added."""
        return [r[0] for r in self.conn.execute("SELECT path FROM folders ORDER BY added")]

    # ---- writing results ---------------------------------------------------------------------------------
    def known(self) -> dict[str, tuple[int, int, str | None, str]]:
        """path -> (size, mtime_ns, head_hash, analysis) of every stored file."""
        return {r[0]: (r[1], r[2], r[3], r[4])
                for r in self.conn.execute("SELECT path, size, mtime_ns, head_hash, analysis FROM tracks")}

    def touch(self, items: Iterable[tuple[str, int, int]]) -> None:
        """Record new (size, mtime_ns) for files whose content was found unchanged: ``(path, size, mtime_ns)``."""
        self._writes += 1
        with self.transaction() as c:
            c.executemany("UPDATE tracks SET size=?, mtime_ns=? WHERE path=?", [(s, m, p) for p, s, m in items])

    def put_results(self, results: Sequence[TrackResult], model_id: str, analysis: str) -> None:
        """Insert or replace results (one transaction): a path is stored once, whatever happens."""
        self._writes += 1
        rows = []
        now = time.time()
        for r in results:
            silent = is_silent(r.flags)
            if r.ok and r.mean is not None and not silent:
                top = int(np.argmax(r.mean))
                top_genre, conf = r.labels[top], float(r.mean[top])
            else:
                top_genre, conf = None, None  # a silent track has no genre, whatever the model said about silence
            mean, probs, emb = (None, None, None) if silent else (r.mean, r.window_probs, r.embedding)
            rows.append((r.path, r.size, r.mtime_ns, r.head_hash, "ok" if r.ok else "failed", r.error, analysis,
                         model_id, r.duration_s, top_genre, conf, _blob(mean, "<f4"),
                         _blob(r.window_times, "<f4"), _blob(probs, "<f2"), _blob(emb, "<f4"),
                         ",".join(sorted(r.flags)), now))
        with self.transaction() as c:
            c.executemany(
                "INSERT INTO tracks (path, size, mtime_ns, head_hash, status, error, analysis, model_id, duration_s,"
                " top_genre, confidence, mean, window_times, window_probs, embedding, flags, analysed_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(path) DO UPDATE SET"
                " size=excluded.size, mtime_ns=excluded.mtime_ns, head_hash=excluded.head_hash,"
                " status=excluded.status, error=excluded.error, analysis=excluded.analysis,"
                " model_id=excluded.model_id, duration_s=excluded.duration_s, top_genre=excluded.top_genre,"
                " confidence=excluded.confidence, mean=excluded.mean, window_times=excluded.window_times,"
                " window_probs=excluded.window_probs, embedding=excluded.embedding, flags=excluded.flags,"
                " analysed_at=excluded.analysed_at", rows)

    def missing(self, under: Sequence[str | os.PathLike[str]] | None = None) -> list[str]:
        """Stored paths (under the given folders) whose file no longer exists."""
        return [p for (p,) in self.conn.execute("SELECT path FROM tracks ORDER BY path")
                if _under(p, under) and not os.path.lexists(p)]

    def prune(self, paths: Sequence[str]) -> int:
        """Forget these paths; returns how many rows went."""
        self._writes += 1
        with self.transaction() as c:
            c.executemany("DELETE FROM tracks WHERE path=?", [(p,) for p in paths])
        return len(paths)

    # ---- queries for the table ---------------------------------------------------------------------------
    _COLUMNS = ("id", "path", "size", "mtime_ns", "status", "error", "duration_s", "top_genre", "confidence",
                "flags", "model_id", "analysis", "head_hash")

    def _row(self, r: sqlite3.Row | tuple, arrays: tuple | None = None) -> TrackRow:
        d = dict(zip(self._COLUMNS, r, strict=True))
        d["flags"] = [f for f in (d["flags"] or "").split(",") if f]
        silent = is_silent(d["flags"])
        if silent:  # also for rows stored before silent tracks lost the model's guess
            d["top_genre"], d["confidence"] = None, None
        row = TrackRow(**d)
        if arrays is not None and not silent:
            n = len(self.labels(row.model_id)) or None
            row.mean = _array(arrays[0], "<f4")
            row.window_times = _array(arrays[1], "<f4")
            row.window_probs = _array(arrays[2], "<f2", n)
            row.embedding = _array(arrays[3], "<f4")
        return row

    def count(self, status: str | None = None) -> int:
        """Number of tracks (``status``: 'ok' or 'failed'; None: all)."""
        if status is None:
            return self.conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
        return self.conn.execute("SELECT COUNT(*) FROM tracks WHERE status=?", (status,)).fetchone()[0]

    def tracks(self, *, status: str | None = "ok", genre: str | None = None, text: str | None = None,
               under: Sequence[str | os.PathLike[str]] | None = None, order_by: str = "path",
               descending: bool = False, limit: int | None = None, offset: int = 0,
               with_arrays: bool = False) -> list[TrackRow]:
        """Tracks for the table: filter by status, top genre, a substring of the path, folders; sorted by
        ``order_by`` (path, top_genre, confidence, duration_s, id, size)."""
        if order_by not in ("path", "top_genre", "confidence", "duration_s", "id", "size", "error"):
            raise ValueError(f"cannot sort by {order_by!r}")
        where, params = [], []
        if status is not None:
            where.append("status=?")
            params.append(status)
        if genre is not None:
            where.append(f"top_genre=? AND {_AUDIBLE}")
            params.append(genre)
        if text:
            where.append("instr(lower(path), ?) > 0")
            params.append(text.lower())
        cols = ", ".join(self._COLUMNS) + (", mean, window_times, window_probs, embedding" if with_arrays else "")
        sql = f"SELECT {cols} FROM tracks" + (f" WHERE {' AND '.join(where)}" if where else "")
        sql += f" ORDER BY {order_by} {'DESC' if descending else 'ASC'}, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        n = len(self._COLUMNS)
        return [self._row(r[:n], r[n:] if with_arrays else None)
                for r in self.conn.execute(sql, params) if _under(r[1], under)]

    def track(self, key: int | str) -> TrackRow | None:
        """One track by id or path, with its distributions and embedding."""
        col = "id" if isinstance(key, int) else "path"
        cols = ", ".join(self._COLUMNS) + ", mean, window_times, window_probs, embedding"
        r = self.conn.execute(f"SELECT {cols} FROM tracks WHERE {col}=?", (key if col == "id" else str(key),)
                              ).fetchone()
        return None if r is None else self._row(r[: len(self._COLUMNS)], r[len(self._COLUMNS):])

    def failures(self) -> list[TrackRow]:
        """Files that could not be analysed, with the reason (``error``)."""
        return self.tracks(status="failed")

    def genre_counts(self) -> dict[str, int]:
        """Top genre -> number of tracks, most common first (silent tracks have no genre: see
        :meth:`silent_count`)."""
        return {g: n for g, n in self.conn.execute(
            f"SELECT top_genre, COUNT(*) n FROM tracks WHERE status='ok' AND top_genre IS NOT NULL AND {_AUDIBLE} "
            "GROUP BY top_genre ORDER BY n DESC, top_genre")}

    def silent_count(self) -> int:
        """Analysed tracks flagged silent (no genre)."""
        return self.conn.execute(f"SELECT COUNT(*) FROM tracks WHERE status='ok' AND NOT {_AUDIBLE}").fetchone()[0]

    def matrix(self, kind: str = "genre", model_id: str | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(ids (N,), vectors (N, D) float32, labels) of every analysed track: mean genre distributions
        (``kind='genre'``) or mean embeddings (``kind='sound'``; tracks without one are left out), for tracks
        analysed with ``model_id`` (default: the library's current model). Silent tracks are left out: what
        the model makes of silence says nothing about a genre or a sound."""
        model_id = model_id or self.current_model()
        if model_id is None:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32), []
        version = self._version()
        cached = self._matrices.get((kind, model_id))
        if cached is not None and cached[0] == version:  # repeated searches skip the SQLite read
            return cached[1]
        out = self._read_matrix(kind, model_id)
        self._matrices[(kind, model_id)] = (version, out)
        return out

    def _read_matrix(self, kind: str, model_id: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        col = "mean" if kind == "genre" else "embedding"
        rows = self.conn.execute(f"SELECT id, {col} FROM tracks WHERE status='ok' AND model_id=? AND {col} IS NOT "
                                 f"NULL AND {_AUDIBLE} ORDER BY id", (model_id,)).fetchall()
        if not rows:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32), self.labels(model_id)
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        vecs = np.frombuffer(b"".join(r[1] for r in rows), "<f4").reshape(len(rows), -1).astype(np.float32)
        return ids, vecs, self.labels(model_id)

    def has_embeddings(self, model_id: str | None = None) -> bool:
        """Whether tracks analysed with ``model_id`` (default: the current model) have a stored embedding."""
        model_id = model_id or self.current_model()
        return self.conn.execute("SELECT 1 FROM tracks WHERE status='ok' AND model_id=? AND embedding IS NOT NULL "
                                 f"AND {_AUDIBLE} LIMIT 1", (model_id,)).fetchone() is not None

    def paths(self, ids: Iterable[int]) -> dict[int, str]:
        """id -> path for the given ids."""
        ids = list(ids)
        out: dict[int, str] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = ",".join("?" * len(chunk))
            out.update(dict(self.conn.execute(f"SELECT id, path FROM tracks WHERE id IN ({q})", chunk)))
        return out

    # ---- tag journal -------------------------------------------------------------------------------------
    def next_tag_batch(self) -> int:
        """A new batch number for a write-tags run."""
        return (self.conn.execute("SELECT MAX(batch) FROM tag_journal").fetchone()[0] or 0) + 1

    def journal_write(self, batch: int, path: str, kind: str, old: list[str] | None, old_container: bool,
                      new: str) -> int:
        """Record a tag change before it is made; returns its journal id."""
        cur = self.conn.execute(
            "INSERT INTO tag_journal (batch, path, kind, old, old_container, new, written_at) VALUES (?,?,?,?,?,?,?)",
            (batch, path, kind, None if old is None else json.dumps(old), int(old_container), new, time.time()))
        return int(cur.lastrowid)

    def journal_forget(self, entry_id: int) -> None:
        """Drop a journal entry whose write did not happen (the file was left as it was)."""
        self.conn.execute("DELETE FROM tag_journal WHERE id=?", (entry_id,))

    def journal_pending(self, under: Sequence[str | os.PathLike[str]] | None = None) -> list[dict]:
        """Tag changes not yet undone, newest first (what ``--undo`` restores)."""
        rows = self.conn.execute("SELECT id, batch, path, kind, old, old_container, new, written_at FROM tag_journal "
                                 "WHERE undone_at IS NULL ORDER BY id DESC").fetchall()
        return [{"id": r[0], "batch": r[1], "path": r[2], "kind": r[3],
                 "old": None if r[4] is None else json.loads(r[4]), "old_container": bool(r[5]), "new": r[6],
                 "written_at": r[7]} for r in rows if _under(r[2], under)]

    def journal_undone(self, entry_id: int) -> None:
        """Mark a change as undone."""
        self.conn.execute("UPDATE tag_journal SET undone_at=? WHERE id=?", (time.time(), entry_id))

    def update_file_state(self, path: str, size: int, mtime_ns: int, head_hash: str | None) -> None:
        """After a tag write: the file's new size, mtime and head hash (its audio, hence the analysis, is the
        same, so the next run must not analyse it again)."""
        self._writes += 1
        self.conn.execute("UPDATE tracks SET size=?, mtime_ns=?, head_hash=? WHERE path=?",
                          (size, mtime_ns, head_hash, path))


def _under(path: str, folders: Sequence[str | os.PathLike[str]] | None) -> bool:
    if not folders:
        return True
    for f in folders:
        root = str(Path(f).absolute())
        if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False
