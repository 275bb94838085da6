"""Decode audio files (or arrays) into float32 mono signals, in bounded memory.

libsndfile (through ``soundfile``) reads wav, flac, ogg/vorbis, opus, mp3, aiff and au; everything else, and
everything libsndfile refuses, goes through PyAV (FFmpeg inside its wheels). Files are read in blocks of about
ten seconds: each block is downmixed to mono, repaired (NaN/inf -> 0), resampled by a streaming soxr resampler
and written into one preallocated output array, so a long file never sits in memory at its original rate and
channel count. Every failure is an :class:`~genrelab.errors.AudioError` with a one-line message naming the file.
"""

from __future__ import annotations

import os
import stat
import struct
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from genrelab.errors import AudioError
from genrelab.progress import CancelToken, ProgressFn, check_cancel, report

__all__ = ["SUPPORTED_EXTENSIONS", "Audio", "AudioInfo", "downmix", "from_array", "load", "probe", "stream_resampler"]

BLOCK_SECONDS = 10.0
_MAX_BLOCK_SAMPLES = 1 << 22  # frames * channels per block: 16 MiB of float32 at most
_MAX_PREALLOC_SECONDS = 4 * 3600  # a header promising more than this is trusted only as far as this
RESAMPLE_QUALITY = "HQ"  # soxr quality of every resampling into the model (files, live input, windows)

# Extensions libsndfile reads (mp3 only where the bundled libsndfile has the MPEG codec).
_SOUNDFILE_EXTENSIONS = frozenset(
    ".wav .wave .flac .ogg .oga .opus .aif .aiff .aifc .au .snd".split()
    + ([".mp3"] if "MP3" in sf.available_formats() else [])
)
# Extensions handed to PyAV (FFmpeg): compressed audio and the audio track of video files.
_PYAV_EXTENSIONS = frozenset(
    ".mp3 .mp2 .m4a .m4b .aac .mp4 .m4v .mov .3gp .mkv .mka .webm .wma .wmv .asf .avi .flv .ts .mts"
    " .ac3 .eac3 .dts .amr .ape .wv .tta .mpc .caf .spx".split()
)
SUPPORTED_EXTENSIONS: frozenset[str] = _SOUNDFILE_EXTENSIONS | _PYAV_EXTENSIONS


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says, read without decoding the audio."""

    path: Path
    duration_s: float
    sample_rate: int
    channels: int
    format: str  # "WAV", "FLAC", "MP3", "OGG", ... or "<CODEC> (PyAV)"


@dataclass
class Audio:
    """A decoded signal: float32 mono samples at ``sr`` Hz, plus where they came from."""

    samples: np.ndarray  # float32, 1-D, C-contiguous, finite
    sr: int
    source: Path | None = None
    original_sr: int = 0
    channels: int = 1  # channel count before the downmix
    flags: set[str] = field(default_factory=set)  # subset of {"truncated", "repaired"}

    @property
    def duration_s(self) -> float:
        """Length of ``samples`` in seconds."""
        return len(self.samples) / self.sr if self.sr else 0.0


# --------------------------------------------------------------------------------------------- public API


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Read duration, sample rate, channel count and format from a file's header (no full decode)."""
    path = _checked_path(path)
    try:
        with _quiet_c_stderr(_mpeg_suffix(path)):
            info = sf.info(str(path))
        if info.samplerate > 0 and info.channels > 0:
            return AudioInfo(path, info.frames / info.samplerate, info.samplerate, info.channels, info.format)
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError):
        pass
    av = _import_av(path)
    with _open_av(path, av) as container:
        stream = _audio_stream(path, container)
        if not (stream.rate or stream.codec_context.sample_rate) or not stream.channels:
            raise AudioError(f"{path.name}: {_unreadable_reason(path)}")  # e.g. a text file named .flac
        return AudioInfo(
            path,
            _av_duration(container, stream),
            stream.rate,
            stream.channels,
            f"{stream.codec_context.name.upper()} (PyAV)",
        )


