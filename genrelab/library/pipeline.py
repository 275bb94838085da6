"""Tag a music library: scan, decide what needs analysing, analyse it (decoding in a process pool, the model in
batches), and store every result as it comes.

:func:`tag_library` is what the CLI and the Library page call. :func:`analyse_track` is the per-track analysis
(windowed decode -> features -> model -> result) that every executor runs: the local one splits it between the
decoding processes and the model in the calling process; the Ray one runs it whole in actors.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genrelab.dsp import FeatureSpec
from genrelab.errors import GenreLabError, ModelError
from genrelab.library.scan import FileEntry, ScanResult, scan
from genrelab.library.store import LibraryStore, TrackResult, is_silent
from genrelab.library.windowed import Prepared, head_hash, prepare_track
from genrelab.model.span import span_window_spec
from genrelab.progress import CancelToken, ProgressFn, check_cancel, report

LOW_CONFIDENCE = 0.35  # as analysis.LOW_CONFIDENCE
DEFAULT_WINDOWS = 10


# --------------------------------------------------------------------------------------------- per track


def model_id_of(path: str | os.PathLike[str]) -> str:
    """The model's id: the first 16 hex digits of the SHA-256 of the model file."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the model file ({exc.strerror or exc})") from None
    return h.hexdigest()[:16]


def analysis_key(model_id: str, n_windows: int) -> str:
    """What a stored result depends on: the model and how many windows were analysed (``full``: every 0.5 s)."""
    return f"{model_id}:{'w' + str(n_windows) if n_windows > 0 else 'full'}"


@dataclass
class Prepped:
    """A decoding job's answer: the file, its head hash, and its model inputs or the reason it failed."""

    entry: FileEntry
    head: str | None
    prepared: Prepared | None = None
    error: str | None = None


def prepare_entry(entry: FileEntry, spec: FeatureSpec, n_windows: int) -> Prepped:
    """Decode and compute model inputs for one file; any failure becomes a one-line reason, never an exception."""
    try:
        head = head_hash(entry.path)
    except OSError as exc:
        return Prepped(entry, None, error=f"cannot read ({exc.strerror or type(exc).__name__})")
    try:
        return Prepped(entry, head, prepare_track(entry.path, spec, n_windows))
    except GenreLabError as exc:
        return Prepped(entry, head, error=_strip_name(str(exc), entry.path))
    except MemoryError:
        return Prepped(entry, head, error="not enough memory to decode it")
    except Exception as exc:  # noqa: BLE001 - a decoder's own bug must not stop a library run
        return Prepped(entry, head, error=f"unexpected decoder error: {type(exc).__name__}: {exc}".splitlines()[0])


def _strip_name(message: str, path: str) -> str:
    name = os.path.basename(path)
    return message[len(name) + 2:] if message.startswith(name + ": ") else message


def finish(p: Prepped, probs: np.ndarray | None, embedding: np.ndarray | None, labels: Sequence[str]) -> TrackResult:
    """A stored result from a decoding job's answer and the model's output for its windows."""
    e = p.entry
    if p.prepared is None or probs is None:
        return TrackResult(e.path, e.size, e.mtime_ns, p.head, False, error=p.error or "no windows")
    probs = np.asarray(probs, np.float32)
    mean = probs.mean(axis=0)
    flags = set(p.prepared.flags)
    if float(mean.max()) < LOW_CONFIDENCE or "silent" in flags:
        flags.add("low_confidence")
    emb = None if embedding is None else np.asarray(embedding, np.float32).mean(axis=0)
    return TrackResult(e.path, e.size, e.mtime_ns, p.head, True, duration_s=p.prepared.duration_s, mean=mean,
                       window_times=p.prepared.times, window_probs=probs, embedding=emb, flags=sorted(flags),
                       labels=list(labels))


