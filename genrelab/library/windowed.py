"""Decode only what K model windows need, and turn it into model inputs with the analysis' own feature code.

A 4-minute MP3 tagged with 10 windows needs about 33 s of its audio: each window's span (plus a short margin for
the resampler and the decoder to settle) is read after a seek, resampled to the model's rate and placed at its
exact sample position in the track, so the STFT frames, Mel bands and dB of every window are those
:func:`genrelab.analysis.analyse` computes for the same window of the whole decoded track (the same functions:
:func:`~genrelab.dsp.spectrum.power_frames`, the Mel filter bank, :func:`~genrelab.dsp.spectrum.power_to_db`,
:func:`~genrelab.dsp.windows.model_inputs`). Short tracks, and files a seek cannot be trusted on, are decoded whole
with :func:`genrelab.audio.load` instead.

Nothing here imports ONNX Runtime: this runs in the decoding processes.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from genrelab.audio import load
from genrelab.audio.decode import RESAMPLE_QUALITY, _mpeg_suffix, _quiet_c_stderr, downmix
from genrelab.dsp import FeatureSpec, model_inputs, track_features, window_centres, window_starts
from genrelab.dsp import windows as dsp_windows
from genrelab.dsp.spectrum import mel_filterbank, n_frames, power_frames, power_to_db
from genrelab.errors import AudioError

HEAD_BYTES = 1 << 20  # the content hash covers the first MB
MARGIN_S = 0.1  # decoded on both sides of a window's span: the resampler and the decoder settle there
SILENCE_RMS = 1e-4  # as analysis.SILENCE_RMS


@dataclass
class Prepared:
    """One track's model inputs and what is known about the file, ready for the model.

    Attributes:
        path: the file.
        duration_s: track length (from the header when only windows were decoded).
        inputs: (K, C, H, W) float32 model inputs.
        times: window centre times in seconds (K,).
        flags: e.g. {"short", "silent", "truncated", "repaired"}.
        mode: how it was decoded: "windows" (seek), "whole" (short track or fallback) or "full" (every window).
        decoded_s: seconds of audio actually decoded.
    """

    path: str
    duration_s: float
    inputs: np.ndarray
    times: np.ndarray
    flags: set[str] = field(default_factory=set)
    mode: str = "windows"
    decoded_s: float = 0.0


def head_hash(path: str | os.PathLike[str], n_bytes: int = HEAD_BYTES) -> str:
    """blake2b (16 bytes, hex) of the first ``n_bytes`` of a file."""
    with open(path, "rb") as f:
        return hashlib.blake2b(f.read(n_bytes), digest_size=16).hexdigest()


def choose_starts(n_columns: int, spec: FeatureSpec, n_windows: int) -> np.ndarray:
    """First columns of ``n_windows`` windows spread over a track of ``n_columns`` feature columns.

    The track is cut into ``n_windows`` equal slices and a window is centred in each (so intros and fades weigh no
    more than the rest); fewer windows when the track is too short to hold them apart. ``n_windows <= 0`` means
    every window at the analysis' default hop (0.5 s).
    """
    width = spec.window_columns
    if n_columns < width:
        return np.zeros(0, np.int64)
    if n_windows <= 0:
        return window_starts(n_columns, spec, 0.5)
    last = n_columns - width
    positions = (np.arange(n_windows) + 0.5) / n_windows * last
    return np.unique(np.round(positions).astype(np.int64))


def prepare_track(path: str | os.PathLike[str], spec: FeatureSpec, n_windows: int = 10) -> Prepared:
    """Model inputs for ``n_windows`` windows of ``path`` (every window at hop 0.5 s when ``n_windows <= 0``).

    Raises :class:`~genrelab.errors.AudioError` (one line) for files that cannot be decoded.
    """
    path = Path(path)
    if n_windows > 0:
        try:
            seekable = _SeekableSource.open(path)
        except AudioError:
            raise
        except Exception:  # noqa: BLE001 - anything odd: the whole-file path gives the proper message
            seekable = None
        if seekable is not None:
            with seekable:
                # seeking pays off when the windows cover well under the whole track
                if seekable.duration_s > 2.0 * n_windows * (spec.window_s + 2 * MARGIN_S):
                    try:
                        return _prepare_by_seeking(path, seekable, spec, n_windows)
                    except Exception:  # noqa: BLE001 - a damaged stream: decode it whole, which says why
                        pass
    return _prepare_whole(path, spec, n_windows)


# --------------------------------------------------------------------------------------------- whole file


def _prepare_whole(path: Path, spec: FeatureSpec, n_windows: int) -> Prepared:
    """Decode the whole file (as analyse_file does) and cut the chosen windows from its features."""
    audio = load(path, sr=spec.sr)
    y = audio.samples
    duration = len(y) / spec.sr
    if duration < spec.min_duration_s:
        raise AudioError(f"{path.name}: too short to analyse ({duration:.2f} s; needs at least "
                         f"{spec.min_duration_s:g} s)")
    flags = set(audio.flags)
    width = int(round(spec.window_s * spec.sr))
    if len(y) < width:
        y = np.pad(y, (0, width - len(y)))
        flags.add("short")
    if float(np.sqrt(np.dot(y, y) / len(y))) < SILENCE_RMS:
        flags.add("silent")
    feats = track_features(y, spec)
    starts = choose_starts(feats.n_columns, spec, n_windows)
    inputs = model_inputs(dsp_windows.cut(feats.db, starts, spec), spec)
    times = window_centres(feats.frames, starts, spec)
    return Prepared(str(path), duration, inputs, times, flags, "full" if n_windows <= 0 else "whole", duration)


# --------------------------------------------------------------------------------------------- seeking


class _SeekableSource:
    """A file opened for reading spans of frames at any position: libsndfile, else PyAV."""

    def __init__(self) -> None:
        self.sr = 0
        self.channels = 0
        self.frames = 0
        self.flags: set[str] = set()

    @property
    def duration_s(self) -> float:
        return self.frames / self.sr if self.sr else 0.0

    @staticmethod
    def open(path: Path) -> _SeekableSource | None:
        from genrelab.audio.decode import _PYAV_EXTENSIONS, _SOUNDFILE_EXTENSIONS, _checked_path

        _checked_path(path)
        suffix = path.suffix.lower()
        if suffix in _SOUNDFILE_EXTENSIONS:
            try:
                return _SoundfileSource(path)
            except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
                pass
        if suffix in _PYAV_EXTENSIONS or suffix in _SOUNDFILE_EXTENSIONS:
            try:
                return _PyAVSource(path)
            except Exception:  # noqa: BLE001
                return None
        return None

    def read(self, start: int, n: int) -> np.ndarray:
        """Mono float32 frames [start, start + n) at the file's rate (fewer at the end of the file)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file."""

    def __enter__(self) -> _SeekableSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _mono(block: np.ndarray) -> np.ndarray:
    mono = downmix(np.ascontiguousarray(block, dtype=np.float32))
    if not np.isfinite(mono).all():
        mono = np.nan_to_num(mono, nan=0.0, posinf=0.0, neginf=0.0)
    return mono


