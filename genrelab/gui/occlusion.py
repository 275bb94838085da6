"""Occlusion sensitivity ("Why this genre?"): mask time-frequency patches of one window's model input and
measure how much the predicted genre's probability drops, through the same engine. No Qt here (this could
move to the core as ``genrelab.explain``).

Patches are masked in the window's scaled feature array (the [-1, 1] values of
:func:`genrelab.dsp.windows.scale`): a masked cell is set to -1, the floor, i.e. "nothing here". The masked
arrays then go through the same last step as :func:`genrelab.dsp.windows.model_inputs`, so a paper-mode
model sees the masked patch drawn in its colormap and resized like everything else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genrelab.dsp import model_inputs, scale
from genrelab.dsp.windows import inputs_from_scaled
from genrelab.model.engine import Engine
from genrelab.progress import CancelToken, ProgressFn, check_cancel, report

FLOOR = -1.0  # the scaled value of anything at or below -top_db re the window's peak


@dataclass
class OcclusionMap:
    """Probability drop per cell of one window.

    Attributes:
        drop: (bins, columns) float32: mean over the patches covering a cell of (p - p_masked); positive = the
            region supports the genre. Row 0 = lowest band, as the feature array.
        target: column of the genre in the model's output; ``label`` its name.
        base_probability: the genre's probability with nothing masked.
    """

    drop: np.ndarray
    target: int
    label: str
    base_probability: float


def patch_positions(n: int, size: int, step: int) -> list[int]:
    """Start positions of patches of ``size`` every ``step`` that cover ``0..n`` (the last one flush with n)."""
    size = min(size, n)
    starts = list(range(0, n - size + 1, max(1, step)))
    if starts[-1] != n - size:
        starts.append(n - size)
    return starts


def occlusion_map(
    engine: Engine,
    window_db: np.ndarray,
    target: int | None = None,
    *,
    patch_bins: int | None = None,
    patch_cols: int | None = None,
    batch_size: int = 32,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> OcclusionMap:
    """Occlusion map of one window of absolute dB (bins, columns) for genre ``target`` (default: the top one).

    Patches default to an eighth of the bands by an eighth of the columns, moved by half a patch.
    """
    spec = engine.card.spec
    scaled = scale(window_db[None], spec)[0]
    base = engine.predict(model_inputs(window_db[None], spec))[0]
    target = int(np.argmax(base)) if target is None else int(target)
    bins, cols = scaled.shape
    pb = patch_bins or max(2, bins // 8)
    pc = patch_cols or max(2, cols // 8)
    patches = [(r, c) for r in patch_positions(bins, pb, max(1, pb // 2))
               for c in patch_positions(cols, pc, max(1, pc // 2))]
    total = np.zeros((bins, cols), np.float64)
    count = np.zeros((bins, cols), np.float64)
    for i in range(0, len(patches), batch_size):
        check_cancel(cancel)
        chunk = patches[i : i + batch_size]
        masked = np.repeat(scaled[None], len(chunk), axis=0)
        for k, (r, c) in enumerate(chunk):
            masked[k, r : r + pb, c : c + pc] = FLOOR
        probs = engine.predict(inputs_from_scaled(masked, spec))[:, target]
        for k, (r, c) in enumerate(chunk):
            total[r : r + pb, c : c + pc] += base[target] - probs[k]
            count[r : r + pb, c : c + pc] += 1
        report(progress, (i + len(chunk)) / len(patches), "occlusion")
    drop = (total / np.maximum(count, 1)).astype(np.float32)
    return OcclusionMap(drop, target, engine.card.labels[target], float(base[target]))
