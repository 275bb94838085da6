"""Labelled datasets: a folder with one sub-folder per genre -> :class:`~training.clips.Clip` s.

Audio folders: any format :func:`genrelab.audio.load` decodes, found recursively under each genre folder.
Features come from :func:`genrelab.dsp.track_features` (the app's own code) and are cached on disk as ``.npy``
per (file path, size, mtime, spec), so a second run on the same data skips decoding. Decoding runs in a small
process pool with progress and cancel. Files that cannot be decoded are skipped and listed, never fatal.

Image folders (GTZAN Mel-spectrogram PNGs) are read by :mod:`training.imageset`; this module only lists them.

The work is split in two steps so that a split can be chosen before anything is decoded:
:func:`scan` lists the files (cheap) and :func:`load_entries` turns the chosen ones into clips.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sys
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from genrelab.audio import SUPPORTED_EXTENSIONS
from genrelab.dsp import FeatureSpec
from genrelab.errors import GenreLabError
from genrelab.progress import CancelToken, ProgressFn, check_cancel, report
from training.clips import Clip

#: GTZAN file names: ``<genre>.<5 digits>``; the stem is the song id.
GTZAN_NAME = re.compile(r"^([a-z]+)\.(\d{5})$")
IMAGE_EXTENSIONS = frozenset({".png"})
CACHE_VERSION = 1
#: Spec fields that only change how windows are cut and scaled, not the track's features (left out of the key).
WINDOW_ONLY_FIELDS = ("window_s", "top_db", "image", "image_size", "colormap")
#: Above this many bytes of cached features, clips memory-map their cache files instead of loading them.
MMAP_ABOVE_BYTES = 1_500_000_000
#: Fewer files than this are decoded in-process: starting worker processes costs a few seconds.
POOL_MIN_JOBS = 24


class DatasetError(GenreLabError):
    """A dataset folder cannot be used (empty, no genre sub-folders, one class, nothing decodable...)."""


@dataclass(frozen=True)
class Entry:
    """One file of a dataset, before decoding.

    Attributes:
        path: the file.
        label: genre (its top-level sub-folder's name).
        clip_id: the file stem (split lists match on it).
        group: song id for grouped splits: the stem (GTZAN ``genre.000NN`` names and any other name).
    """

    path: Path
    label: str
    clip_id: str
    group: str


@dataclass
class Dataset:
    """Decoded clips of a dataset folder.

    Attributes:
        root: the folder.
        kind: ``"audio"`` or ``"images"``.
        spec: the feature spec the clips were computed with.
        entries: every file found (decodable or not), in a stable order.
        clips: the decoded clips.
        entry_index: for each clip, its index in ``entries``.
        labels: genre names (sorted), the model's output order.
        skipped: (file, reason) of every file that could not be used.
        decoded / cached: files decoded this time / read from the feature cache.
        ignored: files under the genre folders that are not audio (or images) by their extension.
    """

    root: Path
    kind: str
    spec: FeatureSpec
    entries: list[Entry]
    clips: list[Clip]
    entry_index: list[int]
    labels: list[str]
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    decoded: int = 0
    cached: int = 0
    ignored: int = 0
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        """Clips per genre."""
        c = Counter(clip.label for clip in self.clips)
        return {label: c.get(label, 0) for label in self.labels}

    def clips_of(self, entry_indices: list[int]) -> list[Clip]:
        """The decoded clips among the given entries (skipped files drop out), in the given order."""
        where = {e: i for i, e in enumerate(self.entry_index)}
        return [self.clips[where[e]] for e in entry_indices if e in where]

    def describe(self) -> str:
        """One line for reports: what the data is."""
        what = "audio files" if self.kind == "audio" else "Mel-spectrogram images"
        text = f"{len(self.clips)} clips ({what}) in {len(self.labels)} genres from {self.root}"
        if self.skipped:
            text += f"; {len(self.skipped)} unreadable file(s) skipped"
        return text


# ---- finding files ------------------------------------------------------------------------------------------
def song_id(path: Path) -> str:
    """Song id of a file for grouped splits: the stem (GTZAN ``genre.000NN`` or any other name)."""
    return path.stem


def is_gtzan_name(path: Path) -> bool:
    """True for GTZAN-style names ``<genre>.<5 digits>.<ext>``."""
    return bool(GTZAN_NAME.match(path.stem))


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def scan(root: str | Path, *, images: bool = False) -> tuple[list[Entry], int]:
    """List a folder-per-genre dataset: (entries sorted by genre and path, number of ignored non-audio files).

    Audio files are found recursively under each genre folder; images directly inside it (``genre/x.png``).
    Raises :class:`DatasetError` for a missing or empty folder, no genre sub-folders, no audio (images) or a
    single genre.
    """
    root = Path(root)
    if not root.exists():
        raise DatasetError(f"{root}: no such folder")
    if not root.is_dir():
        raise DatasetError(f"{root}: is a file; expected a folder with one sub-folder per genre")
    children = [p for p in sorted(root.iterdir()) if _visible(p)]
    if not children:
        raise DatasetError(f"{root} is empty: expected one sub-folder per genre (e.g. {root}/blues, {root}/rock)")
    folders = [p for p in children if p.is_dir()]
    if not folders:
        raise DatasetError(f"{root} has no genre sub-folders: put each genre's files in its own sub-folder "
                           f"({root}/blues/..., {root}/rock/...)")
    wanted = IMAGE_EXTENSIONS if images else SUPPORTED_EXTENSIONS
    entries, ignored = [], 0
    for folder in folders:
        found = folder.glob("*") if images else folder.rglob("*")
        for path in sorted(found):
            if not path.is_file() or not _visible(path) or any(part.startswith(".") for part in
                                                               path.relative_to(folder).parts):
                continue
            if path.suffix.lower() not in wanted:
                ignored += 1
                continue
            entries.append(Entry(path, folder.name, path.stem, song_id(path)))
    if not entries:
        what = "spectrogram images (.png)" if images else "audio files"
        raise DatasetError(f"{root}: no {what} in its genre sub-folders "
                           f"({', '.join(p.name for p in folders[:5])}{', ...' if len(folders) > 5 else ''})")
    labels = sorted({e.label for e in entries})
    if len(labels) < 2:
        raise DatasetError(f"{root} has only one genre ({labels[0]}): training needs at least two genre sub-folders")
    return entries, ignored


# ---- the feature cache -----------------------------------------------------------------------------------
def default_cache_dir() -> Path:
    """The user's feature cache, e.g. ``~/.cache/GenreLab/features``."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("GenreLab", appauthor=False)) / "features"


@lru_cache(maxsize=4)
def code_version(*modules: str) -> str:
    """Hash of the source of the modules that compute cached features: editing them invalidates the cache."""
    import importlib

    h = hashlib.sha256()
    for name in modules:
        source = getattr(importlib.import_module(name), "__file__", None)
        if source and os.path.exists(source):
            h.update(Path(source).read_bytes())
    return h.hexdigest()[:16]


AUDIO_FEATURE_CODE = ("genrelab.audio.decode", "genrelab.dsp.spec", "genrelab.dsp.spectrum")


def feature_key(path: Path, spec: FeatureSpec, extra: str = "") -> str:
    """Cache key of a file's features: hash of (resolved path, size, mtime, feature fields of the spec, extra)."""
    st = path.stat()
    spec_part = {k: v for k, v in spec.to_dict().items() if k not in WINDOW_ONLY_FIELDS}
    blob = json.dumps({"v": CACHE_VERSION, "path": str(path.resolve()), "size": st.st_size,
                       "mtime_ns": st.st_mtime_ns, "spec": spec_part, "extra": extra or code_version(*AUDIO_FEATURE_CODE)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def cache_file(cache_dir: Path, path: Path, spec: FeatureSpec, extra: str = "") -> Path:
    """Where a file's features live in the cache (``extra``: anything else the features depend on)."""
    key = feature_key(path, spec, extra)
    return cache_dir / key[:2] / f"{key}.npy"


def _save_npy_atomic(array: np.ndarray, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.stem}.{os.getpid()}.tmp.npy")
    np.save(tmp, array)
    os.replace(tmp, target)


# ---- decoding (runs in worker processes) -------------------------------------------------------------------
def _remember_failure(path: Path, reason: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(reason, encoding="utf-8")
    except OSError:
        pass


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business: it cancels the pool


def compute_features(path: str, spec_dict: dict, target: str | None) -> tuple[str, object]:
    """Decode one file and compute its features: ("ok", shape or array) or ("error", reason).

    With ``target`` the array is written there (.npy, atomically) and only its shape comes back.
    """
    from genrelab.audio import load
    from genrelab.dsp import track_features

    spec = FeatureSpec.from_dict(spec_dict)
    try:
        audio = load(path, sr=spec.sr)
        if audio.duration_s < spec.min_duration_s:
            return "error", f"{Path(path).name}: too short ({audio.duration_s:.2f} s; needs {spec.min_duration_s:g} s)"
        db = track_features(audio.samples, spec).db
    except GenreLabError as exc:
        return "error", str(exc)
    except Exception as exc:  # a file that breaks a decoder must not stop the dataset
        return "error", f"{Path(path).name}: {type(exc).__name__}: {exc}"
    if target is None:
        return "ok", db
    try:
        _save_npy_atomic(db, Path(target))
    except OSError:  # an unwritable cache costs speed, not the file
        return "ok", db
    return "ok", db.shape


def _pool_context():
    """Worker processes that never re-run the caller's ``__main__`` (so a script without a main guard works).

    Linux: fork (the workers only decode and compute features; they never touch torch or Qt). Elsewhere:
    spawn (the caller needs the usual ``if __name__ == "__main__"`` guard, as the ``genrelab`` script has).
    """
    import multiprocessing as mp

    return mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def _reason(path: Path, message: str) -> str:
    """A skip reason without the file name the decoder's message starts with (the path is listed beside it)."""
    prefix = f"{path.name}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _run_jobs(jobs: list[tuple[int, str, str | None]], spec: FeatureSpec, workers: int,
              progress: ProgressFn | None, cancel: CancelToken | None, done0: int, total: int):
    """Yield (entry index, status, value) for each job, in a process pool when it pays off."""
    spec_dict = spec.to_dict()
    if workers <= 1 or len(jobs) < max(POOL_MIN_JOBS, 2 * workers):
        for n, (i, path, target) in enumerate(jobs):
            check_cancel(cancel)
            status, value = compute_features(path, spec_dict, target)
            report(progress, (done0 + n + 1) / total, f"features {Path(path).name}")
            yield i, status, value
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(), initializer=_worker_init)
    try:
        pending: dict[Future, tuple[int, str]] = {
            pool.submit(compute_features, path, spec_dict, target): (i, path) for i, path, target in jobs
        }
        n = 0
        while pending:
            check_cancel(cancel)
            finished, _ = wait(list(pending), timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in finished:
                i, path = pending.pop(fut)
                try:
                    status, value = fut.result()
                except Exception as exc:  # a worker died (e.g. a decoder crashed on one file)
                    status, value = "crash", f"{Path(path).name}: decoder process failed ({type(exc).__name__})"
                n += 1
                report(progress, (done0 + n) / total, f"features {Path(path).name}")
                yield i, status, value
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _raise_fd_limit(needed: int) -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < needed:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, needed), hard))
    except (ImportError, ValueError, OSError):
        pass


