"""Run the per-track analysis on Ray actors (``pip install 'genrelab[cluster]'``).

Each actor holds one ONNX Runtime session for its whole life and runs :func:`~genrelab.library.pipeline.analyse_track`
(the same per-track function as everywhere) on the files it is sent; results come back to the driver, which alone
writes the SQLite store, so resume, incremental runs and undo behave exactly as with the local executor. The
model file is shipped to the actors by the driver (through Ray's object store); the audio files are read by the
actors at the driver's paths, so on a real cluster every node must see the library at the same path (a shared
mount) and have GenreLab installed.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from genrelab.errors import GenreLabError
from genrelab.library.scan import FileEntry
from genrelab.library.store import TrackResult
from genrelab.progress import CancelToken

CHUNK = 4  # files per actor call: few enough to keep progress smooth, enough to hide the call overhead


class _TrackAnalyser:
    """A Ray actor: one ONNX session, kept loaded; analyses lists of files."""

    def __init__(self, model_bytes: bytes, model_name: str, n_windows: int, threads: int = 1) -> None:
        from genrelab.model.engine import OnnxEngine

        self._dir = tempfile.mkdtemp(prefix="genrelab-ray-")
        path = Path(self._dir) / model_name
        path.write_bytes(model_bytes)
        self.engine = OnnxEngine(path, device="cpu", threads=threads)
        self.n_windows = n_windows

    def analyse(self, entries: list[FileEntry]) -> list[TrackResult]:
        from genrelab.library.pipeline import analyse_track

        return [analyse_track(e, self.engine, self.n_windows) for e in entries]


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """A clear error now, rather than Ray retrying for minutes, when ``host:port`` does not answer."""
    import socket

    if "://" in address or address == "auto" or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except (OSError, ValueError) as exc:
        raise GenreLabError(f"cannot reach a Ray cluster at {address} ({exc.strerror or exc}); is `ray start "
                            "--head` running there?") from None


def _import_ray():
    try:
        import ray
    except ImportError:
        raise GenreLabError("--executor ray needs Ray: pip install 'genrelab[cluster]'") from None
    return ray


class RayExecutor:
    """Actors on an existing Ray cluster (``address``) or on a local Ray started for the run (``actors`` CPUs,
    default: all cores), one actor per CPU unless ``actors`` says otherwise."""

    name = "ray"

    def __init__(self, model_path: str | os.PathLike[str], n_windows: int, *, address: str | None = None,
                 actors: int | None = None) -> None:
        ray = _import_ray()
        self.ray = ray
        self._owns = False
        if not ray.is_initialized():
            kwargs = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                          configure_logging=True)
            try:
                if address:
                    _check_reachable(address)
                    ray.init(address=address, **kwargs)
                else:
                    ray.init(num_cpus=actors or os.cpu_count() or 1, **kwargs)
            except GenreLabError:
                raise
            except Exception as exc:  # noqa: BLE001 - connection errors come in many types
                raise GenreLabError(f"cannot start or reach Ray{f' at {address}' if address else ''}: "
                                    f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
            self._owns = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        n = max(1, actors or cpus)
        model_path = Path(model_path)
        ref = ray.put(model_path.read_bytes())
        actor_cls = ray.remote(num_cpus=1)(_TrackAnalyser)
        self.actors = [actor_cls.remote(ref, model_path.name, n_windows) for _ in range(n)]

    def run(self, entries: Sequence[FileEntry], cancel: CancelToken | None = None) -> Iterator[TrackResult]:
        """Results as actors finish them; two calls in flight per actor; stops sending when ``cancel`` is set."""
        ray = self.ray
        chunks = [list(entries[i : i + CHUNK]) for i in range(0, len(entries), CHUNK)]
        chunks.reverse()
        inflight: dict = {}
        idle = [a for a in self.actors for _ in range(2)]
        while chunks or inflight:
            while chunks and idle and not (cancel is not None and cancel.is_set()):
                actor = idle.pop()
                inflight[actor.analyse.remote(chunks.pop())] = actor
            if not inflight:
                return
            done, _ = ray.wait(list(inflight), num_returns=1, timeout=0.5)
            for ref in done:
                idle.append(inflight.pop(ref))
                try:
                    results = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - an actor died: its files are reported, not lost
                    raise GenreLabError(f"a Ray worker failed: {str(exc).splitlines()[0]}") from None
                yield from results

    def close(self) -> None:
        """Stop the actors (and the local Ray this executor started)."""
        for a in self.actors:
            try:
                self.ray.kill(a)
            except Exception:  # noqa: BLE001, S110 - already gone
                pass
        self.actors = []
        if self._owns:
            self.ray.shutdown()
