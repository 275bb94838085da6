"""Takes: the recorder's input written to a FLAC (default) or WAV file by a writer thread, and crash recovery.

* Names never overwrite: a take is created with ``O_EXCL`` (``take-2026-11-29_18-30-05.flac``, then ``-2``...).
* The writer drains the ring buffer every 0.2 s and syncs the file once a second, so a crash or ``kill -9``
  loses at most the last ~0.3 s (what was still in the ring and in the FLAC encoder's current block).
* While a take is open, a journal entry (a small JSON file in the platform's data folder) names it. A clean stop
  removes the entry. An entry whose process is gone marks an unfinished take: :func:`recover_unfinished` (run when
  the app's Live page or ``genrelab record`` starts, as Audacity does after a crash) rewrites the readable audio
  into a proper file in place and says so. A killed WAV is readable as it is; a killed FLAC is readable by
  FFmpeg but states no length, which the repair fixes.
* A write error (a full disk) stops the take, closes the file and keeps everything written before it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from genrelab.audio.record import RecordError

if TYPE_CHECKING:
    from genrelab.audio.record import Recorder

ENV_RECORDINGS = "GENRELAB_RECORDINGS"
ENV_JOURNAL = "GENRELAB_TAKE_JOURNAL"
#: format name -> (libsndfile format, subtype, extension). 24 bits: an interface's full resolution, 16-bit inputs exactly.
FORMATS = {"flac": ("FLAC", "PCM_24", ".flac"), "wav": ("WAV", "PCM_24", ".wav")}
DRAIN_INTERVAL_S = 0.2
SYNC_INTERVAL_S = 1.0
WRITE_CHUNK = 4096  # frames per write call


def default_recordings_folder() -> Path:
    """$GENRELAB_RECORDINGS, else the platform's music folder + ``GenreLab`` (e.g. ~/Music/GenreLab)."""
    env = os.environ.get(ENV_RECORDINGS)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_music_dir

    return Path(user_music_dir()) / "GenreLab"


def journal_dir() -> Path:
    """Where open takes are noted ($GENRELAB_TAKE_JOURNAL, else e.g. ~/.local/share/GenreLab/unfinished-takes)."""
    env = os.environ.get(ENV_JOURNAL)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("GenreLab", appauthor=False)) / "unfinished-takes"


def format_for(path: Path | None, fmt: str | None) -> str:
    """The take format: ``fmt`` if given, else from ``path``'s extension, else FLAC. RecordError on a clash."""
    by_ext = {v[2]: k for k, v in FORMATS.items()}
    ext = path.suffix.lower() if path is not None else ""
    if fmt is not None and fmt not in FORMATS:
        raise RecordError(f"unknown format {fmt!r} (choose flac or wav)")
    if ext and ext not in by_ext:
        raise RecordError(f"{path.name}: takes are written as .flac or .wav")
    if fmt and ext and by_ext[ext] != fmt:
        raise RecordError(f"{path.name}: the extension says {by_ext[ext]}, --format says {fmt}")
    return fmt or by_ext.get(ext, "flac")


def create_take_file(target: Path, fmt: str, when: datetime | None = None) -> tuple[Path, int]:
    """Create the take's file without ever replacing one: (path, open fd).

    ``target`` is a folder (a new ``take-<date>_<time>`` name in it) or a file name (which must not exist).
    """
    ext = FORMATS[fmt][2]
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    if target.suffix.lower() in (".flac", ".wav"):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            return target, os.open(target, flags, 0o644)
        except FileExistsError:
            raise RecordError(f"{target} already exists: takes never overwrite a file; choose another name") from None
        except OSError as exc:
            raise RecordError(f"cannot create {target} ({exc.strerror})") from None
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordError(f"cannot use the recordings folder {target} ({exc.strerror})") from None
    stem = f"take-{(when or datetime.now()).strftime('%Y-%m-%d_%H-%M-%S')}"
    for n in range(1, 1000):
        path = target / f"{stem}{'' if n == 1 else f'-{n}'}{ext}"
        try:
            return path, os.open(path, flags, 0o644)
        except FileExistsError:
            continue
        except OSError as exc:
            raise RecordError(f"cannot create a take in {target} ({exc.strerror})") from None
    raise RecordError(f"too many takes named {stem} in {target}")


@dataclass
class TakeResult:
    """How a take ended: its file, length, dropouts during it, frames lost by a stalled writer, and the
    message of whatever stopped it early (None for a normal stop)."""

    path: Path
    seconds: float
    frames: int
    rate: int
    channels: int
    dropouts: int
    lost_frames: int
    error: str | None