class _SoundfileSource(_SeekableSource):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self._quiet = _mpeg_suffix(path)
        with _quiet_c_stderr(self._quiet):  # libmpg123 writes "Note: Illegal Audio-MPEG-Header" to fd 2
            self._file = sf.SoundFile(str(path))
        self._quiet = self._quiet or self._file.format == "MP3"
        self.sr, self.channels, self.frames = self._file.samplerate, self._file.channels, max(self._file.frames, 0)
        if self.sr <= 0 or self.channels <= 0 or self.frames <= 0 or not self._file.seekable():
            self._file.close()
            raise ValueError("not seekable")

    def read(self, start: int, n: int) -> np.ndarray:
        with _quiet_c_stderr(self._quiet):  # and "Warning: Xing stream size off" for a cut-off MP3
            self._file.seek(min(start, self.frames))
            block = self._file.read(n, dtype="float32", always_2d=True)
        if len(block) < n and start + n <= self.frames:
            self.flags.add("truncated")
        return _mono(block)

    def close(self) -> None:
        self._file.close()


class _PyAVSource(_SeekableSource):
    def __init__(self, path: Path) -> None:
        super().__init__()
        import av

        from genrelab.audio.decode import _av_duration

        self._av = av
        self._container = av.open(str(path), metadata_errors="ignore")
        try:
            if not self._container.streams.audio:
                raise ValueError("no audio stream")
            self._stream = self._container.streams.audio[0]
            self.sr = int(self._stream.rate or 0)
            self.channels = int(self._stream.channels or 0)
            self.frames = int(_av_duration(self._container, self._stream) * self.sr)
            if self.sr <= 0 or self.channels <= 0 or self.frames <= 0 or self._stream.time_base is None:
                raise ValueError("no rate, channels or duration")
        except BaseException:
            self._container.close()
            raise
        self._resampler = av.AudioResampler(format="fltp", rate=self.sr)  # the mean of the channels: ours

    def read(self, start: int, n: int) -> np.ndarray:
        tb = self._stream.time_base
        self._container.seek(int(start / self.sr / tb), stream=self._stream, backward=True, any_frame=False)
        out = np.zeros(n, np.float32)
        got_end = 0
        for frame in self._container.decode(self._stream):
            if frame.pts is None:
                continue
            first = int(round(float(frame.pts * tb) * self.sr))
            same = frame.format.name == "fltp" and frame.sample_rate == self.sr
            for f in [frame] if same else self._resampler.resample(frame):
                planes = f.to_ndarray()
                data = planes.mean(axis=0, dtype=np.float32) if planes.shape[0] > 1 else planes[0]
                lo, hi = first - start, first - start + len(data)
                a, b = max(lo, 0), min(hi, n)
                if b > a:
                    out[a:b] = data[a - lo : b - lo]
                    got_end = max(got_end, b)
                first += len(data)
            if first - start >= n:
                break
        return np.nan_to_num(out[:got_end], nan=0.0, posinf=0.0, neginf=0.0)

    def close(self) -> None:
        self._container.close()


