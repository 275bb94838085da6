"""Power spectra, Mel spectra and dB for a whole track, computed once and in bounded memory.

One implementation, used by inference, training and the GUI's views. It matches librosa's
``melspectrogram`` / ``stft`` (centred frames, zero padding, periodic window, slaney Mel filters) and only
computes the frames a :class:`FeatureSpec` keeps, so a frame stride of 3.34 costs a third of the FFTs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.fft

from genrelab.dsp.spec import FeatureSpec
from genrelab.progress import CancelToken, ProgressFn, check_cancel, report

AMIN = 1e-10  # power floor before the log, as librosa.power_to_db


def n_frames(n_samples: int, spec: FeatureSpec) -> int:
    """Number of STFT frames of a signal of ``n_samples`` samples."""
    if spec.center:
        return 1 + n_samples // spec.hop_length
    return max(0, 1 + (n_samples - spec.n_fft) // spec.hop_length)


@lru_cache(maxsize=16)
def analysis_window(name: str, win_length: int, n_fft: int) -> np.ndarray:
    """Periodic window of ``win_length`` samples, zero-padded to ``n_fft`` (centred), float32."""
    if name in ("hann", "hanning"):  # numpy's formula: importing scipy.signal costs ~2 s of CLI start-up
        w = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win_length) / win_length)).astype(np.float32)
    else:
        import scipy.signal

        w = scipy.signal.get_window(name, win_length, fftbins=True).astype(np.float32)
    if win_length < n_fft:
        left = (n_fft - win_length) // 2
        w = np.pad(w, (left, n_fft - win_length - left))
    return w


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's Mel scale (librosa's default, htk=False): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log = hz >= 1000.0
    mel[log] = 15.0 + np.log(hz[log] / 1000.0) / (np.log(6.4) / 27.0)
    return mel


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    hz = mel * (200.0 / 3)
    log = mel >= 15.0
    hz[log] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel[log] - 15.0))
    return hz


@lru_cache(maxsize=16)
def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None) -> np.ndarray:
    """Slaney-normalised Mel filter bank (n_mels, n_fft // 2 + 1), float32.

    The same numbers as ``librosa.filters.mel(htk=False, norm="slaney")`` (tested), in numpy: importing
    librosa costs seconds of start-up.
    """
    fmax = float(sr) / 2 if fmax is None else fmax
    fft_hz = np.fft.rfftfreq(n_fft, d=1.0 / sr)
    mel_hz = _mel_to_hz(np.linspace(_hz_to_mel(np.array([fmin]))[0], _hz_to_mel(np.array([fmax]))[0], n_mels + 2))
    fdiff = np.diff(mel_hz)
    ramps = np.subtract.outer(mel_hz, fft_hz)
    weights = np.zeros((n_mels, n_fft // 2 + 1), np.float32)
    for i in range(n_mels):
        weights[i] = np.maximum(0, np.minimum(-ramps[i] / fdiff[i], ramps[i + 2] / fdiff[i + 1]))
    weights *= (2.0 / (mel_hz[2 : n_mels + 2] - mel_hz[:n_mels]))[:, None]
    return weights


def band_frequencies(spec: FeatureSpec) -> np.ndarray:
    """Centre frequency (Hz) of each row of a feature array made with ``spec``: Mel band centres (the peaks of
    :func:`mel_filterbank`'s triangles) or FFT bin frequencies."""
    if spec.kind == "stft":
        return np.arange(spec.n_bins) * (spec.sr / spec.n_fft)
    fmax = float(spec.sr) / 2 if spec.fmax is None else spec.fmax
    edges = np.linspace(_hz_to_mel(np.array([spec.fmin]))[0], _hz_to_mel(np.array([fmax]))[0], spec.n_mels + 2)
    return _mel_to_hz(edges)[1:-1]


def power_frames(y: np.ndarray, frames: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """|STFT|^2 (n_fft // 2 + 1, len(frames)) of mono ``y`` at the given frame indices, float32."""
    y = np.asarray(y, dtype=np.float32)
    n_fft, hop = spec.n_fft, spec.hop_length
    offset = n_fft // 2 if spec.center else 0
    if len(frames) == 0:
        return np.zeros((n_fft // 2 + 1, 0), np.float32)
    lo = int(frames[0]) * hop - offset
    hi = int(frames[-1]) * hop - offset + n_fft
    seg = np.zeros(hi - lo, np.float32)  # the span these frames touch, zero-padded past the signal's ends
    a, b = max(lo, 0), min(hi, len(y))
    if b > a:
        seg[a - lo : b - lo] = y[a:b]
    idx = (np.asarray(frames) * hop - offset - lo)[:, None] + np.arange(n_fft)[None, :]
    block = seg[idx]
    block *= analysis_window(spec.window, spec.win_length, n_fft)
    spectrum = scipy.fft.rfft(block, axis=1, workers=-1)
    power = spectrum.real**2 + spectrum.imag**2
    return np.ascontiguousarray(power.T, dtype=np.float32)


def power_to_db(power: np.ndarray) -> np.ndarray:
    """10 * log10(max(power, 1e-10)), float32 (absolute dB; scaling happens per window)."""
    return (10.0 * np.log10(np.maximum(power, AMIN))).astype(np.float32, copy=False)


@dataclass
class TrackFeatures:
    """The whole track's feature array in absolute dB.

    Attributes:
        db: (n_bins, n_columns) float32, row 0 = lowest band.
        frames: STFT frame index of each column.
        spec: the spec that made it.
    """

    db: np.ndarray
    frames: np.ndarray
    spec: FeatureSpec

    @property
    def times(self) -> np.ndarray:
        """Centre time (s) of each column."""
        return self.frames * (self.spec.hop_length / self.spec.sr)

    @property
    def n_columns(self) -> int:
        return int(self.db.shape[1])


def track_features(
    y: np.ndarray,
    spec: FeatureSpec,
    *,
    chunk_frames: int = 1024,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> TrackFeatures:
    """Compute the spec's features (Mel or STFT power in dB) for a whole mono signal at ``spec.sr``.

    Memory stays bounded: frames are transformed ``chunk_frames`` at a time and only the result is kept.
    """
    frames = spec.column_frames(n_frames(len(y), spec))
    out = np.empty((spec.n_bins, len(frames)), np.float32)
    fb = mel_filterbank(spec.sr, spec.n_fft, spec.n_mels, spec.fmin, spec.fmax) if spec.kind == "mel" else None
    for start in range(0, len(frames), chunk_frames):
        check_cancel(cancel)
        sel = frames[start : start + chunk_frames]
        power = power_frames(y, sel, spec)
        if fb is not None:
            power = fb @ power
        out[:, start : start + len(sel)] = power_to_db(power)
        report(progress, (start + len(sel)) / max(len(frames), 1), "features")
    return TrackFeatures(db=out, frames=frames, spec=spec)
