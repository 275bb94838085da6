"""`Clip`: one labelled track's whole feature array, and the windows a trainer cuts from it.

Every data source (audio folders, spectrogram-image folders) yields clips; the trainer and the evaluation
only see clips, so both sources go through the same window cutting and scaling as the app
(:mod:`genrelab.dsp.windows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genrelab.dsp import FeatureSpec, model_inputs
from genrelab.dsp import windows as dsp_windows


@dataclass
class Clip:
    """One labelled track.

    Attributes:
        clip_id: e.g. ``"blues.00012"`` (the file stem).
        label: genre name.
        group: song id for grouped splits (all windows of a group stay on one side).
        db: (n_bins, n_columns) float32 dB (absolute or clip-referenced: scaling is per window).
        source: the file it came from.
    """

    clip_id: str
    label: str
    group: str
    db: np.ndarray
    source: Path | None = None

    @property
    def n_columns(self) -> int:
        return int(self.db.shape[1])


def fit_to_window(db: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Pad a clip shorter than one window with its floor value (silence) so one window fits."""
    width = spec.window_columns
    if db.shape[1] >= width:
        return db
    return np.pad(db, ((0, 0), (0, width - db.shape[1])), constant_values=float(db.min()))


def all_windows(clips: list[Clip], spec: FeatureSpec, hop_s: float) -> list[tuple[int, int]]:
    """(clip index, start column) of every window at ``hop_s`` (at least one per clip)."""
    out = []
    for i, clip in enumerate(clips):
        starts = dsp_windows.window_starts(max(clip.n_columns, spec.window_columns), spec, hop_s)
        out += [(i, int(s)) for s in starts]
    return out


def random_windows(clips: list[Clip], spec: FeatureSpec, per_clip: int, rng: np.random.Generator,
                   non_overlapping: bool = True) -> list[tuple[int, int]]:
    """``per_clip`` random windows per clip (the paper: 5 non-overlapping 3-s windows at random positions).

    Non-overlapping windows are drawn by splitting the spare columns at random; a clip too short for
    ``per_clip`` disjoint windows gives as many as fit (at least one).
    """
    width = spec.window_columns
    out = []
    for i, clip in enumerate(clips):
        n = max(clip.n_columns, width)
        k = per_clip
        if non_overlapping:
            k = max(1, min(per_clip, n // width))
            spare = n - k * width
            cuts = np.sort(rng.integers(0, spare + 1, size=k))  # gaps before each window
            starts = cuts + np.arange(k) * width
        else:
            starts = rng.integers(0, n - width + 1, size=k)
        out += [(i, int(s)) for s in starts]
    return out


def rows_by_clip(index: list[tuple[int, int]]) -> dict[int, list[int]]:
    """Positions in ``index`` (clip index, start column) of each clip's windows, clips in order of appearance."""
    rows: dict[int, list[int]] = {}
    for k, (c, _s) in enumerate(index):
        rows.setdefault(c, []).append(k)
    return rows


def batch_inputs(clips: list[Clip], index: list[tuple[int, int]], spec: FeatureSpec) -> np.ndarray:
    """Model inputs for windows (clip index, start column): raw dB windows -> the app's scaling/imaging."""
    width = spec.window_columns
    raw = np.stack([fit_to_window(clips[c].db, spec)[:, s : s + width] for c, s in index])
    return model_inputs(raw, spec)


def batch_raw(clips: list[Clip], index: list[tuple[int, int]], spec: FeatureSpec) -> np.ndarray:
    """Raw dB windows (B, bins, cols) before scaling (for augmentations that act on dB)."""
    width = spec.window_columns
    return np.stack([fit_to_window(clips[c].db, spec)[:, s : s + width] for c, s in index])