class Take:
    """A writer thread draining a :class:`~genrelab.audio.record.Recorder`'s ring into a sound file.

    Use :func:`start_take`. ``stop()`` writes everything recorded up to that moment and closes the file.
    The take also ends by itself after ``max_frames``, when the device fails, or on a write error; ``done`` is
    set then and ``result`` holds the outcome.
    """

    def __init__(self, recorder: Recorder, path: Path, fd: int, fmt: str, max_frames: int | None,
                 start_frame: int) -> None:
        self.recorder = recorder
        self.path = path
        self.format = fmt
        self.rate, self.channels = recorder.rate, recorder.channels
        self.start_frame = start_frame
        self.max_frames = max_frames
        self.frames = 0
        self.lost_frames = 0
        self.error: str | None = None
        self.result: TakeResult | None = None
        self.done = threading.Event()
        self._stop_at: int | None = None
        self._wake = threading.Event()
        self._dropouts_at_start = recorder.dropouts
        sf_format, subtype, _ = FORMATS[fmt]
        self._journal = _journal_open(path, fmt, self.rate, self.channels)
        try:
            self._file = sf.SoundFile(fd, "w", samplerate=self.rate, channels=self.channels, format=sf_format,
                                      subtype=subtype, closefd=True)
        except Exception as exc:  # noqa: BLE001 - libsndfile errors
            os.close(fd)
            _journal_close(self._journal)
            path.unlink(missing_ok=True)
            raise RecordError(f"cannot write {path.name} ({exc})") from None
        self._thread = threading.Thread(target=self._run, name="genrelab-take-writer", daemon=True)
        self._thread.start()

    @property
    def seconds(self) -> float:
        return self.frames / self.rate

    @property
    def dropouts(self) -> int:
        return self.recorder.dropouts - self._dropouts_at_start

    def stop(self, timeout: float = 30.0) -> TakeResult:
        """Write what was recorded up to now, close the file and return the result."""
        if self._stop_at is None:
            self._stop_at = self.recorder.frames
        self._wake.set()
        self._thread.join(timeout)
        assert self.result is not None, "the take writer did not finish"
        return self.result

    # ---- the writer thread ----------------------------------------------------------------------------------
    def _run(self) -> None:
        ring = self.recorder.ring
        pos = self.start_frame
        last_sync = time.monotonic()
        try:
            while True:
                self._wake.wait(DRAIN_INTERVAL_S)
                self._wake.clear()
                failed = self.recorder.error is not None
                limit = self._limit()
                read = ring.read(pos, None if limit is None else limit - pos)
                pos = read.end
                self.lost_frames += read.lost
                if len(read.frames):
                    if not self._write(read.frames):
                        break
                if limit is not None and pos >= limit:
                    break
                if failed:  # the device is gone: everything it delivered is written now
                    self.error = self.recorder.error
                    break
                if time.monotonic() - last_sync >= SYNC_INTERVAL_S:
                    last_sync = time.monotonic()
                    self._sync()
        finally:
            if self.error is None and self.recorder.error is not None:  # the device failed during the take
                self.error = self.recorder.error
            self._close()

    def _limit(self) -> int | None:
        limits = [x for x in (self._stop_at,
                              None if self.max_frames is None else self.start_frame + self.max_frames) if x is not None]
        return min(limits) if limits else None

    def _write(self, frames: np.ndarray) -> bool:
        for i in range(0, len(frames), WRITE_CHUNK):  # small writes: after a failure, `frames` is what the file holds
            chunk = frames[i : i + WRITE_CHUNK]
            try:
                self._file.write(chunk)
            except Exception as exc:  # noqa: BLE001 - LibsndfileError / OSError: a full disk, a removed drive
                self.error = self._write_error(exc)
                return False
            self.frames += len(chunk)
        return True

    def _write_error(self, exc: BaseException) -> str:
        full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
        try:
            full = full or shutil.disk_usage(self.path.parent).free < (1 << 20)
        except OSError:
            pass
        reason = "the disk is full" if full else f"writing failed ({str(exc).strip().splitlines()[0] if str(exc) else type(exc).__name__})"
        return f"{reason}: the take {self.path.name} keeps the first {self.seconds:.1f} s"

    def _sync(self) -> None:
        try:
            self._file.flush()  # sf_write_sync: the file's pages reach the disk
        except Exception:  # noqa: BLE001,S110 - a failing sync shows up as a failing write next
            pass

    def _close(self) -> None:
        closed = True
        try:
            self._file.close()
        except Exception as exc:  # noqa: BLE001 - the header update failed (full disk): the audio stays readable
            closed = False
            if self.error is None:
                self.error = self._write_error(exc)
        if closed:
            _journal_close(self._journal)
        self.result = TakeResult(self.path, self.seconds, self.frames, self.rate, self.channels, self.dropouts,
                                 self.lost_frames, self.error)
        self.done.set()


