"""The work the Analyse page hands to workers: decode a track, build display spectra, cut a model window.

Plain functions with ``progress`` / ``cancel`` arguments and no Qt, so they run in any thread (and in tests).
Every spectral number comes from :mod:`genrelab.dsp`; this module only chooses display parameters and slices.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from genrelab.analysis import Analysis
from genrelab.audio import Audio, AudioInfo, load, probe
from genrelab.dsp import FeatureSpec, cut, model_inputs, track_features, window_starts
from genrelab.dsp.spectrum import AMIN, band_frequencies
from genrelab.gui.display_settings import (
    DETAIL_COLUMNS,
    LOG_FMIN,
    LOG_ROWS,
    OVERVIEW_COLUMNS,
    DisplaySettings,
)
from genrelab.gui.waveform_pyramid import WaveformPyramid
from genrelab.progress import CancelToken, ProgressFn, check_cancel, report

MAX_RATE = 48000  # files at higher rates are decoded at this rate (playback and display need no more)
LONG_TRACK_S = 20 * 60  # longer tracks are decoded at the model's rate to halve the memory they take


@dataclass
class LoadedTrack:
    """A decoded track and its waveform pyramid."""

    path: Path
    audio: Audio
    pyramid: WaveformPyramid
    info: AudioInfo | None

    @property
    def duration_s(self) -> float:
        return self.audio.duration_s


def decode_rate(info: AudioInfo | None, model_sr: int) -> int | None:
    """Rate to decode at: the file's own (playback sounds right, the STFT reaches its Nyquist), capped at 48 kHz;
    the model's rate for very long tracks. ``None`` keeps the file's rate."""
    if info is None or info.sample_rate <= 0:
        return None
    if info.duration_s > LONG_TRACK_S:
        return model_sr
    return MAX_RATE if info.sample_rate > MAX_RATE else None


def load_track(path: Path, model_sr: int = 22050, progress: ProgressFn | None = None,
               cancel: CancelToken | None = None) -> LoadedTrack:
    """Decode ``path`` (mono float32) and build its waveform pyramid. AudioError for anything unreadable."""
    try:
        info = probe(path)
    except Exception:  # noqa: BLE001 - the decoder gives the real, one-line reason below
        info = None
    audio = load(path, sr=decode_rate(info, model_sr), progress=lambda f, m: report(progress, 0.95 * f, m),
                 cancel=cancel)
    check_cancel(cancel)
    pyramid = WaveformPyramid(audio.samples, audio.sr, cancel=cancel)
    report(progress, 1.0, "waveform")
    return LoadedTrack(Path(path), audio, pyramid, info)


@dataclass
class SpectrogramImage:
    """A spectrogram ready for an ImageItem: dB rows (row 0 = lowest band) placed on the time axis.

    Attributes:
        kind: "stft" or "mel".
        db: (rows, columns) float32 absolute dB (the cursor readout reads it).
        pixels: (rows, columns) uint8 colour indices of ``db`` for the dB range ``db_range`` below ``peak_db``:
            what the ImageItem draws (a uint8 image colours in well under a millisecond on the GUI thread).
        x0: time (s) of the left edge of column 0; ``dx`` seconds per column.
        row_hz: centre frequency (Hz) of each row.
        peak_db: the loudest value of the whole overview (top of the colour scale).
        detail: True for a zoomed-in piece drawn over the overview.
    """

    kind: str
    db: np.ndarray
    pixels: np.ndarray
    x0: float
    dx: float
    row_hz: np.ndarray
    peak_db: float
    db_range: float
    spec: FeatureSpec
    detail: bool = False

    def with_range(self, db_range: float) -> SpectrogramImage:
        """The same image coloured for another dB range (computed where it is called: in a worker)."""
        return replace(self, pixels=colour_indices(self.db, self.peak_db, db_range), db_range=db_range)

    @property
    def x1(self) -> float:
        return self.x0 + self.dx * self.db.shape[1]


_FLOOR_DB = 10.0 * float(np.log10(AMIN)) + 0.01  # power_to_db of silence (float32 rounding allowed for)


def colour_indices(db: np.ndarray, peak_db: float, db_range: float, chunk_columns: int = 256) -> np.ndarray:
    """uint8 colormap indices: 0 at ``peak_db - db_range`` and below, 255 at ``peak_db``, in column chunks.
    Cells at the power floor (digital silence) are 0 whatever the peak: a silent track is dark, not bright."""
    out = np.empty(db.shape, np.uint8)
    low, scale = peak_db - db_range, 255.0 / max(db_range, 1e-6)
    for a in range(0, db.shape[1], chunk_columns):
        cells = db[:, a : a + chunk_columns]
        block = (cells - low) * scale
        block[cells <= _FLOOR_DB] = 0.0
        np.clip(block, 0.0, 255.0, out=block)
        out[:, a : a + chunk_columns] = block
    return out


def spectrogram_image(samples: np.ndarray, sr: int, settings: DisplaySettings, kind: str, *,
                      t0: float | None = None, t1: float | None = None, peak_db: float | None = None,
                      progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> SpectrogramImage:
    """The display spectrogram of the whole signal, or (``t0``, ``t1`` given) a finer detail of that stretch."""
    detail = t0 is not None and t1 is not None
    hop = settings.hop_length
    a, b = 0, len(samples)
    if detail:
        a = max(0, (int(t0 * sr) // hop) * hop - settings.n_fft)
        b = min(len(samples), int(t1 * sr) + settings.n_fft)
    segment = samples[a:b]
    spec = settings.feature_spec(kind, sr, len(segment), DETAIL_COLUMNS if detail else OVERVIEW_COLUMNS)
    feats = track_features(segment, spec, progress=progress, cancel=cancel)
    check_cancel(cancel)
    dx = spec.column_seconds
    x0 = a / sr + (float(feats.times[0]) if feats.n_columns else 0.0) - dx / 2
    db, row_hz = feats.db, band_frequencies(spec)
    if kind == "stft":
        db, row_hz = stft_rows(db, row_hz, settings, sr)
    peak = float(db.max()) if peak_db is None and db.size else (peak_db or 0.0)
    pixels = colour_indices(db, peak, settings.db_range)
    return SpectrogramImage(kind, db, pixels, x0, dx, row_hz, peak, settings.db_range, spec, detail)


def stft_rows(db: np.ndarray, row_hz: np.ndarray, settings: DisplaySettings, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """The STFT rows the display shows: bins between Min and Max freq, or (``stft_scale`` "log") rows at
    log-spaced frequencies, each interpolated linearly between the two nearest bins."""
    fmin, fmax = settings.band_limits(sr)
    if settings.stft_scale == "log":
        low = max(fmin, LOG_FMIN, float(row_hz[1]) if len(row_hz) > 1 else LOG_FMIN)
        target = np.geomspace(low, max(fmax, low * 1.01), LOG_ROWS)
        position = np.interp(target, row_hz, np.arange(len(row_hz), dtype=float))
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, len(row_hz) - 1)
        weight = (position - below).astype(np.float32)[:, None]
        out = db[below] * (1.0 - weight) + db[above] * weight
        return out.astype(np.float32, copy=False), target
    keep = np.nonzero((row_hz >= fmin - 1e-6) & (row_hz <= fmax + 1e-6))[0]
    if len(keep) < 2:
        keep = np.arange(len(row_hz))
    return np.ascontiguousarray(db[keep[0] : keep[-1] + 1]), row_hz[keep[0] : keep[-1] + 1]


@dataclass
class WindowInput:
    """What the network sees for one analysis window, ready to draw.

    Attributes:
        index: window number in the timeline.
        start_s, end_s: the window's span on the track.
        inputs: the model input itself, (1, C, H, W).
        picture: (H, W) scaled values in [-1, 1] for native input (row 0 = lowest band), or (H, W, 3) RGB in
            [0, 1] for the paper's image input (row 0 = lowest band, as drawn on screen).
        window_db: the window's absolute dB (bins, columns), row 0 = lowest band.
        probs: the model's probabilities for this window (the timeline's row).
        row_hz: centre frequency (Hz) of each row of ``window_db`` (and of the picture's band rows).
    """

    index: int
    start_s: float
    end_s: float
    inputs: np.ndarray
    picture: np.ndarray
    window_db: np.ndarray
    probs: np.ndarray
    row_hz: np.ndarray | None = None


def window_start_columns(analysis: Analysis, hop_s: float) -> np.ndarray:
    """First feature column of every timeline window (exactly as :func:`genrelab.analysis.analyse` chose them)."""
    feats = analysis.features
    if feats is None:
        raise ValueError("the analysis kept no features")
    return window_starts(feats.n_columns, feats.spec, hop_s)


def window_input(analysis: Analysis, hop_s: float, index: int) -> WindowInput:
    """Cut window ``index`` from the analysis' features and build the model input (`cut` + `model_inputs`)."""
    feats = analysis.features
    if feats is None:
        raise ValueError("the analysis kept no features")
    spec = feats.spec
    starts = window_start_columns(analysis, hop_s)
    index = int(np.clip(index, 0, len(starts) - 1))
    window_db = cut(feats.db, starts[[index]], spec)
    inputs = model_inputs(window_db, spec)
    if spec.image == "paper":
        from genrelab.dsp.image import IMAGENET_MEAN, IMAGENET_STD

        rgb = np.clip(inputs[0] * IMAGENET_STD + IMAGENET_MEAN, 0.0, 1.0)
        picture = np.ascontiguousarray(np.moveaxis(rgb, 0, -1)[::-1])  # (H, W, 3), lowest band first
    else:
        picture = inputs[0, 0]
    start = float(analysis.timeline.starts[index])
    return WindowInput(index, start, start + analysis.timeline.window_s, inputs, picture, window_db[0],
                       analysis.timeline.probs[index], band_frequencies(spec))

