"""Model windows cut from a track's feature array, and the per-window scaling the models see."""

from __future__ import annotations

import numpy as np

from genrelab.dsp.spec import FeatureSpec


def window_starts(n_columns: int, spec: FeatureSpec, hop_s: float) -> np.ndarray:
    """First column of each window: every ``hop_s`` seconds, plus one flush with the end when the regular
    grid leaves more than half a hop of the tail unseen.

    At least one window is returned when ``n_columns >= spec.window_columns``; the caller pads short tracks.
    """
    if hop_s <= 0:
        raise ValueError("hop_s must be positive")
    width = spec.window_columns
    if n_columns < width:
        return np.zeros(0, np.int64)
    last = n_columns - width
    step = hop_s / spec.column_seconds
    n = int(np.floor(last / step + 1e-9)) + 1
    starts = np.round(np.arange(n) * step).astype(np.int64)
    starts = np.minimum(starts, last)
    if last - starts[-1] > step / 2:  # a last window flush with the end, so the tail is analysed too
        starts = np.append(starts, last)
    return np.unique(starts)


def window_centres(frames: np.ndarray, starts: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Centre time (s) of each window: midway between its first and last column's frame centres."""
    width = spec.window_columns
    first = frames[starts]
    last = frames[starts + width - 1]
    return (first + last) * (0.5 * spec.hop_length / spec.sr)


def cut(db: np.ndarray, starts: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Stack windows (len(starts), n_bins, window_columns) of absolute dB from a track array."""
    width = spec.window_columns
    idx = np.asarray(starts)[:, None] + np.arange(width)[None, :]
    return np.ascontiguousarray(np.moveaxis(db[:, idx], 1, 0))


def scale(windows_db: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Per-window scaling: dB re the window's own maximum, floored at ``-top_db``, mapped to [-1, 1].

    Works on (..., bins, columns); depends on nothing outside each window.
    """
    peak = windows_db.max(axis=(-2, -1), keepdims=True)
    rel = np.maximum(windows_db - peak, -spec.top_db)
    half = spec.top_db / 2.0
    return ((rel + half) / half).astype(np.float32, copy=False)


def inputs_from_scaled(scaled: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Model inputs from already scaled windows (B, bins, cols): (B, 1, bins, cols) or the paper's images."""
    if spec.image == "paper":
        from genrelab.dsp.image import paper_images

        return paper_images(scaled, spec)
    return np.ascontiguousarray(scaled[:, None, :, :])


def model_inputs(windows_db: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """What the network sees for a stack of dB windows: (B, 1, bins, cols) native or (B, 3, S, S) paper image."""
    return inputs_from_scaled(scale(windows_db, spec), spec)