def start_take(recorder: Recorder, target: Path | None = None, fmt: str | None = None, *,
               max_seconds: float | None = None, from_start: bool = False) -> Take:
    """Start writing ``recorder``'s input to a new file from now on (from its first frame with ``from_start``).

    ``target``: a folder (a new name in it; default :func:`default_recordings_folder`) or a new file name.
    ``max_seconds`` ends the take after exactly that much audio.
    """
    target = Path(target) if target is not None else default_recordings_folder()
    fmt = format_for(target if target.suffix and not target.is_dir() else None, fmt)  # a folder may have a dot
    path, fd = create_take_file(target, fmt)
    max_frames = None if max_seconds is None else int(round(max_seconds * recorder.rate))
    start = 0 if from_start else recorder.frames
    return Take(recorder, path, fd, fmt, max_frames, start)


# ---- the journal of open takes ------------------------------------------------------------------------------
def _journal_open(path: Path, fmt: str, rate: int, channels: int) -> Path | None:
    folder = journal_dir()
    entry = folder / f"{uuid.uuid4().hex}.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        entry.write_text(json.dumps({"path": str(path.resolve()), "format": fmt, "rate": rate, "channels": channels,
                                     "pid": os.getpid(), "started": datetime.now().isoformat(timespec="seconds")}))
    except OSError:
        return None  # no journal (read-only data folder): the take itself is still written
    _OPEN_ENTRIES.add(entry.name)
    return entry


def _journal_close(entry: Path | None) -> None:
    if entry is not None:
        entry.unlink(missing_ok=True)
        _OPEN_ENTRIES.discard(entry.name)


_OPEN_ENTRIES: set[str] = set()  # this process's open takes (their entries are not unfinished)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own entries that are still open are skipped by name
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


@dataclass
class Recovery:
    """One unfinished take found at start-up: repaired (``seconds`` of audio kept) or why not."""

    path: Path
    seconds: float
    ok: bool
    message: str


def unfinished_takes() -> list[tuple[Path, dict]]:
    """Journal entries (entry file, contents) of takes whose process ended without closing them."""
    folder = journal_dir()
    if not folder.is_dir():
        return []
    out = []
    for entry in sorted(folder.glob("*.json")):
        if entry.name in _OPEN_ENTRIES:
            continue
        try:
            data = json.loads(entry.read_text())
            pid = int(data["pid"])
            Path(data["path"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if not _alive(pid):
            out.append((entry, data))
    return out


def recover_unfinished() -> list[Recovery]:
    """Repair every unfinished take in place (what could be read is kept) and clear its journal entry."""
    results = []
    for entry, data in unfinished_takes():
        path = Path(data["path"])
        if not path.exists():
            entry.unlink(missing_ok=True)
            continue
        try:
            seconds = repair_take(path, data.get("format", "flac"))
        except RecordError as exc:
            if path.stat().st_size > 4096:  # real audio we could not read: left for the user, entry kept
                results.append(Recovery(path, 0.0, False, str(exc)))
                continue
            seconds = 0.0  # killed before the first block reached the file: only a header
        entry.unlink(missing_ok=True)
        if seconds <= 0:
            path.unlink(missing_ok=True)
            results.append(Recovery(path, 0.0, True, f"an unfinished take {path.name} held no audio: removed"))
        else:
            results.append(Recovery(path, seconds, True,
                                    f"recovered an unfinished take: {path} ({seconds:.1f} s)"))
    return results


def _read_blocks(path: Path):  # noqa: ANN202 - a generator of (rate, channels, block)
    """Decode a take that may end mid-frame: PyAV (FFmpeg) reads to the last whole frame; float32 blocks."""
    import av

    try:
        container = av.open(str(path))
    except Exception as exc:  # noqa: BLE001 - av.error.* flavours
        raise RecordError(f"{path.name}: cannot be read for recovery ({str(exc).splitlines()[0]})") from None
    with container:
        streams = container.streams.audio
        if not streams:
            raise RecordError(f"{path.name}: no audio stream to recover")
        stream = streams[0]
        resampler = av.AudioResampler(format="flt", layout=stream.layout, rate=stream.rate)
        channels = stream.channels
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    yield stream.rate, channels, out.to_ndarray().reshape(-1, channels)
        except Exception:  # noqa: BLE001,S110 - the cut-off end: keep what decoded before it
            return


def repair_take(path: Path, fmt: str = "flac") -> float:
    """Rewrite a take cut off by a crash as a proper file (same name, format and rate); returns its seconds."""
    sf_format, subtype, _ = FORMATS.get(fmt, FORMATS["flac"])
    tmp = path.with_name(f".{path.name}.repairing")
    frames = 0
    out = None
    try:
        for rate, channels, block in _read_blocks(path):
            if out is None:
                out = sf.SoundFile(tmp, "w", samplerate=rate, channels=channels, format=sf_format, subtype=subtype)
            out.write(block)
            frames += len(block)
    except (OSError, sf.LibsndfileError) as exc:
        if out is not None:
            out.close()
        tmp.unlink(missing_ok=True)
        raise RecordError(f"{path.name}: could not repair ({exc}); the file is left as it was") from None
    if out is None:
        return 0.0
    rate = out.samplerate
    out.close()
    os.replace(tmp, path)
    return frames / rate