def predict(engine, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(probabilities, embedding or None) from any engine, with or without ``predict_with_embedding``; a span
    model's inputs are windows with its context (:func:`genrelab.model.span.span_window_spec`)."""
    if getattr(engine, "is_span", False):
        from genrelab.model.span import predict_windows

        return predict_windows(engine, inputs)
    fn = getattr(engine, "predict_with_embedding", None)
    if fn is not None:
        return fn(inputs)
    return engine.predict(inputs), None


def analyse_track(entry: FileEntry | str, engine, n_windows: int = DEFAULT_WINDOWS) -> TrackResult:
    """The whole per-track analysis in one call (what a Ray actor runs): decode K windows, features, model."""
    if not isinstance(entry, FileEntry):
        st = os.stat(entry)
        entry = FileEntry(os.path.abspath(entry), st.st_size, st.st_mtime_ns)
    p = prepare_entry(entry, span_window_spec(engine.card), n_windows)
    if p.prepared is None:
        return finish(p, None, None, engine.card.labels)
    probs, emb = predict(engine, p.prepared.inputs)
    return finish(p, probs, emb, engine.card.labels)


# --------------------------------------------------------------------------------------------- executors


class LocalExecutor:
    """Decoding in a pool of ``jobs`` processes (0: in this process), the model here, in batches of about
    ``batch_windows`` windows gathered across tracks."""

    name = "local"

    def __init__(self, engine, n_windows: int, jobs: int | None = None, batch_windows: int = 64) -> None:
        self.engine, self.n_windows = engine, n_windows
        self.jobs = (os.cpu_count() or 1) if jobs is None else max(0, int(jobs))
        self.batch_windows = batch_windows
        self.spec: FeatureSpec = span_window_spec(engine.card)  # a span model's windows come with context
        self.labels = list(engine.card.labels)
        self.workers = DecodePool(self.jobs) if self.jobs > 0 else None

    def start(self) -> None:
        """Start the decoding processes now (so that start-up is not counted as analysis time)."""
        if self.workers is not None:
            self.workers.start()

    def close(self) -> None:
        """Stop the decoding processes."""
        if self.workers is not None:
            self.workers.close()

    def _model(self, batch: list[Prepped]) -> Iterator[TrackResult]:
        ready = [p for p in batch if p.prepared is not None and len(p.prepared.inputs)]
        for p in batch:
            if p.prepared is not None and not len(p.prepared.inputs):
                p.prepared, p.error = None, "no windows to analyse"
        outs: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
        if ready:
            probs, emb = predict(self.engine, np.concatenate([p.prepared.inputs for p in ready]))
            i = 0
            for p in ready:
                n = len(p.prepared.inputs)
                outs[id(p)] = (probs[i : i + n], None if emb is None else emb[i : i + n])
                i += n
        for p in batch:
            probs, emb = outs.get(id(p), (None, None))
            yield finish(p, probs, emb, self.labels)

    def run(self, entries: Sequence[FileEntry], cancel: CancelToken | None = None) -> Iterator[TrackResult]:
        """Results in completion order; stops early (without error) when ``cancel`` is set."""
        batch: list[Prepped] = []
        held = 0
        for p in self._prepared(entries, cancel):
            batch.append(p)
            held += len(p.prepared.inputs) if p.prepared is not None else 0
            if held >= self.batch_windows:
                yield from self._model(batch)
                batch, held = [], 0
        yield from self._model(batch)

    def _prepared(self, entries: Sequence[FileEntry], cancel: CancelToken | None) -> Iterator[Prepped]:
        if self.jobs == 0:
            for e in entries:
                if cancel is not None and cancel.is_set():
                    return
                yield prepare_entry(e, self.spec, self.n_windows)
            return
        yield from _pool_map(entries, self.spec, self.n_windows, self.workers, cancel)


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _warm() -> int:
    """A no-op job that makes a worker import the decoding code before the clock starts."""
    import genrelab.library.windowed  # noqa: F401

    return os.getpid()


class DecodePool:
    """A pool of ``jobs`` decoding processes, started (and warmed up) by :meth:`start`.

    The processes are spawned (the parent holds ONNX Runtime's threads, which a fork would copy in an unusable
    state) with single-threaded BLAS: their parallelism is the pool itself, and idle BLAS threads spinning in
    every worker made decoding three times as expensive on 2 cores.
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.pool: ProcessPoolExecutor | None = None
        self._saved: dict[str, str | None] | None = None

    def start(self) -> ProcessPoolExecutor:
        """The running pool (started now if needed, every worker warmed up)."""
        import multiprocessing as mp

        if self.pool is None:
            if self._saved is None:  # kept while the pool lives: workers are spawned on demand
                self._saved = {k: os.environ.get(k) for k in _THREAD_VARS}
                os.environ.update(dict.fromkeys(_THREAD_VARS, "1"))
            self.pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=mp.get_context("spawn"))
            for f in [self.pool.submit(_warm) for _ in range(2 * self.jobs)]:
                f.result()
        return self.pool

    def restart(self) -> ProcessPoolExecutor:
        """A fresh pool after a worker died."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
        return self.start()

    def close(self) -> None:
        """Stop the workers and restore the thread variables."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        if self._saved is not None:
            for k, v in self._saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            self._saved = None


def _pool_map(entries: Sequence[FileEntry], spec: FeatureSpec, n_windows: int, workers: DecodePool,
              cancel: CancelToken | None) -> Iterator[Prepped]:
    """prepare_entry over a process pool, a bounded number in flight. When a file crashes its decoding process,
    the files that were in flight are retried one at a time: the one that crashes alone is reported as failed,
    and the run goes on."""
    jobs = workers.jobs
    pool = workers.start()
    todo: deque[FileEntry] = deque(entries)
    suspects: deque[FileEntry] = deque()
    inflight: dict[Future, FileEntry] = {}
    try:
        while todo or suspects or inflight:
            if cancel is not None and cancel.is_set():
                for f in inflight:
                    f.cancel()
                return
            isolating = bool(suspects)
            if isolating and not inflight:
                e = suspects.popleft()
                inflight[pool.submit(prepare_entry, e, spec, n_windows)] = e
            while not isolating and todo and len(inflight) < 4 * jobs:
                e = todo.popleft()
                inflight[pool.submit(prepare_entry, e, spec, n_windows)] = e
            done, _ = wait(list(inflight), timeout=0.2, return_when=FIRST_COMPLETED)
            broken = False
            for f in done:
                e = inflight.pop(f)
                try:
                    yield f.result()
                except BrokenProcessPool:
                    broken = True
                    if isolating:
                        yield Prepped(e, None, error="the decoder crashed on this file")
                    else:
                        suspects.append(e)
            if broken:
                suspects.extend(inflight.values())  # they all fail with the pool
                inflight.clear()
                pool = workers.restart()
    finally:
        for f in inflight:
            f.cancel()


# --------------------------------------------------------------------------------------------- the run


def counts_line(analysed: int, failed: int, silent: int = 0) -> str:
    """How many files were analysed and how many failed, in words that add up (what the CLI and the Library
    page both say): ``"32 analysed, 4 failed of 36"``, ``"36 analysed (2 silent)"``, ``"0 analysed"``.

    ``analysed``: files analysed (silent ones included: they are analysed, they just have no genre);
    ``failed``: files that could not be analysed; ``silent``: how many of ``analysed`` are silent.
    """
    text = f"{analysed:,} analysed" + (f" ({silent:,} silent)" if silent else "")
    return text + (f", {failed:,} failed of {analysed + failed:,}" if failed else "")


@dataclass
class RunSummary:
    """What a :func:`tag_library` run did. ``analysed`` counts every file the run tried (failed ones too, the
    progress and the rate count them): :meth:`counts` says it in words."""

    db: str
    model_id: str
    analysis: str
    executor: str
    scanned: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    analysed: int = 0
    failed: int = 0
    silent: int = 0  # analysed, flagged silent (no genre)
    elapsed_s: float = 0.0
    analyse_s: float = 0.0  # the analysis alone (no scan, no executor start-up)
    cancelled: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)  # this run's (path, reason)
    missing: list[str] = field(default_factory=list)
    pruned: bool = False
    scan: ScanResult | None = None

    def counts(self) -> str:
        """``"32 analysed, 4 failed of 36"``: see :func:`counts_line`."""
        return counts_line(self.analysed - self.failed, self.failed, self.silent)

    @property
    def tracks_per_s(self) -> float:
        """Tracks analysed per second of analysis (scan and executor start-up not counted)."""
        return self.analysed / self.analyse_s if self.analyse_s > 0 else 0.0


@dataclass
class Plan:
    """Which scanned files need analysing."""

    new: list[FileEntry] = field(default_factory=list)
    changed: list[FileEntry] = field(default_factory=list)
    unchanged: int = 0
    touched: list[tuple[str, int, int]] = field(default_factory=list)  # same content, new mtime

    @property
    def todo(self) -> list[FileEntry]:
        return sorted(self.new + self.changed, key=lambda e: e.path)


def plan_run(store: LibraryStore, files: Iterable[FileEntry], analysis: str) -> Plan:
    """New files, changed files (size, or mtime and head hash) and files analysed another way (another model,
    another window count) need analysing; the rest is skipped."""
    known = store.known()
    plan = Plan()
    for e in files:
        k = known.get(e.path)
        if k is None:
            plan.new.append(e)
            continue
        size, mtime, head, how = k
        if how != analysis or size != e.size:
            plan.changed.append(e)
        elif mtime == e.mtime_ns:
            plan.unchanged += 1
        else:
            try:
                same = head is not None and head_hash(e.path) == head
            except OSError:
                same = False
            if same:
                plan.touched.append((e.path, e.size, e.mtime_ns))
                plan.unchanged += 1
            else:
                plan.changed.append(e)
    return plan


def _fmt_eta(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rem = divmod(seconds, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


def tag_library(
    roots: Sequence[str | os.PathLike[str]],
    store: LibraryStore,
    model: str | os.PathLike[str] | None = None,
    *,
    n_windows: int = DEFAULT_WINDOWS,
    jobs: int | None = None,
    threads: int | None = None,
    executor: str = "local",
    address: str | None = None,
    wait_for_lock: bool = False,
    commit_every: int = 32,
    commit_seconds: float = 1.0,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    on_result: Callable[[TrackResult], None] | None = None,
) -> RunSummary:
    """Scan ``roots``, analyse new and changed files with ``model`` and store the results in ``store``.

    ``n_windows`` windows per track spread over it (0: every window at hop 0.5 s), decoded by ``jobs`` processes
    (default: one per core; 0: in this process; the model then runs on ``threads`` threads, default 1), or by
    Ray actors with ``executor='ray'`` (``address``: an
    existing cluster, else a local one). Results are committed every ``commit_every`` tracks or
    ``commit_seconds``, so a run stopped in any way resumes where it stopped. Holds the library's writer lock
    (:class:`~genrelab.library.store.LibraryLocked` if another run has it, unless ``wait_for_lock``).
    ``progress(fraction, message)``: the message has tracks/s and the ETA. A set ``cancel`` stops the run after
    committing what is done and raises :class:`~genrelab.errors.Cancelled`.
    """
    from genrelab.model.engine import open_engine
    from genrelab.model.registry import default_model_path

    model_path = Path(model) if model is not None else default_model_path()
    if threads is None and executor == "local" and jobs != 0:
        threads = 1  # the cores are busy decoding: one model thread does the same work without spinning
    engine = open_engine(model_path, "onnx", "cpu", threads)
    mid = model_id_of(model_path)
    how = analysis_key(mid, n_windows)
    summary = RunSummary(str(store.path), mid, how, executor)
    with store.writer_lock(wait=wait_for_lock):
        t0 = time.perf_counter()
        store.add_model(mid, str(model_path), engine.card.labels, bool(getattr(engine, "has_embedding", False)))
        store.add_folders([r for r in roots if os.path.isdir(r)])
        report(progress, 0.0, "scanning")
        found = scan(roots, progress=progress, cancel=cancel)
        summary.scan = found
        summary.scanned = len(found.files)
        plan = plan_run(store, found.files, how)
        if plan.touched:
            store.touch(plan.touched)
        summary.new, summary.changed, summary.unchanged = len(plan.new), len(plan.changed), plan.unchanged
        summary.missing = store.missing([r for r in roots if os.path.isdir(r)])
        todo = plan.todo
        if executor == "local":
            ex = LocalExecutor(engine, n_windows, jobs)
        elif executor == "ray":
            from genrelab.library.ray_executor import RayExecutor

            ex = RayExecutor(model_path, n_windows, address=address, actors=jobs)
        else:
            raise GenreLabError(f"unknown executor {executor!r} (choose local or ray)")
        report(progress, 0.0, f"{len(todo)} to analyse ({summary.unchanged} unchanged)")
        pending: list[TrackResult] = []
        last_commit = t_start = time.perf_counter()

        def commit() -> None:
            nonlocal pending, last_commit
            if pending:
                store.put_results(pending, mid, how)
                pending = []
            last_commit = time.perf_counter()

        try:
            if todo and hasattr(ex, "start"):
                ex.start()
            t_start = time.perf_counter()
            for result in ex.run(todo, cancel):
                pending.append(result)
                summary.analysed += 1
                if not result.ok:
                    summary.failed += 1
                    summary.failures.append((result.path, result.error or "failed"))
                elif is_silent(result.flags):
                    summary.silent += 1
                if on_result is not None:
                    on_result(result)
                if len(pending) >= commit_every or time.perf_counter() - last_commit >= commit_seconds:
                    commit()
                elapsed = time.perf_counter() - t_start
                rate = summary.analysed / elapsed if elapsed > 0 else 0.0
                left = len(todo) - summary.analysed
                report(progress, summary.analysed / max(len(todo), 1),
                       f"{summary.analysed}/{len(todo)} tracks, {rate:.1f} tracks/s, ETA "
                       f"{_fmt_eta(left / rate) if rate > 0 else '?'}")
                if cancel is not None and cancel.is_set():
                    break
        finally:
            summary.analyse_s = time.perf_counter() - t_start
            commit()
            if hasattr(ex, "close"):
                ex.close()
        summary.elapsed_s = time.perf_counter() - t0
        if cancel is not None and cancel.is_set():
            summary.cancelled = True
            check_cancel(cancel)
    report(progress, 1.0, f"done: {summary.counts()}")
    return summary


def analyse_outside(path: str | os.PathLike[str], model: str | os.PathLike[str] | None = None,
                    n_windows: int = DEFAULT_WINDOWS) -> TrackResult:
    """Analyse one file that need not be in the library (for "similar to this file"); raises GenreLabError
    with the reason when it cannot be analysed."""
    from genrelab.model.engine import open_engine

    engine = open_engine(model, "onnx", "cpu")
    result = analyse_track(str(path), engine, n_windows)
    if not result.ok:
        raise GenreLabError(f"{Path(path).name}: {result.error}")
    return result


__all__ = ["LocalExecutor", "Plan", "RunSummary", "analyse_outside", "analyse_track", "analysis_key", "counts_line",
           "finish", "model_id_of", "plan_run", "prepare_entry", "tag_library"]