def _prepare_by_seeking(path: Path, src: _SeekableSource, spec: FeatureSpec, n_windows: int) -> Prepared:
    """Decode each window's span after a seek and compute its features exactly where the whole track has them."""
    sr_out, hop = spec.sr, spec.hop_length
    offset_pad = spec.n_fft // 2 if spec.center else 0
    g = math.gcd(src.sr, sr_out)
    step_in, step_out = src.sr // g, sr_out // g  # seek positions whose output sample index is an integer
    n_out = int(src.frames * sr_out / src.sr)
    frames_all = spec.column_frames(n_frames(n_out, spec))
    starts = choose_starts(len(frames_all), spec, n_windows)
    width = spec.window_columns
    fb = mel_filterbank(sr_out, spec.n_fft, spec.n_mels, spec.fmin, spec.fmax) if spec.kind == "mel" else None
    margin = int(MARGIN_S * sr_out)
    dbs = np.empty((len(starts), spec.n_bins, width), np.float32)
    energy, count, decoded = 0.0, 0, 0
    for i, c in enumerate(starts):
        frames = frames_all[c : c + width]
        lo = int(frames[0]) * hop - offset_pad - margin  # output samples this window reads, with margins
        hi = int(frames[-1]) * hop - offset_pad + spec.n_fft + margin
        k0 = max(lo, 0) // step_out  # seek to an input frame that maps to a whole output sample
        in_start, out_start = k0 * step_in, k0 * step_out
        n_in = int(math.ceil((hi - out_start) * src.sr / sr_out)) + 1
        x = src.read(in_start, n_in)
        decoded += len(x)
        y = soxr.resample(x, src.sr, sr_out, quality=RESAMPLE_QUALITY) if src.sr != sr_out else x
        y = np.asarray(y, np.float32)
        # place the span at its position: samples before out_start are never read by this window's frames
        base = (out_start // hop) * hop
        seg = np.concatenate([np.zeros(out_start - base, np.float32), y])
        power = power_frames(seg, frames - base // hop, spec)
        if fb is not None:
            power = fb @ power
        dbs[i] = power_to_db(power)
        core = y[max(lo, 0) - out_start + margin : hi - out_start - margin]
        energy += float(np.dot(core, core))
        count += len(core)
    inputs = model_inputs(dbs, spec)
    times = window_centres(frames_all, starts, spec)
    flags = set(src.flags)
    if count and math.sqrt(energy / count) < SILENCE_RMS:
        flags.add("silent")
    return Prepared(str(path), src.duration_s, inputs, times, flags, "windows", decoded / src.sr)