def load(
    path: str | os.PathLike[str],
    sr: int | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Audio:
    """Decode ``path`` to float32 mono, resampled to ``sr`` Hz (``None`` keeps the file's rate).

    Progress is reported and ``cancel`` checked once per block (about ten seconds of audio); a set ``cancel``
    raises :class:`~genrelab.errors.Cancelled`. A file cut off mid-way gives what could be decoded, flagged
    ``"truncated"``; NaN/inf samples become 0, flagged ``"repaired"``.
    """
    path = _checked_path(path)
    if sr is not None and sr <= 0:
        raise ValueError(f"sample rate must be positive, got {sr}")
    report(progress, 0.0, f"decoding {path.name}")
    try:
        with _SoundfileReader(path) as reader:
            audio = _decode(reader, sr, path, progress, cancel)
    except _NotForSoundfile as exc:  # libsndfile refused the file or decoded nothing: FFmpeg's turn
        try:
            with _PyAVReader(path, soundfile_error=exc.reason) as reader:
                audio = _decode(reader, sr, path, progress, cancel)
        except AudioError:
            if exc.header_read:  # libsndfile understood the header: say why its decoder gave up
                raise AudioError(f"{path.name}: no audio could be decoded ({exc.reason})") from None
            raise
    report(progress, 1.0, f"decoded {path.name}")
    return audio


def from_array(
    samples: np.ndarray,
    sr: int,
    *,
    target_sr: int | None = None,
    source: str | os.PathLike[str] | None = None,
) -> Audio:
    """Wrap an in-memory signal, 1-D mono or 2-D ``(frames, channels)``, with the same rules as :func:`load`.

    Integer samples are scaled to [-1, 1) the way ``soundfile`` does; NaN/inf become 0 (flag ``"repaired"``).
    """
    name = Path(source).name if source is not None else "audio array"
    data = np.asarray(samples)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[1] == 0:
        raise AudioError(f"{name}: expected samples shaped (frames,) or (frames, channels), got {data.shape}")
    if data.shape[1] > 64 and data.shape[0] < data.shape[1]:
        raise AudioError(f"{name}: samples look like (channels, frames) {data.shape}; pass samples.T")
    if sr <= 0:
        raise AudioError(f"{name}: sample rate must be positive, got {sr}")
    if len(data) == 0:
        raise AudioError(f"{name}: no audio samples (0 frames)")
    if data.dtype.kind in "iu":
        info = np.iinfo(data.dtype)
        offset = (info.max + 1) // 2 if data.dtype.kind == "u" else 0
        scale = float(info.max - offset + 1)
        data = (data.astype(np.float32) - offset) / np.float32(scale)
    elif data.dtype.kind != "f":
        raise AudioError(f"{name}: samples must be numbers, got dtype {data.dtype}")
    writer = _MonoWriter(sr, target_sr or sr, len(data))
    step = _block_frames(sr, data.shape[1])
    for start in range(0, len(data), step):
        writer.push(np.asarray(data[start : start + step], dtype=np.float32))
    return Audio(
        writer.finish(),
        target_sr or sr,
        Path(source) if source is not None else None,
        sr,
        data.shape[1],
        writer.flags,
    )


# --------------------------------------------------------------------------------------------- the pipeline


class _MonoWriter:
    """Downmixes blocks, repairs non-finite samples, resamples in a stream, and fills one output array."""

    def __init__(self, in_sr: int, out_sr: int, expected_in_frames: int) -> None:
        self.in_sr, self.out_sr = in_sr, out_sr
        self.frames_in = 0
        self.flags: set[str] = set()
        self._resampler = stream_resampler(in_sr, out_sr)
        expected = min(max(expected_in_frames, 0), int(_MAX_PREALLOC_SECONDS * in_sr)) * out_sr / in_sr
        # Slack for codec padding and estimated lengths costs nothing: untouched pages of np.empty stay unmapped.
        self._out = np.empty(int(expected * 1.02 + 10 * out_sr), dtype=np.float32)
        self._n = 0

    def push(self, block: np.ndarray) -> None:
        """Add a float32 ``(frames, channels)`` block."""
        if len(block) == 0:
            return
        self.frames_in += len(block)
        mono = downmix(block)
        if not np.isfinite(mono).all():
            self.flags.add("repaired")
            mono = downmix(np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0))
            np.nan_to_num(mono, copy=False, nan=0.0, posinf=0.0, neginf=0.0)  # overflow in the mean
        if self._resampler is not None:
            mono = self._resampler.resample_chunk(mono, last=False)
        self._append(mono)

    def finish(self) -> np.ndarray:
        """Flush the resampler and return the output, trimmed to what was written."""
        if self._resampler is not None:
            self._append(self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
            self._resampler = None
        out, self._out = self._out, np.empty(0, dtype=np.float32)
        out.resize(self._n, refcheck=False)  # shrink in place: no second copy of a long signal
        return out

    def _append(self, chunk: np.ndarray) -> None:
        end = self._n + len(chunk)
        if end > len(self._out):  # the header promised much less than the file holds: grow by chunks
            self._out.resize(max(end, len(self._out) + len(self._out) // 8, 60 * self.out_sr), refcheck=False)
        self._out[self._n : end] = chunk
        self._n = end


def stream_resampler(in_sr: int, out_sr: int) -> soxr.ResampleStream | None:
    """The mono float32 resampler every path into the model uses (files, live input); None when no change."""
    if in_sr == out_sr:
        return None
    return soxr.ResampleStream(in_sr, out_sr, 1, dtype="float32", quality=RESAMPLE_QUALITY)


def downmix(block: np.ndarray) -> np.ndarray:
    """Mean of the channels of a float32 ``(frames, channels)`` block, as a contiguous float32 vector."""
    channels = block.shape[1]
    if channels == 1:
        return np.ascontiguousarray(block[:, 0])
    if channels == 2:  # the common case, ~3x faster than ndarray.mean over a short axis
        mono = block[:, 0] + block[:, 1]
        mono *= np.float32(0.5)
        return mono
    return block @ np.full(channels, 1.0 / channels, dtype=np.float32)


def _block_frames(sr: int, channels: int) -> int:
    """Frames per block: about ten seconds, fewer for many channels."""
    return max(1024, min(int(BLOCK_SECONDS * sr), _MAX_BLOCK_SAMPLES // max(channels, 1)))


def _decode(
    reader: _SoundfileReader | _PyAVReader,
    sr: int | None,
    path: Path,
    progress: ProgressFn | None,
    cancel: CancelToken | None,
) -> Audio:
    """Run a reader's blocks through a :class:`_MonoWriter`, reporting progress and checking cancel."""
    out_sr = sr or reader.sr
    writer = _MonoWriter(reader.sr, out_sr, reader.expected_frames)
    for block in reader.blocks():
        check_cancel(cancel)
        writer.push(block)
        if reader.expected_frames > 0:
            fraction = min(0.99, 0.99 * writer.frames_in / reader.expected_frames)  # 1.0 only when done
            report(progress, fraction, f"decoding {path.name}")
    check_cancel(cancel)
    if writer.frames_in == 0 and isinstance(reader, _SoundfileReader) and reader.failure is not None:
        raise _NotForSoundfile(reader.failure, header_read=True)
    if writer.frames_in == 0 and reader.failure is not None:
        raise AudioError(f"{path.name}: no audio could be decoded ({reader.failure})")
    if writer.frames_in == 0:
        raise AudioError(f"{path.name}: contains no audio (0 samples)")
    flags = set(writer.flags)
    if reader.failure is not None or _short_of(writer.frames_in, reader.promised_frames, reader.exact_length):
        flags.add("truncated")
    return Audio(writer.finish(), out_sr, path, reader.sr, reader.channels, flags)


def _short_of(decoded: int, promised: int | None, exact: bool) -> bool:
    """True when ``decoded`` frames fall short of what the header promised."""
    if not promised:
        return False
    if exact:
        return decoded < promised
    return decoded < promised * 0.98  # estimated durations (bitrate-based) are only roughly right


# --------------------------------------------------------------------------------------------- readers


class _NotForSoundfile(Exception):
    """libsndfile cannot open this file; try PyAV."""

    def __init__(self, reason: str, header_read: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.header_read = reason, header_read


class _SoundfileReader:
    """Blocks of float32 frames from libsndfile."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.failure: str | None = None
        if path.suffix.lower() not in _SOUNDFILE_EXTENSIONS and path.suffix.lower() in _PYAV_EXTENSIONS:
            raise _NotForSoundfile("not a libsndfile format")
        try:
            with _quiet_c_stderr(_mpeg_suffix(path)):
                self._file = sf.SoundFile(str(path))
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
            raise _NotForSoundfile(_one_line(exc)) from None
        except OSError as exc:
            raise AudioError(f"{path.name}: cannot read ({_one_line(exc.strerror or exc)})") from None
        self.sr, self.channels = self._file.samplerate, self._file.channels
        # mpg123 estimates the length of an MP3 without a Xing header; other formats state it exactly
        self.exact_length = self._file.format != "MP3"
        self._quiet = self._file.format == "MP3" or _mpeg_suffix(path)
        self.expected_frames = max(self._file.frames, 0)
        wav_frames = _wav_promised_frames(path) if self._file.format in ("WAV", "WAVEX") else None
        self.promised_frames: int | None = wav_frames if wav_frames is not None else self.expected_frames
        if self.sr <= 0 or self.channels <= 0:
            self._file.close()
            raise _NotForSoundfile("no sample rate or channels in the header")

    def blocks(self) -> Iterator[np.ndarray]:
        """Yield ``(frames, channels)`` float32 blocks; a decoder error ends the stream (``failure`` set)."""
        buffer = np.empty((_block_frames(self.sr, self.channels), self.channels), dtype=np.float32)
        while True:
            try:
                with _quiet_c_stderr(self._quiet):
                    block = self._file.read(len(buffer), dtype="float32", always_2d=True, out=buffer)
            except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
                self.failure = _one_line(exc)
                return
            if len(block) == 0:
                return
            yield block

    def __enter__(self) -> _SoundfileReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


class _PyAVReader:
    """Blocks of float32 frames from FFmpeg, through PyAV."""

    exact_length = False

    def __init__(self, path: Path, soundfile_error: str = "") -> None:
        self.path = path
        self.failure: str | None = None
        self._av = _import_av(path, soundfile_error)
        self._container = _open_av(path, self._av)
        try:
            self._stream = _audio_stream(path, self._container)
            self.sr = int(self._stream.rate or self._stream.codec_context.sample_rate or 0)
            self.channels = int(self._stream.channels or 0)
            if self.sr <= 0 or self.channels <= 0:
                raise AudioError(f"{path.name}: {_unreadable_reason(path)}")  # e.g. a text file named .flac
        except BaseException:
            self._container.close()
            raise
        self.expected_frames = int(round(_av_duration(self._container, self._stream) * self.sr))
        self.promised_frames: int | None = self.expected_frames or None
        self._converter: Any = None

    def blocks(self) -> Iterator[np.ndarray]:
        """Yield ``(frames, channels)`` float32 blocks of about ten seconds; decoder errors end the stream."""
        target = _block_frames(self.sr, self.channels)
        pending: list[np.ndarray] = []  # (channels, frames) pieces
        held = 0
        try:
            for frame in self._container.decode(self._stream):
                for data in self._planar_float(frame):
                    pending.append(data)
                    held += data.shape[1]
                if held >= target:
                    yield np.concatenate(pending, axis=1).T
                    pending, held = [], 0
        except (self._av.error.FFmpegError, OSError, ValueError, RuntimeError) as exc:
            self.failure = _one_line(exc)
        if pending:
            yield np.concatenate(pending, axis=1).T

    def _planar_float(self, frame: Any) -> Iterator[np.ndarray]:
        """A decoded frame as float32 ``(channels, frames)`` at the stream's rate and channel count."""
        if frame.format.name == "fltp" and frame.sample_rate == self.sr:  # most codecs: no conversion
            converted = [frame]
        else:  # integer or packed samples, or a mid-stream rate change: let FFmpeg convert
            if self._converter is None:
                self._converter = self._av.AudioResampler(format="fltp", rate=self.sr)
            converted = self._converter.resample(frame)
        for f in converted:
            data = np.stack([np.frombuffer(plane, np.float32, f.samples) for plane in f.planes])
            if data.shape[0] != self.channels:  # a mid-stream layout change: same mean, stream's count
                data = np.repeat(data.mean(axis=0, keepdims=True), self.channels, axis=0)
            yield data

    def __enter__(self) -> _PyAVReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._container.close()


# --------------------------------------------------------------------------------------------- helpers

_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_stderr_fd: int | None = None


def _mpeg_suffix(path: Path) -> bool:
    """Whether libsndfile would hand ``path`` to libmpg123 (which writes its notes to the terminal)."""
    return path.suffix.lower() in (".mp3", ".mp2", ".mpga")


@contextmanager
def _quiet_c_stderr(enabled: bool = True) -> Iterator[None]:
    """Point file descriptor 2 at the null device while a C decoder runs.

    libmpg123 (inside libsndfile) prints "Note: Illegal Audio-MPEG-Header", "Warning: Xing stream size off"
    and the like straight to fd 2, below Python; our own one-line messages say what matters. Nested and
    concurrent uses share one redirection (counted under a lock); Python's ``sys.stderr`` is flushed first so
    nothing already written is lost. Only MPEG files go through here, for the time of one open or one block.
    """
    global _quiet_depth, _saved_stderr_fd
    if not enabled:
        yield
        return
    with _quiet_lock:
        if _quiet_depth == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
                null = os.open(os.devnull, os.O_WRONLY)
            except (OSError, ValueError, AttributeError):  # no fd 2 (a windowed app): nothing to silence
                saved = None
            else:
                os.dup2(null, 2)
                os.close(null)
            _saved_stderr_fd = saved
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0 and _saved_stderr_fd is not None:
                os.dup2(_saved_stderr_fd, 2)
                os.close(_saved_stderr_fd)
                _saved_stderr_fd = None


def _checked_path(path: str | os.PathLike[str]) -> Path:
    """The path, if it names a readable, non-empty regular file; otherwise a clear AudioError."""
    path = Path(path)
    name = path.name or str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise AudioError(f"{name}: no such file") from None
    except OSError as exc:
        raise AudioError(f"{name}: cannot read ({_one_line(exc.strerror or exc)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise AudioError(f"{name}: is a directory, not an audio file")
    if st.st_size == 0:
        raise AudioError(f"{name}: file is empty (0 bytes)")
    if not os.access(path, os.R_OK):
        raise AudioError(f"{name}: permission denied")
    return path


def _wav_promised_frames(path: Path) -> int | None:
    """Frames the RIFF header of a WAV promises (libsndfile silently trims this to the file's size)."""
    try:
        with open(path, "rb") as f:
            riff = f.read(12)
            if len(riff) < 12 or riff[:4] not in (b"RIFF", b"RIFX") or riff[8:12] != b"WAVE":
                return None
            order = "<" if riff[:4] == b"RIFF" else ">"
            block_align = 0
            while chunk := f.read(8):
                if len(chunk) < 8:
                    return None
                cid, size = chunk[:4], struct.unpack(order + "I", chunk[4:])[0]
                if cid == b"fmt ":
                    fmt = f.read(size + (size & 1))
                    block_align = struct.unpack(order + "H", fmt[12:14])[0] if len(fmt) >= 14 else 0
                elif cid == b"data":
                    streaming = size in (0, 0xFFFFFFFF)  # written by a recorder that never came back
                    return None if streaming or not block_align else size // block_align
                else:
                    f.seek(size + (size & 1), os.SEEK_CUR)
    except OSError:
        return None
    return None


# First bytes of audio containers: wav (RIFF, RIFX, RF64), AIFF, FLAC, Ogg, ID3-tagged mp3, Sun au, CAF.
_AUDIO_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"FORM", b"fLaC", b"OggS", b"ID3", b".snd", b"caff")


def _starts_like_audio(path: Path) -> bool:
    """Whether the first bytes look like a known audio container (or an MP3 frame, or an MP4 'ftyp' box)."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    is_mp3_frame = len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
    return head.startswith(_AUDIO_MAGIC) or is_mp3_frame or head[4:8] == b"ftyp"


def _unreadable_reason(path: Path) -> str:
    """Why no decoder could open ``path``: a damaged audio file, or not audio at all."""
    if _starts_like_audio(path):
        return "damaged or cut-off audio file (cannot read its header)"
    return "not an audio file (no known audio header)"


def _import_av(path: Path, soundfile_error: str = "") -> ModuleType:
    """Import PyAV, or explain which package to install."""
    try:
        import av
    except ImportError:
        if path.suffix.lower() in _SOUNDFILE_EXTENSIONS and soundfile_error:  # libsndfile had its chance
            raise AudioError(f"{path.name}: {_unreadable_reason(path)}") from None
        raise AudioError(f"{path.name}: cannot decode this format; install PyAV (pip install av)") from None
    return av


def _open_av(path: Path, av: ModuleType) -> Any:
    """Open a container with PyAV, turning FFmpeg's complaints into an AudioError."""
    try:
        return av.open(str(path), metadata_errors="ignore")
    except (av.error.InvalidDataError, av.error.EOFError):  # EOFError: FFmpeg's probe ran out of a tiny file
        raise AudioError(f"{path.name}: {_unreadable_reason(path)}") from None
    except PermissionError:
        raise AudioError(f"{path.name}: permission denied") from None
    except (av.error.FFmpegError, OSError, ValueError, RuntimeError) as exc:
        raise AudioError(f"{path.name}: cannot open ({_one_line(exc)})") from None


def _audio_stream(path: Path, container: Any) -> Any:
    """The container's first audio stream, or an AudioError."""
    if not container.streams.audio:
        raise AudioError(f"{path.name}: not an audio file (no audio stream)")
    stream = container.streams.audio[0]
    stream.thread_type = "AUTO"
    return stream


def _av_duration(container: Any, stream: Any) -> float:
    """Stream duration in seconds from the container (0.0 when unknown)."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000  # av.time_base
    return 0.0


def _one_line(exc: object) -> str:
    """An exception's text on one line, without the noise some libraries add."""
    text = " ".join(str(exc).split())
    return text.removeprefix("Error : ").removeprefix("Error: ") or type(exc).__name__