def load_entries(
    root: str | Path,
    entries: list[Entry],
    use: list[int] | None,
    spec: FeatureSpec,
    *,
    cache_dir: str | Path | None = "default",
    workers: int = 2,
    ignored: int = 0,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Dataset:
    """Decode the entries ``use`` (all when None) of an audio dataset into clips, through the feature cache.

    ``cache_dir``: "default" (:func:`default_cache_dir`), a folder, or None (no cache: features stay in memory).
    Raises :class:`DatasetError` when nothing could be decoded or a single genre is left; Cancelled on cancel.
    """
    t0 = time.perf_counter()
    root = Path(root)
    use = list(range(len(entries))) if use is None else sorted(set(use))
    cache = default_cache_dir() if cache_dir == "default" else (Path(cache_dir) if cache_dir else None)
    arrays: dict[int, object] = {}
    jobs = []
    skipped: list[tuple[Path, str]] = []
    known_bad = 0
    for i in use:
        try:
            target = cache_file(cache, entries[i].path, spec) if cache is not None else None
        except OSError as exc:  # gone or unreadable since the scan
            skipped.append((entries[i].path, f"cannot read ({exc.strerror or exc})"))
            continue
        failed = target.with_suffix(".err") if target is not None else None
        if target is not None and target.exists():
            arrays[i] = target
        elif failed is not None and failed.exists():  # known unreadable (same size and mtime): no second try
            skipped.append((entries[i].path, _reason(entries[i].path, failed.read_text(encoding="utf-8"))))
            known_bad += 1
        else:
            jobs.append((i, str(entries[i].path), str(target) if target is not None else None))
    n_cached = len(arrays) + known_bad
    done = len(use) - len(jobs)
    report(progress, done / max(len(use), 1), "features")
    for i, status, value in _run_jobs(jobs, spec, workers, progress, cancel, done, max(len(use), 1)):
        if status == "ok":
            arrays[i] = value if isinstance(value, np.ndarray) else cache_file(cache, entries[i].path, spec)
        else:
            skipped.append((entries[i].path, _reason(entries[i].path, str(value))))
            if cache is not None and status == "error":  # a crashed worker says nothing about the file
                _remember_failure(cache_file(cache, entries[i].path, spec).with_suffix(".err"), str(value))
    ok = [i for i in use if i in arrays]
    if not ok:
        first = f" (first: {skipped[0][0].name}: {skipped[0][1]})" if skipped else ""
        raise DatasetError(f"{root}: none of the {len(use)} audio files could be decoded{first}")
    paths = [a for a in arrays.values() if isinstance(a, Path)]
    mmap = sum(p.stat().st_size for p in paths) > MMAP_ABOVE_BYTES
    if mmap:
        _raise_fd_limit(len(paths) + 256)
    clips, entry_index = [], []
    for i in ok:
        value = arrays[i]
        if isinstance(value, Path):
            try:
                db = np.load(value, mmap_mode="r" if mmap else None)
            except (OSError, ValueError):  # a damaged cache file: compute it again here
                status, db = compute_features(str(entries[i].path), spec.to_dict(), None)
                if status != "ok":
                    skipped.append((entries[i].path, _reason(entries[i].path, str(db))))
                    continue
                _save_npy_atomic(db, value)
        else:
            db = value
        e = entries[i]
        clips.append(Clip(e.clip_id, e.label, e.group, db, e.path))
        entry_index.append(i)
    labels = sorted({c.label for c in clips})
    if len(labels) < 2:
        raise DatasetError(f"{root}: only one genre ({labels[0]}) has decodable audio; training needs at least two")
    return Dataset(root, "audio", spec, entries, clips, entry_index, labels, skipped, decoded=len(jobs),
                   cached=n_cached, ignored=ignored, seconds=time.perf_counter() - t0)


def load_dataset(root: str | Path, spec: FeatureSpec, *, cache_dir: str | Path | None = "default", workers: int = 2,
                 progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> Dataset:
    """Scan and decode a whole folder-per-genre audio dataset (see :func:`scan` and :func:`load_entries`)."""
    entries, ignored = scan(root)
    return load_entries(root, entries, None, spec, cache_dir=cache_dir, workers=workers, ignored=ignored,
                        progress=progress, cancel=cancel)


def load_image_entries(root: str | Path, entries: list[Entry], use: list[int] | None, spec: FeatureSpec, *,
                       cache_dir: str | Path | None = "default", ignored: int = 0,
                       progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> Dataset:
    """Decode the image entries ``use`` with :func:`training.imageset.load_image_clips`, through the cache."""
    from training import imageset

    t0 = time.perf_counter()
    root = Path(root)
    use = list(range(len(entries))) if use is None else sorted(set(use))
    renderer = imageset.GTZAN_RENDERER
    if spec.kind != "mel" or spec.n_mels != renderer.n_bands or abs(spec.frame_stride - renderer.frame_stride) > 1e-9:
        raise DatasetError(f"the images hold {renderer.n_bands} Mel bands at frame stride "
                           f"{renderer.frame_stride:.4f}; the spec asks for {spec.kind} {spec.n_bins} bins at "
                           f"stride {spec.frame_stride:.4f}")
    cache = default_cache_dir() if cache_dir == "default" else (Path(cache_dir) if cache_dir else None)
    # the renderer's parameters are part of the key: the same PNG decodes differently under another renderer
    extra = f"image {renderer!r} {code_version('training.imageset')}"
    found: dict[int, Clip] = {}
    todo = []
    for i in use:
        e = entries[i]
        target = cache_file(cache, e.path, spec, extra) if cache is not None else None
        if target is not None and target.exists():
            try:
                found[i] = Clip(e.clip_id, e.label, e.group, np.load(target), e.path)
                continue
            except (OSError, ValueError):
                pass
        todo.append(i)
    skipped: list[tuple[Path, str]] = []
    if todo:
        names = {entries[i].clip_id for i in todo}
        try:
            clips, skipped = imageset.load_image_clips(root, renderer, names=names, progress=progress, cancel=cancel)
        except imageset.ImageSetError as exc:
            raise DatasetError(str(exc)) from None
        by_key = {(entries[i].label, entries[i].clip_id): i for i in todo}
        for c in clips:
            i = by_key.get((c.label, c.clip_id))
            if i is None:
                continue
            found[i] = c
            if cache is not None:
                _save_npy_atomic(np.asarray(c.db, np.float32), cache_file(cache, entries[i].path, spec, extra))
        skipped = [(Path(p), _reason(Path(p), r)) for p, r in skipped]
    order = [i for i in use if i in found]
    if not order:
        first = f" (first: {skipped[0][0].name}: {skipped[0][1]})" if skipped else ""
        raise DatasetError(f"{root}: none of the {len(use)} images could be decoded{first}")
    labels = sorted({found[i].label for i in order})
    if len(labels) < 2:
        raise DatasetError(f"{root}: only one genre ({labels[0]}) has readable images; training needs at least two")
    return Dataset(root, "images", spec, entries, [found[i] for i in order], order, labels, skipped,
                   decoded=len(todo), cached=len(use) - len(todo), ignored=ignored,
                   seconds=time.perf_counter() - t0)
